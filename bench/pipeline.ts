/**
 * Core pipeline figures on the local stack: DynamoDB capacity units per event at ingest and at
 * projection, SQS requests per event, and lag from an accepted POST to visible status at a steady
 * rate. `--quick` runs a few seconds (part of `npm test`, so the benchmark cannot rot).
 *
 *   npm run bench            # full run, writes bench/results.json
 *   npm run bench -- --quick
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startLocalStack } from '../local/stack.ts';
import { Meter } from './meter.ts';
import { randomEvents } from '../tests/support/random-events.ts';

export interface PipelineFigures {
  events: number;
  mode: 'single' | 'batched';
  ingestWruPerEvent: number;
  ingestRruPerEvent: number;
  projectionWruPerEvent: number;
  projectionRruPerEvent: number;
  sqsRequestsPerEvent: number;
  sqsSendRequestsPerEvent: number;
  dynamodbRequestsPerEvent: number;
}

export interface LagFigures {
  ratePerSec: number;
  events: number;
  statusP50Ms: number;
  statusP99Ms: number;
  statusMaxMs: number;
  /** Status polls that failed at the socket (retried); reported, not hidden. */
  watcherResets: number;
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

/** A reporter key for every source, subject and type: the realistic path (auth + rate limit). */
async function reporterKey(url: string): Promise<string> {
  const res = await fetch(`${url}/v1/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
    body: JSON.stringify({ name: 'bench', role: 'reporter', sources: ['*'], subjects: ['*'], types: ['*'], rateLimitPerMinute: 100_000 }),
  });
  return ((await res.json()) as { key: string }).key;
}

let reporter = ADMIN_KEY;

async function post(url: string, body: unknown, batch: boolean) {
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: {
      'content-type': batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json',
      authorization: `Bearer ${reporter}`,
    },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST ${res.status}: ${await res.text()}`);
  return (await res.json()) as { results: { sequence: number; status: string }[] };
}

async function waitProjected(url: string, recipients: string[], expected: Map<string, number>) {
  for (const id of recipients) {
    for (;;) {
      const status = (await (await fetch(`${url}/v1/recipients/${id}`)).json()) as { sequence?: number };
      if ((status.sequence ?? 0) >= (expected.get(id) ?? 0)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

export async function measureCost(mode: 'single' | 'batched', count: number, seed: number): Promise<PipelineFigures> {
  const stack = await startLocalStack({ seed: '0', adminKey: ADMIN_KEY });
  try {
    const meter = new Meter();
    meter.attach(stack.tracker.clients.dynamodb, stack.tracker.clients.sqs);
    reporter = await reporterKey(stack.url);
    const events = randomEvents({ seed, count, recipients: 8, retractionShare: 0.02, prefix: `cost-${mode}` });
    const recipients = [...new Set(events.map((e) => e.subject.slice('recipients/'.length)))];
    const heads = new Map<string, number>();
    meter.reset();
    const clients = 8;
    const size = mode === 'batched' ? 25 : 1;
    const chunks: (typeof events)[] = [];
    for (let i = 0; i < events.length; i += size) chunks.push(events.slice(i, i + size));
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = c; i < chunks.length; i += clients) {
          const out = await post(stack.url, size === 1 ? chunks[i]![0] : chunks[i], size > 1);
          chunks[i]!.forEach((e, j) => {
            const id = e.subject.slice('recipients/'.length);
            heads.set(id, Math.max(heads.get(id) ?? 0, out.results[j]!.sequence));
          });
        }
      }),
    );
    await waitProjected(stack.url, recipients, heads);
    // Let the pollers finish deleting what they handled, then read the meter.
    await new Promise((r) => setTimeout(r, 1500));
    const readsOfStatus = meter.requests.get('dynamodb:GetItemCommand') ?? 0;
    return {
      events: count,
      mode,
      // Ingest: the log (Events) plus the key lookup and rate-limit counter (Keys).
      ingestWruPerEvent: round((meter.unitsOf('tracker-events', 'write') + meter.unitsOf('tracker-keys', 'write')) / count, 3),
      ingestRruPerEvent: round((meter.unitsOf('tracker-events', 'read') + meter.unitsOf('tracker-keys', 'read')) / count, 3),
      projectionWruPerEvent: round(meter.unitsOf('tracker-state', 'write') / count, 3),
      projectionRruPerEvent: round(meter.unitsOf('tracker-state', 'read') / count, 3),
      sqsRequestsPerEvent: round(meter.total('sqs:') / count, 3),
      sqsSendRequestsPerEvent: round((meter.requests.get('sqs:SendMessageBatchCommand') ?? 0) / count, 3),
      dynamodbRequestsPerEvent: round((meter.total('dynamodb:') - readsOfStatus) / count, 3),
    };
  } finally {
    await stack.stop();
  }
}

/** Posts single events at a steady rate; a watcher per recipient notes when each sequence becomes visible. */
export async function measureLag(ratePerSec: number, seconds: number, seed: number): Promise<LagFigures> {
  const stack = await startLocalStack({ seed: '0', adminKey: ADMIN_KEY });
  try {
    reporter = await reporterKey(stack.url);
    const events = randomEvents({ seed, count: ratePerSec * seconds, recipients: 4, retractionShare: 0, prefix: 'lag' });
    const recipients = [...new Set(events.map((e) => e.subject.slice('recipients/'.length)))];
    const accepted = new Map<string, number>(); // `${recipient}#${seq}` → ms
    const visible = new Map<string, number>();
    let done = false;
    let resets = 0;
    const watchers = recipients.map(async (id) => {
      let seen = 0;
      while (!done || seen < Math.max(0, ...[...accepted.keys()].filter((k) => k.startsWith(`${id}#`)).map((k) => Number(k.split('#')[1])))) {
        const status = (await fetch(`${stack.url}/v1/recipients/${id}`).then((r) => r.json(), (error: unknown) => {
          resets++;
          if (resets > 100) throw error;
          return {};
        })) as { sequence?: number };
        const now = performance.now();
        for (let s = seen + 1; s <= (status.sequence ?? 0); s++) visible.set(`${id}#${s}`, now);
        seen = Math.max(seen, status.sequence ?? 0);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    const start = performance.now();
    await Promise.all(
      events.map(async (event, i) => {
        const due = start + (i * 1000) / ratePerSec;
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
        const out = await post(stack.url, event, false);
        accepted.set(`${event.subject.slice('recipients/'.length)}#${out.results[0]!.sequence}`, performance.now());
      }),
    );
    done = true;
    await Promise.all(watchers);
    const lags = [...accepted].map(([k, t]) => Math.max(0, (visible.get(k) ?? NaN) - t));
    return {
      ratePerSec,
      events: events.length,
      statusP50Ms: round(percentile(lags, 50), 1),
      statusP99Ms: round(percentile(lags, 99), 1),
      statusMaxMs: round(Math.max(...lags), 1),
      watcherResets: resets,
    };
  } finally {
    await stack.stop();
  }
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename);
if (isMain) {
  const quick = process.argv.includes('--quick');
  const n = quick ? 100 : 2000;
  const single = await measureCost('single', n, 1);
  const batched = await measureCost('batched', n, 2);
  const lag = await measureLag(100, quick ? 3 : 30, 3);
  const results = { measuredAt: new Date().toISOString(), quick, pipeline: { single, batched }, lag };
  console.table([single, batched]);
  console.table([lag]);
  if (!quick) writeFileSync(resolve(import.meta.dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
}
