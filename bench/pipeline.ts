/**
 * Ingest throughput and cost per event: events posted by concurrent clients (one by one or in
 * batches), timed from the first POST to the moment every touched recipient's status shows its
 * last sequence; the meter's counts over the same window, until the notifier has caught up and
 * the pipeline is quiet. In the same run, the raw DynamoDB Local `PutItem` rate at the same
 * concurrency is the local ceiling the pipeline is compared with.
 */
import {
  CreateTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  ResourceInUseException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import type { TrackerEvent } from '../src/domain/event-schema.ts';
import type { BenchStack } from './harness.ts';
import { type CostFigures, type PathFunction, TABLE_SHORT_NAMES, costOf } from './pricing.ts';
import { round } from './stats.ts';
import { transactWriteUnits } from './capacity.ts';

const RAW_TABLE = 'bench-raw-puts';

export interface IngestRun {
  events: number;
  requests: number;
  eventsPerSec: number;
  seconds: number;
  retries: number;
  cost: CostFigures;
}

export interface IngestOptions {
  /** Events per request; 1 posts single structured events. */
  batchSize: number;
  clients: number;
  memoryMb: Record<string, number>;
  /** Stop taking new requests after this long (the events not posted are left out). */
  maxSeconds?: number;
  /** Quiet time that ends the measured window (default 1000 ms). */
  quietMs?: number;
  /** Invocation durations to price Lambda compute with (from `calibrate`); the measured ones otherwise. */
  durationsMs?: Record<PathFunction, number>;
}

/** Posts `events` from `clients` concurrent loops and measures throughput and cost. */
export async function measureIngest(b: BenchStack, events: readonly TrackerEvent[], options: IngestOptions): Promise<IngestRun> {
  const chunks: TrackerEvent[][] = [];
  for (let i = 0; i < events.length; i += options.batchSize) chunks.push(events.slice(i, i + options.batchSize));
  const subjects = [...new Set(events.map((e) => e.subject))];
  const before = b.meter.snapshot();
  let apiTotalMs = 0;
  let requests = 0;
  let retries = 0;
  let next = 0;
  const start = performance.now();
  const stopAt = start + (options.maxSeconds ?? Infinity) * 1000;
  let posted = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (next < chunks.length && performance.now() < stopAt) {
        const chunk = chunks[next++]!;
        posted += chunk.length;
        const out = await b.post(options.batchSize === 1 ? chunk[0]! : chunk);
        apiTotalMs += out.ms;
        requests += 1 + out.retries;
        retries += out.retries;
      }
    }),
  );
  const done = await b.projected(subjects);
  await b.settle(options.quietMs);
  const usage = b.meter.since(before);
  const seconds = (done - start) / 1000;
  return {
    events: posted,
    requests,
    eventsPerSec: round(posted / seconds, 1),
    seconds: round(seconds, 2),
    retries,
    cost: costOf({
      events: posted,
      apiRequests: requests,
      apiTotalMs,
      usage,
      memoryMb: options.memoryMb,
      ...(options.durationsMs ? { durationsMs: options.durationsMs } : {}),
      tableNames: TABLE_SHORT_NAMES,
    }),
  };
}

/**
 * Lambda durations without our own queueing: the same kind of posts from one client, one request
 * at a time, so each API request and each consumer batch runs alone (as each Lambda invocation
 * runs in its own instance). Under the concurrent load the local API is a single Node process
 * where requests wait for each other, which Lambda would not bill.
 */
export async function calibrate(b: BenchStack, events: readonly TrackerEvent[], options: IngestOptions): Promise<Record<PathFunction, number>> {
  const { durationsMs: _ignored, ...rest } = options;
  const run = await measureIngest(b, events, { ...rest, clients: 1 });
  return run.cost.durationMs;
}

