/**
 * The benchmark's local stack: `startLocalStack` on a fresh temporary data directory (or with
 * DynamoDB Local in memory, for the scale measurement's stored volume), a meter on
 * the tracker's own SDK clients, keys for the measured path (a reporter key, so authentication and
 * the per-key rate-limit counter are part of every post), and a second, unmetered DynamoDB client
 * that watches status items and notify watermarks without adding to the counts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalStack, type LocalStack } from '../local/stack.ts';
import { buildAppendItems } from '../src/adapters/dynamodb-event-log.ts';
import { contentHash } from '../src/domain/canonical.ts';
import type { StoredEvent, TrackerEvent } from '../src/domain/event-schema.ts';
import { formatMillis, instantOf, maxInstant } from '../src/domain/time.ts';
import { EVENTS_TABLE, KEYS_TABLE, NOTIFY_TABLE, STATE_TABLE, keys } from '../src/tables.ts';
import { Meter } from './meter.ts';
import { round, sleep } from './stats.ts';

export const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

/** Physical table names of the local stack (local/stack.ts). */
export const TABLE_NAMES = { Events: 'tracker-events', State: 'tracker-state', Keys: 'tracker-keys', Notify: 'tracker-notify' } as const;

export interface PostResult {
  results: { sequence: number; status: string }[];
  /** Client-side time of the request (the API Lambda's duration, at most). */
  ms: number;
  /** Answers 429/5xx retried before this one. */
  retries: number;
}

export interface BenchStack {
  url: string;
  stack: LocalStack;
  meter: Meter;
  dataDir: string;
  reporterKey: string;
  /** `recipients/x` → highest sequence accepted by the benchmark's posts. */
  heads: Map<string, number>;
  post(events: TrackerEvent | TrackerEvent[], options?: { key?: string }): Promise<PostResult>;
  /** Resolves when every subject of `heads` (or the given ones) has its status at its head; returns that time. */
  projected(subjects?: readonly string[], timeoutMs?: number): Promise<number>;
  /** Waits until the notifier caught up, then until no counted request has been made for `quietMs`. */
  settle(quietMs?: number, timeoutMs?: number): Promise<void>;
  statusSeq(subject: string): Promise<number>;
  /**
   * Stores events through the tracker's ingest service in process (no HTTP, no auth): to build up
   * history and stored volume before a measurement. Chunks of `chunk`, `concurrency` at a time.
   */
  preload(events: readonly TrackerEvent[], options?: { chunk?: number; concurrency?: number }): Promise<void>;
  /**
   * Stores events as the tracker's ingest would have, several times faster than `preload`: to build
   * up a large stored volume (`scale`). See `loadEvents`. Every event must be new.
   */
  load(events: readonly TrackerEvent[], options?: { concurrency?: number }): Promise<LoadTimes>;
  /** The unmetered client (same DynamoDB Local). */
  probe: DynamoDBClient;
  stop(): Promise<void>;
}

export async function createKey(url: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${url}/v1/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /v1/keys ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/**
 * A fresh temporary data directory, in RAM (`/dev/shm`) where there is one: DynamoDB Local's
 * SQLite file then costs no disk syncs, so the figures measure the tracker and DynamoDB Local's
 * request handling, not this machine's disk (on a shared VM disk, ~4× slower writes).
 */
function freshDataDir(): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return mkdtempSync(join(base, 'tracker-bench-'));
}

