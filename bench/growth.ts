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
import { EVENTS_TABLE, keys } from '../src/tables.ts';
import { randomEvents } from '../tests/support/random-events.ts';
import { realisticHistory, realisticMix } from './events.ts';
import { type BenchStack, TABLE_NAMES } from './harness.ts';
import { subscribe, type WebhookReceiver } from './lag.ts';
import { type IngestOptions, measureIngest } from './pipeline.ts';
import { closedLoop, round } from './stats.ts';

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
  /** Recipients the stored events are spread over. */
  recipients: number;
  wruPerEvent: number;
  rruPerEvent: number;
  statusP99Ms: number;
  /** Events stored for this level (beyond the previous one) per second, until projected and notified. */
  loadEventsPerSec: number;
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
      // The prior history stored as ingest would have stored it, in order and fast (`b.load`).
      await b.load(all.slice(0, prior));
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

/** Recipients the stored events of a scale level are spread over: 100, or one per 100 events beyond 10,000. */
export const scaleRecipients = (level: number) => Math.max(1, Math.min(level, Math.max(100, Math.round(level / 100))));

/**
 * Ingest cost and status read p99 for a fresh recipient, with `levels` events already stored
 * (cumulative) over `scaleRecipients(level)` other recipients, each with the same number of
 * events shaped like a real log (1,000: 100 × 10, 10,000: 100 × 100, 100,000: 1,000 × 100).
 * They are stored by `b.load` (the tracker's own items and projection, written fast), checked
 * (`checkLoad`), then the measured events go through the real path as everywhere else.
 */
export async function measureScale(
  b: BenchStack,
  levels: readonly number[],
  events: number,
  options: IngestOptions & { readSeconds: number; log?: (line: string) => void },
): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  const stored = new Map<number, number>();
  for (const level of levels) {
    const recipients = scaleRecipients(level);
    const add: TrackerEvent[] = [];
    for (let r = 0; r < recipients; r++) {
      const has = stored.get(r) ?? 0;
      const want = Math.floor(level / recipients) + (r < level % recipients ? 1 : 0);
      if (want <= has) continue;
      const id = `scale-r${r}`;
      add.push(...realisticHistory(id, want - has, id, has));
      stored.set(r, want);
    }
    const recipientsBefore = await summaryRecipients(b);
    const newRecipients = new Set(add.map((e) => e.subject).filter((s) => !b.heads.has(s))).size;
    const began = performance.now();
    const load = await b.load(add);
    await b.settle(options.quietMs, 600_000);
    const loadSeconds = (performance.now() - began) / 1000;
    const total = [...stored.values()].reduce((a, n) => a + n, 0);
    if (total !== level) throw new Error(`scale: ${total} events stored, expected ${level}`);
    await checkLoad(b, add, recipientsBefore + newRecipients);
    // The check posted three events again (duplicates): their projector and notifier runs stay out of the measurement.
    await b.settle(options.quietMs);
    options.log?.(
      `scale: ${add.length} events over ${load.subjects} recipients stored in ${round(loadSeconds, 1)} s ` +
        `(${Math.round(add.length / loadSeconds)} events/s: items ${load.writeSeconds} s, projection ${load.projectSeconds} s, ` +
        `notifier and settle ${round(loadSeconds - load.writeSeconds - load.projectSeconds, 1)} s)`,
    );
    // Same length at every level (an item a byte longer can cross a billing unit).
    const id = `scale-probe-${String(level).padStart(7, '0')}`;
    const run = await measureIngest(b, realisticHistory(id, events, id), options);
    const reads = await closedLoop(8, options.readSeconds, () => fetch(`${b.url}/v1/recipients/${id}`));
    rows.push({
      storedEvents: level,
      recipients,
      wruPerEvent: run.cost.wruPerEvent,
      rruPerEvent: run.cost.rruPerEvent,
      statusP99Ms: reads.p99Ms,
      loadEventsPerSec: Math.round(add.length / loadSeconds),
    });
  }
  return rows;
}

async function summaryRecipients(b: BenchStack): Promise<number> {
  const res = await fetch(`${b.url}/v1/summary`);
  if (res.status !== 200) throw new Error(`GET /v1/summary ${res.status}`);
  return ((await res.json()) as { recipients: number }).recipients;
}

/**
 * What the tracker says about the loaded events, through its own code: every recipient counted
 * once in `GET /v1/summary`; the last loaded recipient's status at its last sequence; three of its
 * events posted again through ingest are duplicates at their sequences (so the id items hold the
 * hash and sequence ingest would have written); its last event is in the feed index.
 */
async function checkLoad(b: BenchStack, added: readonly TrackerEvent[], recipients: number): Promise<void> {
  const fail = (what: string) => {
    throw new Error(`scale: the loaded store is not what the tracker would have stored: ${what}`);
  };
  const counted = await summaryRecipients(b);
  if (counted !== recipients) fail(`GET /v1/summary counts ${counted} recipients, expected ${recipients}`);
  const last = added[added.length - 1]!;
  const mine = added.filter((e) => e.subject === last.subject);
  const head = b.heads.get(last.subject)!;
  const res = await fetch(`${b.url}/v1/recipients/${last.subject.slice('recipients/'.length)}`);
  const status = (await res.json()) as { sequence?: number; name?: string };
  if (res.status !== 200 || status.sequence !== head) fail(`GET /v1/${last.subject}: ${res.status}, sequence ${status.sequence}, head ${head}`);
  const sample = [mine[0]!, mine[Math.floor(mine.length / 2)]!, last];
  const again = await b.stack.tracker.ingest(sample);
  again.forEach((r, i) => {
    const expected = head - mine.length + mine.indexOf(sample[i]!) + 1;
    if (r.status !== 'duplicate' || r.sequence !== expected) fail(`${sample[i]!.id} posted again: ${r.status} at ${r.sequence}, expected duplicate at ${expected}`);
  });
  const logItem = await b.probe.send(new GetItemCommand({
    TableName: TABLE_NAMES.Events, Key: { pk: { S: keys.log(last.subject, head).pk }, sk: { S: keys.log(last.subject, head).sk } }, ConsistentRead: true,
  }));
  const feed = await b.probe.send(new QueryCommand({
    TableName: TABLE_NAMES.Events,
    IndexName: EVENTS_TABLE.globalIndexes[1].name,
    KeyConditionExpression: 'gsi2pk = :b AND gsi2sk = :k',
    ExpressionAttributeValues: { ':b': logItem.Item?.gsi2pk ?? { S: '-' }, ':k': logItem.Item?.gsi2sk ?? { S: '-' } },
  }));
  if (feed.Items?.[0]?.id?.S !== last.id) fail(`the feed index has no entry for ${last.id}`);
}
