/**
 * Lag at a steady rate: single delivery events posted on a fixed schedule (open loop, `rate` per
 * second), each timed from its accepted POST (the 202 arriving) to (a) its status being visible —
 * the recipient's status item, read consistently as `GET /v1/recipients/{id}` reads it, shows the
 * event's sequence — and (b) its webhook arriving at a local receiver subscribed to `delivery.*`.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TrackerEvent } from '../src/domain/event-schema.ts';
import { type BenchStack, createKey } from './harness.ts';
import { percentile, round, sleep } from './stats.ts';

export interface LagFigures {
  ratePerSec: number;
  events: number;
  /** Achieved posting rate (accepted events / posting time). */
  achievedPerSec: number;
  /** Events not posted because `maxInFlight` posts were already waiting (the rate was not sustained). */
  skipped: number;
  statusP50Ms: number;
  statusP99Ms: number;
  statusMaxMs: number;
  webhookP50Ms: number;
  webhookP99Ms: number;
  webhookMaxMs: number;
  webhooksReceived: number;
  /** POST round trip (client side). */
  postP50Ms: number;
  postP99Ms: number;
}

export interface WebhookReceiver {
  url: string;
  /** Event id → first arrival (performance.now()). */
  arrivals: Map<string, number>;
  received: number;
  close(): Promise<void>;
}

/** A subscriber on 127.0.0.1 that notes when each event's first webhook arrives and answers 204. */
export async function startReceiver(): Promise<WebhookReceiver> {
  const arrivals = new Map<string, number>();
  const receiver = { arrivals, received: 0 } as WebhookReceiver;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      receiver.received++;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { event?: { id?: string } } };
        const id = body.data?.event?.id;
        if (id && !arrivals.has(id)) arrivals.set(id, at);
      } catch {
        // counted as received; a malformed body has no event to time
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () => new Promise<void>((done) => {
    server.closeAllConnections();
    server.close(() => done());
  });
  return receiver;
}

/** Creates a subscriber key and a subscription of it; returns a function that deletes it. */
export async function subscribe(b: BenchStack, url: string, types: string[] = ['delivery.*']): Promise<() => Promise<void>> {
  const key = await createKey(b.url, { name: 'bench subscriber', role: 'subscriber', rateLimitPerMinute: 100_000 });
  const res = await fetch(`${b.url}/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ url, types }),
  });
  if (res.status !== 201) throw new Error(`POST /v1/subscriptions ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  return async () => {
    const del = await fetch(`${b.url}/v1/subscriptions/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
    if (del.status !== 200) throw new Error(`DELETE /v1/subscriptions/${id} ${del.status}`);
  };
}

export async function measureLag(
  b: BenchStack,
  receiver: WebhookReceiver,
  events: readonly TrackerEvent[],
  ratePerSec: number,
  maxInFlight = 64,
): Promise<LagFigures & { apiTotalMs: number; accepted: number }> {
  const subjects = [...new Set(events.map((e) => e.subject))];
  const accepted = new Map<string, { at: number; id: string }>(); // `${subject}#${seq}` → accepted
  const visible = new Map<string, number>();
  const postMs: number[] = [];
  let posting = true;
  const watchers = subjects.map(async (subject) => {
    let seen = await b.statusSeq(subject);
    for (;;) {
      const target = b.heads.get(subject) ?? 0;
      if (!posting && seen >= target) return;
      const seq = await b.statusSeq(subject);
      const now = performance.now();
      for (let s = seen + 1; s <= seq; s++) visible.set(`${subject}#${s}`, now);
      seen = Math.max(seen, seq);
      await sleep(5);
    }
  });
  let inFlight = 0;
  let skipped = 0;
  const start = performance.now();
  await Promise.all(
    events.map(async (event, i) => {
      await sleep(Math.max(0, start + (i * 1000) / ratePerSec - performance.now()));
      if (inFlight >= maxInFlight) {
        skipped++;
        return;
      }
      inFlight++;
      const out = await b.post(event).finally(() => inFlight--);
      postMs.push(out.ms);
      accepted.set(`${event.subject}#${out.results[0]!.sequence}`, { at: performance.now(), id: event.id });
    }),
  );
  const postingSeconds = (performance.now() - start) / 1000;
  posting = false;
  await Promise.all(watchers);
  const deadline = performance.now() + 60_000;
  const wanted = [...accepted.values()].map((a) => a.id);
  while (wanted.some((id) => !receiver.arrivals.has(id)) && performance.now() < deadline) await sleep(50);

  const statusLags = [...accepted].map(([k, a]) => Math.max(0, (visible.get(k) ?? NaN) - a.at));
  const hookLags = [...accepted.values()].flatMap((a) => {
    const at = receiver.arrivals.get(a.id);
    return at === undefined ? [] : [Math.max(0, at - a.at)];
  });
  return {
    ratePerSec,
    events: accepted.size,
    achievedPerSec: round(accepted.size / postingSeconds, 1),
    skipped,
    statusP50Ms: round(percentile(statusLags, 50), 1),
    statusP99Ms: round(percentile(statusLags, 99), 1),
    statusMaxMs: round(Math.max(...statusLags), 1),
    webhookP50Ms: round(percentile(hookLags, 50), 1),
    webhookP99Ms: round(percentile(hookLags, 99), 1),
    webhookMaxMs: round(Math.max(...hookLags), 1),
    webhooksReceived: hookLags.length,
    postP50Ms: round(percentile(postMs, 50), 1),
    postP99Ms: round(percentile(postMs, 99), 1),
    apiTotalMs: postMs.reduce((a, b) => a + b, 0),
    accepted: accepted.size,
  };
}
