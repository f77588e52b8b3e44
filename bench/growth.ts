/**
 * Does cost per event stay flat? The same ingest measured
 * - across more recipients (events of a batch spread over 1, 10 or 50 recipients),
 * - for one recipient with a short or a long history, in two shapes: `distinctKeys` (each
 *   shipment shipped, received and installed once, new orders and shipments as time goes on, a
 *   retraction now and then: how a real recipient's log grows, `events.ts`) and `sameKeys` (the
 *   random generator of the tests: every event is one more candidate for one of 2 programs,
 *   6 orders or 12 shipments, and one in ten a registration, i.e. repeated corrections of the
 *   same things), with and without a webhook subscription,
 * - with more events already stored in the whole tracker (`scale`, issue #8 §6).
 */
import type { TrackerEvent } from '../src/domain/event-schema.ts';
import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { keys } from '../src/tables.ts';
import { randomEvents } from '../tests/support/random-events.ts';
import { realisticHistory, realisticMix } from './events.ts';
import { type BenchStack, TABLE_NAMES } from './harness.ts';
import { subscribe, type WebhookReceiver } from './lag.ts';
import { type IngestOptions, measureIngest } from './pipeline.ts';
import { closedLoop } from './stats.ts';

export interface GrowthCost {
  wruPerEvent: number;
  rruPerEvent: number;
  awsRequestsPerEvent: number;
  usdPerMillion: number;
  wruByTable: Record<string, number>;
  rruByTable: Record<string, number>;
}

export interface RecipientsRow extends GrowthCost {
  recipients: number;
  events: number;
  eventsPerSec: number;
}

export interface HistoryRow extends GrowthCost {
  shape: 'distinctKeys' | 'sameKeys';
  priorEvents: number;
  events: number;
  /** Size of the recipient's status item's `state` and of its largest key item, bytes. */
  statusItemBytes: number;
  largestKeyItemBytes: number;
  statusP99Ms: number;
  /**
   * The same posts with one `delivery.*` webhook subscription active, after `snapshotCatchUp`: the
   * first delivery event after subscribing, alone, whose notification folds the recipient's prior
   * history into the notifier's snapshot once (src/services/notifier.ts).
   */
  withWebhook: GrowthCost;
  snapshotCatchUp: GrowthCost;
}

export interface ScaleRow {
  storedEvents: number;
  wruPerEvent: number;
  rruPerEvent: number;
  statusP99Ms: number;
}

const pick = (c: { wruPerEvent: number; rruPerEvent: number; awsRequestsPerEvent: number; usdPerMillion: number; wruByTable: Record<string, number>; rruByTable: Record<string, number> }): GrowthCost => ({
  wruPerEvent: c.wruPerEvent,
  rruPerEvent: c.rruPerEvent,
  awsRequestsPerEvent: c.awsRequestsPerEvent,
  usdPerMillion: c.usdPerMillion,
  wruByTable: c.wruByTable,
  rruByTable: c.rruByTable,
});

async function itemBytes(b: BenchStack, subject: string): Promise<{ status: number; largestKey: number }> {
  const status = await b.probe.send(new GetItemCommand({
    TableName: TABLE_NAMES.State,
    Key: { pk: { S: keys.status(subject).pk }, sk: { S: 'STATUS' } },
    ConsistentRead: true,
  }));
  let largestKey = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await b.probe.send(new QueryCommand({
      TableName: TABLE_NAMES.State,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :k)',
      ExpressionAttributeValues: { ':pk': { S: keys.statusPartition(subject) }, ':k': { S: 'K#' } },
      ...(start ? { ExclusiveStartKey: start } : {}),
    }));
    for (const item of page.Items ?? []) largestKey = Math.max(largestKey, Buffer.byteLength(item.state?.S ?? ''));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  return { status: Buffer.byteLength(status.Item?.state?.S ?? ''), largestKey };
}

export async function measureRecipientsGrowth(b: BenchStack, counts: readonly number[], events: number, options: IngestOptions): Promise<RecipientsRow[]> {
  const rows: RecipientsRow[] = [];
  for (const recipients of counts) {
    const batch = realisticMix({ seed: 100 + recipients, count: events, recipients, prefix: `grow-r${recipients}` });
    const run = await measureIngest(b, batch, options);
    rows.push({ recipients, events, eventsPerSec: run.eventsPerSec, ...pick(run.cost) });
  }
  return rows;
}

export async function measureHistoryGrowth(
  b: BenchStack,
  receiver: WebhookReceiver,
  priors: readonly number[],
  events: number,
  options: IngestOptions & { readSeconds: number },
): Promise<HistoryRow[]> {
  const rows: HistoryRow[] = [];
  for (const shape of ['distinctKeys', 'sameKeys'] as const) {
    for (const prior of priors) {
      const id = `grow-${shape === 'distinctKeys' ? 'd' : 's'}${prior}`;
      const subject = `recipients/${id}`;
      const all =
        shape === 'distinctKeys'
          ? realisticHistory(id, prior + 2 * events, id)
          : randomEvents({ seed: 7 + prior, count: prior + 2 * events, recipients: 1, retractionShare: 0.02, prefix: id }).map((e) => ({ ...e, subject }));
      await b.preload(all.slice(0, prior));
      await b.settle(options.quietMs);
      const plain = await measureIngest(b, all.slice(prior, prior + events), options);
      const unsubscribe = await subscribe(b, receiver.url);
      const after = all.slice(prior + events);
      const first = Math.max(0, after.findIndex((e) => e.type.startsWith('delivery.')));
      const catchUp = await measureIngest(b, [after[first]!], { ...options, clients: 1 });
      const hooked = await measureIngest(b, after.filter((_, i) => i !== first), options);
      await unsubscribe();
      await b.settle(options.quietMs);
      const sizes = await itemBytes(b, subject);
      const reads = await closedLoop(8, options.readSeconds, () => fetch(`${b.url}/v1/recipients/${id}`));
      rows.push({
        shape,
        priorEvents: prior,
        events,
        ...pick(plain.cost),
        statusItemBytes: sizes.status,
        largestKeyItemBytes: sizes.largestKey,
        statusP99Ms: reads.p99Ms,
        withWebhook: pick(hooked.cost),
        snapshotCatchUp: pick(catchUp.cost),
      });
    }
  }
  return rows;
}

/**
 * Ingest cost and status read p99 for a fresh recipient, with `levels` events already stored
 * across 100 other recipients (preloaded through the ingest service, cumulative).
 */
export async function measureScale(
  b: BenchStack,
  levels: readonly number[],
  events: number,
  options: IngestOptions & { readSeconds: number },
): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  let stored = 0;
  for (const level of levels) {
    const add: TrackerEvent[] = [];
    const perRecipient = Math.ceil((level - stored) / 100);
    for (let r = 0; r < 100 && add.length < level - stored; r++) {
      const id = `scale-r${r}`;
      add.push(...realisticHistory(id, Math.min(perRecipient, level - stored - add.length), `${id}-${stored}`, Math.floor(stored / 100)));
    }
    await b.preload(add);
    stored = level;
    await b.settle(options.quietMs, 600_000);
    const id = `scale-probe-${level}`;
    const run = await measureIngest(b, realisticHistory(id, events, id), options);
    const reads = await closedLoop(8, options.readSeconds, () => fetch(`${b.url}/v1/recipients/${id}`));
    rows.push({ storedEvents: level, wruPerEvent: run.cost.wruPerEvent, rruPerEvent: run.cost.rruPerEvent, statusP99Ms: reads.p99Ms });
  }
  return rows;
}