async function ensureRawTable(client: DynamoDBClient): Promise<void> {
  try {
    await client.send(new CreateTableCommand({
      TableName: RAW_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

export interface LocalCapacityProbe {
  /** PutItem of a 1.5 KB item. */
  putItemUnits: number;
  /** The same item alone in a TransactWriteItems (AWS: 2× the PutItem). */
  oneItemTransactionUnits: number;
  /** Three such items in one TransactWriteItems, as DynamoDB Local reports it … */
  threeItemTransactionReportedUnits: number;
  /** … and as AWS bills it (capacity.ts). */
  threeItemTransactionModelledUnits: number;
}

/**
 * How this DynamoDB Local reports the capacity of transactions: one item at 2× a PutItem (as AWS
 * bills), but several items of the same size as if they were one. The meter therefore computes
 * transactional units itself; this probe records why, in every run.
 */
export async function probeLocalCapacity(client: DynamoDBClient): Promise<LocalCapacityProbe> {
  await ensureRawTable(client);
  const item = (sk: string) => ({ pk: { S: 'probe' }, sk: { S: sk }, body: { S: 'x'.repeat(1500) } });
  const units = (c: { CapacityUnits?: number }[] | { CapacityUnits?: number } | undefined) =>
    [c ?? []].flat().reduce((n, x) => n + (x.CapacityUnits ?? 0), 0);
  const put = await client.send(new PutItemCommand({ TableName: RAW_TABLE, Item: item('put'), ReturnConsumedCapacity: 'TOTAL' }));
  const one = await client.send(new TransactWriteItemsCommand({
    TransactItems: [{ Put: { TableName: RAW_TABLE, Item: item('tx1') } }],
    ReturnConsumedCapacity: 'TOTAL',
  }));
  const threeItems = ['tx2', 'tx3', 'tx4'].map((sk) => ({ Put: { TableName: RAW_TABLE, Item: item(sk) } }));
  const three = await client.send(new TransactWriteItemsCommand({ TransactItems: threeItems, ReturnConsumedCapacity: 'TOTAL' }));
  const modelled = transactWriteUnits({ TransactItems: threeItems }, { [RAW_TABLE]: { id: 'raw', partitionKey: 'pk', sortKey: 'sk', globalIndexes: [] } });
  if (!(units(put.ConsumedCapacity) > 0)) throw new Error('DynamoDB Local reported no consumed capacity');
  return {
    putItemUnits: units(put.ConsumedCapacity),
    oneItemTransactionUnits: units(one.ConsumedCapacity),
    threeItemTransactionReportedUnits: units(three.ConsumedCapacity),
    threeItemTransactionModelledUnits: [...modelled.values()].reduce((n, u) => n + u.table + u.index, 0),
  };
}

/**
 * The local ceiling: `concurrency` loops of plain PutItem (an item the size of a log item) for
 * `seconds`, on the same DynamoDB Local, through an unmetered client.
 */
export async function measureRawPutItems(client: DynamoDBClient, concurrency: number, seconds: number, sample: TrackerEvent): Promise<number> {
  await ensureRawTable(client);
  const body = JSON.stringify({ ...sample, sequence: 1, recordedAt: new Date().toISOString() });
  const put = (c: number, i: number) =>
    client.send(new PutItemCommand({
      TableName: RAW_TABLE,
      Item: { pk: { S: `S#raw-${c}` }, sk: { S: String(i).padStart(10, '0') }, type: { S: sample.type }, event: { S: body } },
    }));
  // Warm-up (DynamoDB Local's JIT, connections): a fifth of the time, not counted.
  const warmEnd = performance.now() + (seconds * 1000) / 5;
  await Promise.all(Array.from({ length: concurrency }, async (_, c) => {
    for (let i = 0; performance.now() < warmEnd; i++) await put(c, 1_000_000_000 + i);
  }));
  let done = 0;
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      while (performance.now() < end) {
        await put(c, n++);
        done++;
      }
    }),
  );
  return round(done / ((performance.now() - start) / 1000), 1);
}