export async function startBenchStack(options: { webhooks?: boolean; inMemory?: boolean } = {}): Promise<BenchStack> {
  const dataDir = freshDataDir();
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      seed: '0',
      adminKey: ADMIN_KEY,
      // In memory (DynamoDB Local `-inMemory`) on request: about half the work per stored item.
      ...(options.inMemory ? {} : { dataDir }),
      // The reconciler repairs lost enqueues; none are lost here, and its scans are a fixed
      // cost per minute on AWS, not a cost per event: keep it out of the measured window.
      reconcileEverySeconds: 3600,
      allowPrivateWebhooks: options.webhooks ?? true,
      webhookRetryScale: 0.01,
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const meter = new Meter({
    // The retry sweeper's queries of the `due` index run every second locally (every minute on
    // AWS) whatever the traffic: a fixed cost, counted apart.
    ignore: (service, _command, input) => service === 'dynamodb' && input.IndexName === 'due',
    queues: { projector: stack.queueUrls.projector, notifier: stack.queueUrls.notifier, deliverer: stack.queueUrls.delivery },
    tables: {
      [TABLE_NAMES.Events]: EVENTS_TABLE, [TABLE_NAMES.State]: STATE_TABLE, [TABLE_NAMES.Keys]: KEYS_TABLE, [TABLE_NAMES.Notify]: NOTIFY_TABLE,
    },
  });
  meter.attach(stack.tracker.clients.dynamodb, stack.tracker.clients.sqs);

  const endpoint = await resolveEndpoint(stack.tracker.clients.dynamodb);
  const probe = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const probeDoc = DynamoDBDocumentClient.from(probe, { marshallOptions: { removeUndefinedValues: true } });
  const reporterKey = await createKey(stack.url, {
    name: 'bench reporter', role: 'reporter', sources: ['*'], subjects: ['*'], types: ['*'], rateLimitPerMinute: 100_000,
  });
  const heads = new Map<string, number>();
  const url = stack.url;

  const numberAt = async (table: string, key: Record<string, string>, attribute: string) => {
    const out = await probe.send(new GetItemCommand({
      TableName: table,
      Key: Object.fromEntries(Object.entries(key).map(([k, v]) => [k, { S: v }])),
      ConsistentRead: true,
      ProjectionExpression: '#a',
      ExpressionAttributeNames: { '#a': attribute },
    }));
    return Number(out.Item?.[attribute]?.N ?? 0);
  };
  const statusSeq = (subject: string) => numberAt(TABLE_NAMES.State, keys.status(subject), 'appliedSeq');
  const notifySeq = (subject: string) => numberAt(TABLE_NAMES.Notify, keys.notifyWatermark(subject), 'seq');

  const caughtUp = async (read: (s: string) => Promise<number>, subjects: readonly string[], timeoutMs: number, what: string) => {
    const deadline = performance.now() + timeoutMs;
    const pending = new Set(subjects);
    while (pending.size > 0) {
      for (const s of [...pending]) if ((await read(s)) >= (heads.get(s) ?? 0)) pending.delete(s);
      if (pending.size === 0) break;
      if (performance.now() > deadline) throw new Error(`${what}: ${pending.size} subject(s) not caught up in ${timeoutMs} ms`);
      await sleep(10);
    }
    return performance.now();
  };

  return {
    url,
    stack,
    meter,
    dataDir,
    reporterKey,
    heads,
    async post(events, { key = reporterKey } = {}) {
      const batch = Array.isArray(events);
      const body = JSON.stringify(events);
      for (let retries = 0; ; retries++) {
        const t = performance.now();
        const res = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: {
            'content-type': batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json',
            authorization: `Bearer ${key}`,
          },
          body,
        });
        const text = await res.text();
        const ms = performance.now() - t;
        if ((res.status === 429 || res.status >= 500) && retries < 20) {
          await sleep(50 * (retries + 1));
          continue;
        }
        if (res.status !== 202) throw new Error(`POST /v1/events ${res.status}: ${text}`);
        const out = JSON.parse(text) as { results: { sequence: number; status: string }[] };
        (batch ? events : [events]).forEach((e, i) => {
          heads.set(e.subject, Math.max(heads.get(e.subject) ?? 0, out.results[i]!.sequence));
        });
        return { results: out.results, ms, retries };
      }
    },
    projected: (subjects = [...heads.keys()], timeoutMs = 120_000) => caughtUp(statusSeq, subjects, timeoutMs, 'projection'),
    async settle(quietMs = 1000, timeoutMs = 120_000) {
      await caughtUp(statusSeq, [...heads.keys()], timeoutMs, 'projection');
      await caughtUp(notifySeq, [...heads.keys()], timeoutMs, 'notification');
      const deadline = performance.now() + timeoutMs;
      let last = meter.countedRequests();
      let quietSince = performance.now();
      while (performance.now() - quietSince < quietMs) {
        if (performance.now() > deadline) throw new Error('the pipeline did not go quiet');
        await sleep(100);
        const now = meter.countedRequests();
        if (now !== last) {
          last = now;
          quietSince = performance.now();
        }
      }
    },
    statusSeq,
    async preload(events, { chunk = 100, concurrency = 4 } = {}) {
      // A subject's chunks go one after another: chunks of one subject in flight together would be
      // sequenced in whichever order they reach its lane, not in the order of `events`.
      const bySubject = new Map<string, TrackerEvent[]>();
      for (const e of events) {
        const list = bySubject.get(e.subject);
        if (list) list.push(e);
        else bySubject.set(e.subject, [e]);
      }
      await pool([...bySubject.values()], concurrency, async (list) => {
        for (let i = 0; i < list.length; i += chunk) {
          const part = list.slice(i, i + chunk);
          const results = await stack.tracker.ingest(part);
          part.forEach((e, k) => heads.set(e.subject, Math.max(heads.get(e.subject) ?? 0, results[k]!.sequence)));
        }
      });
    },
    async load(events, { concurrency = 4 } = {}) {
      const times = await loadEvents(stack, probeDoc, events, concurrency);
      for (const [subject, sequence] of times.heads) heads.set(subject, Math.max(heads.get(subject) ?? 0, sequence));
      return times;
    },
    probe,
    async stop() {
      probe.destroy();
      try {
        await stack.stop();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

export interface LoadTimes {
  events: number;
  subjects: number;
  /** Seconds writing the event log's items, then projecting every subject. */
  writeSeconds: number;
  projectSeconds: number;
  /** Subject → its head sequence after the load. */
  heads: Map<string, number>;
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

/**
 * The items the tracker's ingest would have stored for `events`, written without its transactions:
 * each subject's new events are stamped as `Lane.commit` in src/services/ingest.ts stamps them
 * (sequences after the subject's head, `recordedAt` = now or the head's if later, the content hash
 * of the event) and turned into items by the event log adapter's own `buildAppendItems` (log items
 * with the feed index attributes, id items, the head with its subject-list index attributes), then
 * written by `BatchWriteItem` on the unmetered client (DynamoDB Local spends about half as much per
 * item as on the 99-item conditional transactions of ingest). Then every subject is projected in
 * process by the tracker's own projector, and enqueued as ingest enqueues it: the projector poller
 * finds nothing left, the notifier poller advances the notify watermark.
 */
async function loadEvents(stack: LocalStack, doc: DynamoDBDocumentClient, events: readonly TrackerEvent[], concurrency: number): Promise<LoadTimes> {
  const bySubject = new Map<string, TrackerEvent[]>();
  for (const e of events) {
    // Ingest hashes the event without a JSON `datacontenttype` (comparedContent); these never have one.
    if (e.datacontenttype !== undefined) throw new Error('load: events with datacontenttype are not supported; use preload');
    const list = bySubject.get(e.subject) ?? [];
    list.push(e);
    bySubject.set(e.subject, list);
  }
  const subjects = [...bySubject.keys()];
  const { tracker } = stack;
  const stored = await tracker.log.heads(subjects);
  const now = instantOf(new Date());
  const requests: Record<string, unknown>[][] = [];
  const heads = new Map<string, number>();
  for (const [subject, list] of bySubject) {
    const head = stored.get(subject);
    const first = head?.sequence ?? 0;
    const recordedAt = formatMillis(head ? maxInstant(now, head.recordedAt) : now);
    const group = {
      subject,
      // 0: the head is written whole (a Put with its index attributes), as the first append writes it.
      expectedSequence: 0,
      events: list.map((event, i) => ({ hash: contentHash(event), event: { ...event, sequence: first + i + 1, recordedAt } as StoredEvent })),
    };
    const puts = buildAppendItems(TABLE_NAMES.Events, [group]).map((item) => {
      if (!item.Put?.Item) throw new Error('load: expected only puts from buildAppendItems with expectedSequence 0');
      return { PutRequest: { Item: item.Put.Item } };
    });
    for (let i = 0; i < puts.length; i += 25) requests.push(puts.slice(i, i + 25));
    heads.set(subject, first + list.length);
  }
  const began = performance.now();
  await pool(requests, concurrency, async (request) => {
    let pending = request;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [TABLE_NAMES.Events]: pending as never } }));
      pending = (out.UnprocessedItems?.[TABLE_NAMES.Events] ?? []) as typeof pending;
      if (attempt > 20 && pending.length > 0) throw new Error('load: BatchWriteItem left items unprocessed');
    }
  });
  const written = performance.now();
  // Each subject is enqueued once projected, ten at a time, so the notifier works while the rest are projected.
  let done: string[] = [];
  const enqueues: Promise<void>[] = [];
  await pool(subjects, concurrency, async (subject) => {
    const run = await tracker.project(subject);
    if (run.appliedSeq !== heads.get(subject)) throw new Error(`load: ${subject} projected to ${run.appliedSeq}, head ${heads.get(subject)}`);
    done.push(subject);
    if (done.length >= 10) {
      enqueues.push(tracker.queue.requestProjection(done));
      done = [];
    }
  });
  enqueues.push(tracker.queue.requestProjection(done));
  await Promise.all(enqueues);
  const projected = performance.now();
  return {
    events: events.length,
    subjects: subjects.length,
    writeSeconds: round((written - began) / 1000, 1),
    projectSeconds: round((projected - written) / 1000, 1),
    heads,
  };
}

async function resolveEndpoint(client: DynamoDBClient): Promise<string> {
  const provider = client.config.endpoint;
  if (!provider) throw new Error('the tracker DynamoDB client has no endpoint (not local?)');
  const e = await provider();
  return `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}${e.path === '/' ? '' : e.path}`;
}
