/**
 * Subscriptions and signed webhooks (CONTRACT §6) on the real emulators, through the same handlers
 * the Lambda functions run (the notifier and delivery pollers and the retry sweeper as `npm start`
 * runs them). Receivers are plain `node:http` servers on 127.0.0.1 that verify every delivery with
 * the `standardwebhooks` package exactly as a subscriber would; the tracker runs with
 * `TRACKER_ALLOW_PRIVATE_WEBHOOKS=1` and a tiny `TRACKER_WEBHOOK_RETRY_SCALE`, except where the
 * SSRF guard itself is under test.
 */
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type NotificationConsumers, startNotificationConsumers } from '../../local/notification-consumers.ts';
import { createNotifierHandler } from '../../src/consumers/notifier-handler.ts';
import type { StoredEvent } from '../../src/domain/event-schema.ts';
import { foldEvents, recipientView } from '../../src/domain/status.ts';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { NOTIFY_SNAPSHOT_LAYOUT, createDynamoProjectionStore, statusItem } from '../../src/adapters/dynamodb-projection-store.ts';
import { createDynamoRebuildStore } from '../../src/adapters/dynamodb-rebuild-store.ts';
import { createRebuild } from '../../src/services/rebuild.ts';
import { createProjector } from '../../src/services/projector.ts';
import { type DeliveryView, MAX_ATTEMPTS, webhookIdOf } from '../../src/domain/webhooks.ts';
import { createWebhooks } from '../../src/runtime-delivery.ts';
import {
  asAdmin, ev, newTracker, receiveAll, sqsEventOf, startEmulators, type Emulators, type TestTracker,
} from './tracker-harness.ts';

let emu: Emulators;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  emu = await startEmulators();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await emu?.stop();
});

const LOCAL = { TRACKER_ALLOW_PRIVATE_WEBHOOKS: '1', TRACKER_WEBHOOK_RETRY_SCALE: '0.001' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A tracker whose notifier, delivery worker and sweeper run as on `npm start`. */
async function runningTracker(env: Record<string, string> = LOCAL): Promise<TestTracker> {
  const t = await newTracker(emu, env);
  const consumers: NotificationConsumers = startNotificationConsumers({ sqs: emu.clients.sqs, webhooks: t.webhooks, logger: t.tracker.logger, queues: t.queues, sweepEveryMs: 200 });
  cleanups.push(() => consumers.stop());
  return t;
}

async function api(t: TestTracker, method: string, path: string, body?: unknown, auth: Record<string, string> = asAdmin) {
  const res = await t.app.request(path, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function keyOf(t: TestTracker, role: 'subscriber' | 'reporter', name: string = role) {
  const made = await api(t, 'POST', '/v1/keys', { name, role });
  expect(made.status).toBe(201);
  return { id: made.body.id as string, auth: { authorization: `Bearer ${made.body.key}` } };
}

async function post(t: TestTracker, events: unknown[]) {
  const res = await t.app.request('/v1/events', {
    method: 'POST',
    headers: { ...asAdmin, 'content-type': 'application/cloudevents-batch+json' },
    body: JSON.stringify(events),
  });
  expect(res.status).toBe(202);
}

interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  /** `new Webhook(secret).verify(body, headers)` passed. */
  verified: boolean;
}
interface Answer {
  status: number;
  headers?: Record<string, string>;
  delayMs?: number;
}
interface Receiver {
  url: string;
  hits: Hit[];
  secret: string;
}

/** An HTTP receiver on 127.0.0.1 answering its n-th request (1-based) with `answer(n)`. */
async function receiver(answer: (n: number) => Answer = () => ({ status: 204 })): Promise<Receiver> {
  const r: Receiver = { url: '', hits: [], secret: '' };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      let verified = false;
      try {
        new Webhook(r.secret).verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      r.hits.push({ headers: req.headers, body, at: Date.now(), verified });
      const a = answer(r.hits.length);
      setTimeout(() => {
        res.writeHead(a.status, a.headers ?? {});
        res.end();
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  });
  return r;
}

async function subscribe(t: TestTracker, r: Receiver, body: Record<string, unknown> = {}, auth: Record<string, string> = asAdmin) {
  const made = await api(t, 'POST', '/v1/subscriptions', { url: r.url, ...body }, auth);
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  r.secret = made.body.secret;
  return made.body as { id: string; secret: string; url: string; types: string[]; recipients: string[]; status: string };
}

async function deliveriesOf(t: TestTracker, subscriptionId: string, auth: Record<string, string> = asAdmin): Promise<DeliveryView[]> {
  const page = await api(t, 'GET', `/v1/subscriptions/${subscriptionId}/deliveries?limit=100`, undefined, auth);
  expect(page.status).toBe(200);
  return page.body.items;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await sleep(50);
  }
}

const samsung = 'recipients/samsung';
const shipped = (id = 'shp-1', subject = samsung) => ev.delivery('shipped', subject, id, `s-${id}`, 500);

describe('delivery', () => {
  it('sends a matching event once, signed, with the event and the status after it; others get nothing', async () => {
    const t = await runningTracker();
    const all = await receiver();
    const other = await receiver();
    const registrations = await receiver();
    const a = await subscribe(t, all); // default: delivery.*, every recipient
    expect(a).toMatchObject({ url: all.url, types: ['delivery.*'], recipients: [], status: 'active' });
    expect(a.id).toMatch(/^sub_/);
    expect(a.secret).toMatch(/^whsec_/);
    expect(Buffer.from(a.secret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);
    await subscribe(t, other, { types: ['delivery.shipped'], recipients: ['sk-hynix'] });
    const r = await subscribe(t, registrations, { types: ['recipient.registered'] });

    await post(t, [ev.registered(samsung, 'reg-1', { name: 'Samsung' }), ev.allocation(samsung, 'al-1', 'p1', 1000), shipped()]);
    await eventually('both deliveries recorded as delivered', async () =>
      (await deliveriesOf(t, a.id)).every((d) => d.state === 'delivered') && (await deliveriesOf(t, r.id)).some((d) => d.state === 'delivered'));
    await sleep(500);
    expect(all.hits).toHaveLength(1);
    expect(other.hits).toHaveLength(0);
    expect(registrations.hits).toHaveLength(1);

    const log = (await t.tracker.log.read(samsung, { after: 0, limit: 10 })) as StoredEvent[];
    const hit = all.hits[0]!;
    expect(hit.verified).toBe(true);
    expect(hit.headers['content-type']).toBe('application/json');
    const body = JSON.parse(hit.body);
    expect(body).toEqual({
      type: 'delivery.shipped',
      timestamp: log[2]!.recordedAt,
      data: { event: log[2], status: JSON.parse(JSON.stringify(recipientView(foldEvents(samsung, log).state))) },
    });
    expect(body.data.event).toMatchObject({ id: 'shp-1', sequence: 3, recordedAt: expect.any(String) });
    expect(body.data.status).toMatchObject({ recipientId: 'samsung', allocated: 1000, shipped: 500, inTransit: 500, sequence: 3 });
    const [delivered] = await deliveriesOf(t, a.id);
    expect(hit.headers['webhook-id']).toBe(delivered!.webhookId);
    expect(delivered!.webhookId).toBe(webhookIdOf(a.id, '/agencies/msit', 'shp-1'));
    expect(delivered).toMatchObject({ state: 'delivered', attempt: 1, nextAttemptAt: null, event: { id: 'shp-1', sequence: 3 } });
    expect(delivered!.attempts).toEqual([expect.objectContaining({ attempt: 1, statusCode: 204, error: null, latencyMs: expect.any(Number) })]);

    // The status is the one right after the event, not the subject's latest.
    const registered = JSON.parse(registrations.hits[0]!.body);
    expect(registered.data.status).toMatchObject({ name: 'Samsung', allocated: 0, shipped: 0, sequence: 1 });

    // As a subscriber would see it: a tampered body or an old timestamp fails verification.
    const wh = new Webhook(a.secret);
    const headers = hit.headers as Record<string, string>;
    expect(() => wh.verify(hit.body.replace('"shipped":500', '"shipped":501'), headers)).toThrow(WebhookVerificationError);
    const old = new Date(Date.now() - 10 * 60_000);
    const oldHeaders = { ...headers, 'webhook-timestamp': String(Math.floor(old.getTime() / 1000)), 'webhook-signature': wh.sign(headers['webhook-id']!, old, hit.body) };
    expect(() => wh.verify(hit.body, oldHeaders)).toThrow(/too old/);
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(hit.body, headers)).toThrow(WebhookVerificationError);
  });

  it('retries a failing endpoint with the same webhook-id and records exactly one success', async () => {
    const t = await runningTracker();
    const flaky = await receiver((n) => ({ status: n <= 2 ? 500 : 200 }));
    const s = await subscribe(t, flaky);
    await post(t, [shipped()]);

    const [d] = await eventually('delivered after retries', async () => {
      const items = await deliveriesOf(t, s.id);
      return items[0]?.state === 'delivered' ? items : undefined;
    });
    await sleep(300);
    expect(flaky.hits).toHaveLength(3);
    expect(flaky.hits.every((h) => h.verified)).toBe(true);
    expect(new Set(flaky.hits.map((h) => h.headers['webhook-id']))).toEqual(new Set([d!.webhookId]));
    expect(new Set(flaky.hits.map((h) => h.body)).size).toBe(1);
    expect(d!.attempts.map((a) => [a.attempt, a.statusCode])).toEqual([[1, 500], [2, 500], [3, 200]]);
    expect(d!.attempts.filter((a) => a.statusCode === 200)).toHaveLength(1);
    expect(d).toMatchObject({ state: 'delivered', attempt: 3, nextAttemptAt: null });

    // A redelivered message for it (SQS at-least-once) sends and records nothing.
    const [stored] = (await t.webhooks.stores.deliveries.list(s.id, { limit: 10 })).items;
    expect(await t.webhooks.deliver({ subscriptionId: s.id, key: stored!.key })).toBe('skipped');
    expect((await deliveriesOf(t, s.id))[0]!.attempts).toHaveLength(3);
    expect(flaky.hits).toHaveLength(3);
  });

  it('honours Retry-After (scaled like every delay)', async () => {
    const t = await runningTracker();
    const busy = await receiver((n) => (n === 1 ? { status: 503, headers: { 'retry-after': '2000' } } : { status: 200 }));
    const s = await subscribe(t, busy);
    await post(t, [shipped()]);
    const [d] = await eventually('delivered after Retry-After', async () => {
      const items = await deliveriesOf(t, s.id);
      return items[0]?.state === 'delivered' ? items : undefined;
    });
    expect(busy.hits).toHaveLength(2);
    // 2000 s × 0.001 = 2 s, where the schedule alone would wait 5 s × 0.001 = 5 ms.
    expect(busy.hits[1]!.at - busy.hits[0]!.at).toBeGreaterThanOrEqual(1_900);
    expect(d!.attempts[0]).toMatchObject({ statusCode: 503, retryAfterMs: 2_000_000 });
  });

  it('disables the subscription when the endpoint answers 410 Gone', async () => {
    const t = await runningTracker();
    const gone = await receiver(() => ({ status: 410 }));
    const s = await subscribe(t, gone);
    await post(t, [shipped('shp-1')]);
    const disabled = await eventually('subscription disabled', async () => {
      const got = await api(t, 'GET', `/v1/subscriptions/${s.id}`);
      return got.body.status === 'disabled' ? got.body : undefined;
    });
    expect(disabled).toMatchObject({ status: 'disabled', disabledReason: expect.stringMatching(/410/) });
    expect(disabled.secret).toBeUndefined();
    const [d] = await deliveriesOf(t, s.id);
    expect(d).toMatchObject({ state: 'failed', attempt: 1, nextAttemptAt: null });
    expect(d!.attempts.map((a) => a.statusCode)).toEqual([410]);

    await post(t, [shipped('shp-2')]);
    await eventually('notifier caught up', async () => (await t.webhooks.stores.watermarks.get([samsung])).get(samsung) === 2);
    await sleep(300);
    expect(gone.hits).toHaveLength(1);
    expect(await deliveriesOf(t, s.id)).toHaveLength(1);
    expect((await api(t, 'POST', `/v1/subscriptions/${s.id}/replay`, { since: '2020-01-01T00:00:00Z' })).status).toBe(400);
  });

  it('after the last attempt marks the delivery failed and copies it to the dead-letter queue', async () => {
    const t = await runningTracker({ ...LOCAL, TRACKER_WEBHOOK_RETRY_SCALE: '0.00001' });
    const dead = await receiver(() => ({ status: 500 }));
    const s = await subscribe(t, dead);
    await post(t, [shipped()]);
    const [d] = await eventually('delivery failed', async () => {
      const items = await deliveriesOf(t, s.id);
      return items[0]?.state === 'failed' ? items : undefined;
    }, 45_000);
    expect(dead.hits).toHaveLength(MAX_ATTEMPTS);
    expect(dead.hits.every((h) => h.verified && h.headers['webhook-id'] === d!.webhookId)).toBe(true);
    expect(d!.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(d!.attempts.every((a) => a.statusCode === 500)).toBe(true);
    expect(d).toMatchObject({ state: 'failed', nextAttemptAt: null });

    const dlq = await receiveAll(t.tracker, t.queues.Delivery.dlqUrl);
    expect(dlq.map((m) => JSON.parse(m.Body!))).toEqual([
      expect.objectContaining({ subscriptionId: s.id, webhookId: d!.webhookId, reason: expect.stringMatching(/10 attempts/) }),
    ]);
  }, 60_000);

  it('a slow endpoint does not delay another subscription', async () => {
    const t = await runningTracker();
    const slow = await receiver(() => ({ status: 200, delayMs: 5_000 }));
    const fast = await receiver();
    await subscribe(t, slow);
    const f = await subscribe(t, fast);
    const posted = Date.now();
    await post(t, [shipped()]);
    await eventually('fast delivery recorded', async () => (await deliveriesOf(t, f.id))[0]?.state === 'delivered');
    const fastDone = Date.now() - posted;
    expect(fastDone).toBeLessThan(3_000);
    expect(fast.hits).toHaveLength(1);
    expect(slow.hits).toHaveLength(1); // received, still waiting for its answer
  });

  it('does not follow redirects: a 3xx is a failed attempt and the target is never called', async () => {
    const t = await runningTracker();
    const target = await receiver();
    const redirecting = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const s = await subscribe(t, redirecting);
    await post(t, [shipped()]);
    const [d] = await eventually('a second attempt recorded', async () => {
      const items = await deliveriesOf(t, s.id);
      return (items[0]?.attempts.length ?? 0) >= 2 ? items : undefined;
    });
    expect(d!.attempts[0]).toMatchObject({ statusCode: 302, error: 'redirects are not followed' });
    expect(target.hits).toHaveLength(0);
  });
});

describe('SSRF guard', () => {
  it('refuses http, loopback, private, link-local, metadata and names resolving to loopback at creation', async () => {
    const t = await newTracker(emu); // TRACKER_ALLOW_PRIVATE_WEBHOOKS unset
    const refused = [
      'http://example.com/hook',
      'http://127.0.0.1/hook',
      'https://127.0.0.1/hook',
      'https://[::1]/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.1/hook',
      'https://172.16.5.4/hook',
      'https://192.168.0.10/hook',
      'https://100.64.0.1/hook',
      'https://[fd00:ec2::254]/',
      'https://[::ffff:127.0.0.1]/hook',
      'https://localhost/hook',
      'ftp://example.com/hook',
    ];
    for (const url of refused) {
      const res = await api(t, 'POST', '/v1/subscriptions', { url });
      expect(res.status, url).toBe(400);
      expect(res.body).toMatchObject({ type: '/problems/validation', detail: expect.stringMatching(/^The webhook URL is refused: /) });
      expect(res.body.errors, url).toEqual([{ index: 0, path: 'url', message: expect.any(String) }]);
    }
    expect((await api(t, 'POST', '/v1/subscriptions', { url: 'https://localhost/hook' })).body.detail).toMatch(/loopback/);
    expect((await api(t, 'GET', '/v1/subscriptions')).body.items).toEqual([]);
  });

  it('checks again before every send: a URL that is no longer allowed is recorded as failed, not sent', async () => {
    const t = await newTracker(emu, LOCAL);
    const local = await receiver();
    const s = await subscribe(t, local); // allowed: private webhooks on
    await post(t, [shipped()]);
    await createNotifierHandler(t.webhooks.notify)(sqsEventOf(await receiveAll(t.tracker, t.queues.Notifier.url)));
    const [message] = await receiveAll(t.tracker, t.queues.Delivery.url);
    const ref = JSON.parse(message!.Body!) as { subscriptionId: string; key: string };

    const strict = createWebhooks({ ...t.config, TRACKER_ALLOW_PRIVATE_WEBHOOKS: '0' }, emu.clients);
    expect(await strict.deliver(ref)).toBe('retrying');
    const [d] = await deliveriesOf(t, s.id);
    expect(d!.attempts).toEqual([expect.objectContaining({ statusCode: null, error: expect.stringMatching(/not sent: url must use https/) })]);
    expect(local.hits).toHaveLength(0);
  });
});

describe('subscription API', () => {
  it('belongs to the key that made it: another key gets 404, admins see all, secrets are shown once', async () => {
    const t = await newTracker(emu, LOCAL);
    const alice = await keyOf(t, 'subscriber', 'alice');
    const bob = await keyOf(t, 'subscriber', 'bob');
    const reporter = await keyOf(t, 'reporter');
    const r = await receiver();
    const s = await subscribe(t, r, { types: ['delivery.*', 'mou.signed'], recipients: ['samsung'] }, alice.auth);

    const mine = await api(t, 'GET', '/v1/subscriptions', undefined, alice.auth);
    expect(mine.body.items).toEqual([expect.objectContaining({ id: s.id, owner: alice.id, types: ['delivery.*', 'mou.signed'], recipients: ['samsung'] })]);
    expect(mine.body.items[0].secret).toBeUndefined();
    expect((await api(t, 'GET', `/v1/subscriptions/${s.id}`, undefined, alice.auth)).body).toMatchObject({ id: s.id, status: 'active' });
    expect((await api(t, 'GET', `/v1/subscriptions/${s.id}`, undefined, alice.auth)).body.secret).toBeUndefined();

    expect((await api(t, 'GET', '/v1/subscriptions', undefined, bob.auth)).body.items).toEqual([]);
    for (const [method, path, body] of [
      ['GET', `/v1/subscriptions/${s.id}`, undefined],
      ['GET', `/v1/subscriptions/${s.id}/deliveries`, undefined],
      ['POST', `/v1/subscriptions/${s.id}/replay`, { since: '2025-01-01T00:00:00Z' }],
      ['DELETE', `/v1/subscriptions/${s.id}`, undefined],
      ['GET', '/v1/subscriptions/sub_00000000000000000000', undefined],
      ['GET', '/v1/subscriptions/nonsense', undefined],
    ] as const) {
      const res = await api(t, method, path, body, bob.auth);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.type).toBe('/problems/not-found');
    }
    expect((await api(t, 'GET', '/v1/subscriptions')).body.items.map((i: { id: string }) => i.id)).toEqual([s.id]);
    expect((await api(t, 'GET', `/v1/subscriptions/${s.id}`)).status).toBe(200);

    expect((await api(t, 'POST', '/v1/subscriptions', { url: r.url }, reporter.auth)).status).toBe(403);
    expect((await api(t, 'POST', '/v1/subscriptions', { url: r.url }, {})).status).toBe(401);
    expect((await api(t, 'POST', '/v1/subscriptions', { url: r.url, extra: 1 }, alice.auth)).status).toBe(400);
    expect((await api(t, 'POST', '/v1/subscriptions', { url: r.url, types: ['delivery*'] }, alice.auth)).status).toBe(400);
    expect((await api(t, 'POST', '/v1/subscriptions', { url: r.url, recipients: ['Not An Id'] }, alice.auth)).status).toBe(400);
    const big = await t.app.request('/v1/subscriptions', {
      method: 'POST', headers: { ...alice.auth, 'content-type': 'application/json' }, body: JSON.stringify({ url: r.url, pad: 'x'.repeat(17_000) }),
    });
    expect(big.status).toBe(413);

    const deleted = await api(t, 'DELETE', `/v1/subscriptions/${s.id}`, undefined, alice.auth);
    expect(deleted).toMatchObject({ status: 200, body: { id: s.id } });
    expect((await api(t, 'GET', `/v1/subscriptions/${s.id}`, undefined, alice.auth)).status).toBe(404);
    expect((await api(t, 'GET', '/v1/subscriptions', undefined, alice.auth)).body.items).toEqual([]);
  });

  it('redelivering the notifier\'s SQS batch creates no duplicate deliveries; the log pages with a cursor', async () => {
    const t = await newTracker(emu, LOCAL);
    const r = await receiver();
    const s = await subscribe(t, r);
    await post(t, [shipped('shp-1'), shipped('shp-2'), ev.registered(samsung, 'reg-1'), shipped('shp-3', 'recipients/sk-hynix')]);
    const batch = sqsEventOf(await receiveAll(t.tracker, t.queues.Notifier.url));
    expect(batch.Records).toHaveLength(2); // one message per subject and request
    const handler = createNotifierHandler(t.webhooks.notify);
    expect(await handler(batch)).toEqual({ batchItemFailures: [] });
    const [again1, again2] = await Promise.all([handler(batch), handler(batch)]);
    expect(again1).toEqual({ batchItemFailures: [] });
    expect(again2).toEqual({ batchItemFailures: [] });

    const queued = await receiveAll(t.tracker, t.queues.Delivery.url);
    expect(queued).toHaveLength(3);
    const deliveries = await deliveriesOf(t, s.id);
    expect(deliveries.map((d) => d.event.id).sort()).toEqual(['shp-1', 'shp-2', 'shp-3']);
    expect(new Set(deliveries.map((d) => d.webhookId)).size).toBe(3);
    expect(deliveries.every((d) => d.state === 'pending' && d.attempts.length === 0)).toBe(true);

    const first = await api(t, 'GET', `/v1/subscriptions/${s.id}/deliveries?limit=2`);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await api(t, 'GET', `/v1/subscriptions/${s.id}/deliveries?limit=2&after=${first.body.next}`);
    const paged = [...first.body.items, ...second.body.items].map((d: DeliveryView) => d.webhookId);
    expect(new Set(paged)).toEqual(new Set(deliveries.map((d) => d.webhookId)));
    expect((await api(t, 'GET', `/v1/subscriptions/${s.id}/deliveries?after=garbage`)).status).toBe(400);
  });

  it('folds the status after each event from its snapshot, not from the log\'s start; behind or ahead of the watermark alike', async () => {
    const t = await newTracker(emu, LOCAL);
    const r = await receiver();
    const s = await subscribe(t, r, { recipients: ['samsung'] });
    const snapshots = createDynamoProjectionStore(emu.clients.doc, t.config.NOTIFY_TABLE, NOTIFY_SNAPSHOT_LAYOUT);
    const notifyAll = async () => {
      await createNotifierHandler(t.webhooks.notify)(sqsEventOf(await receiveAll(t.tracker, t.queues.Notifier.url)));
      await receiveAll(t.tracker, t.queues.Delivery.url);
    };
    /** Every delivery's status equals the fold of the log up to its event. */
    const expectStatusesFromTheFold = async (count: number) => {
      const log = (await t.tracker.log.read(samsung, { after: 0, limit: 1000 })) as StoredEvent[];
      const { items } = await t.webhooks.stores.deliveries.list(s.id, { limit: 100 });
      expect(items).toHaveLength(count);
      for (const d of items) {
        const upTo = log.filter((e) => e.sequence <= d.event.sequence);
        expect(JSON.parse(d.payload).data.status, d.event.id).toEqual(JSON.parse(JSON.stringify(recipientView(foldEvents(samsung, upTo).state))));
      }
    };

    // Nothing matches: the watermark moves, the snapshot is left alone.
    await post(t, [ev.registered(samsung, 'reg-1', { name: 'Samsung' }), ev.allocation(samsung, 'al-1', 'p1', 1000), ev.allocation(samsung, 'al-2', 'p1', 900)]);
    await notifyAll();
    expect(await snapshots.load(samsung)).toBeUndefined();

    // A match: the snapshot catches up on the gap and stops at the watermark.
    await post(t, [shipped('shp-1')]);
    await notifyAll();
    expect((await snapshots.load(samsung))?.appliedSeq).toBe(4);
    await post(t, [ev.retraction(samsung, 'rx-1', 'al-2'), shipped('shp-2'), ev.delivery('received', samsung, 'rcv-1', 's-shp-1', 500)]);
    await notifyAll();
    expect((await snapshots.load(samsung))?.appliedSeq).toBe(7);
    await expectStatusesFromTheFold(3);

    // A snapshot ahead of the watermark (a run stopped between the two): those statuses come from the log.
    await post(t, [shipped('shp-3'), ev.delivery('installed', samsung, 'ins-1', 's-shp-1', 500)]);
    await createProjector({ log: t.tracker.log, store: snapshots })(samsung);
    expect((await snapshots.load(samsung))?.appliedSeq).toBe(9);
    await notifyAll();
    await expectStatusesFromTheFold(5);
    expect(recipientView((await snapshots.load(samsung))!)).toEqual(recipientView(foldEvents(samsung, await t.tracker.log.read(samsung, { after: 0, limit: 100 })).state));

    // `npm run rebuild` rewriting the subject's projection drops its snapshot too.
    await post(t, [ev.registered('recipients/sk-hynix', 'reg-sk'), shipped('shp-sk', 'recipients/sk-hynix')]);
    await notifyAll();
    await createProjector({ log: t.tracker.log, store: t.tracker.store })(samsung);
    await createProjector({ log: t.tracker.log, store: t.tracker.store })('recipients/sk-hynix');
    const status = (await t.tracker.store.load(samsung))!;
    await emu.clients.doc.send(new PutCommand(statusItem(t.config.STATE_TABLE, { ...status, counters: { ...status.counters, delivered: 1 } }, status.appliedSeq)));
    const rebuild = createRebuild({
      log: t.tracker.log,
      store: createDynamoRebuildStore(emu.clients.doc, t.config.STATE_TABLE),
      snapshots: createDynamoRebuildStore(emu.clients.doc, t.config.NOTIFY_TABLE, NOTIFY_SNAPSHOT_LAYOUT),
    });
    const report = await rebuild({ subjects: [samsung, 'recipients/sk-hynix'] });
    expect(report.changed.map((c) => c.subject)).toEqual([samsung]);
    expect(await snapshots.load(samsung)).toBeUndefined();
    expect(await snapshots.load('recipients/sk-hynix')).toBeUndefined(); // never subscribed to: no snapshot was made
    await post(t, [shipped('shp-4')]);
    await notifyAll();
    await expectStatusesFromTheFold(6);
    expect((await snapshots.load(samsung))?.appliedSeq).toBe(10);
  });

  it('folds a snapshot more than a page behind (over 500 events) right: later pages see the keys the earlier ones changed', async () => {
    const t = await newTracker(emu, LOCAL);
    const r = await receiver();
    const s = await subscribe(t, r, { types: ['delivery.installed'], recipients: ['samsung'] });
    const notifyAll = async () => {
      await createNotifierHandler(t.webhooks.notify)(sqsEventOf(await receiveAll(t.tracker, t.queues.Notifier.url)));
      await receiveAll(t.tracker, t.queues.Delivery.url);
    };
    // One shipment shipped, then received again and again (the same key in every page), never installed.
    const history = [shipped('shp-0'), ...Array.from({ length: 620 }, (_, i) => ev.delivery('received', samsung, `rcv-${i}`, 's-shp-0', 1 + (i % 500)))];
    for (let i = 0; i < history.length; i += 100) await post(t, history.slice(i, i + 100));
    await notifyAll(); // nothing matches: the snapshot stays empty
    await post(t, [ev.delivery('installed', samsung, 'ins-0', 's-shp-0', 500)]);
    await notifyAll();
    const log = (await t.tracker.log.read(samsung, { after: 0, limit: 1000 })) as StoredEvent[];
    const { items } = await t.webhooks.stores.deliveries.list(s.id, { limit: 10 });
    expect(items).toHaveLength(1);
    expect(JSON.parse(items[0]!.payload).data.status).toEqual(JSON.parse(JSON.stringify(recipientView(foldEvents(samsung, log).state))));
    expect(JSON.parse(items[0]!.payload).data.status).toMatchObject({ shipped: 500, delivered: 500, installed: 500, sequence: 622 });
  });

  it('replay re-sends everything matching since a time with the original webhook ids, events before the subscription included', async () => {
    const t = await runningTracker();
    await post(t, [shipped('shp-0')]); // before any subscription
    const r = await receiver();
    const s = await subscribe(t, r);
    await post(t, [shipped('shp-1')]);
    await eventually('first delivery', async () => (await deliveriesOf(t, s.id))[0]?.state === 'delivered');
    expect(r.hits).toHaveLength(1);
    const originalId = r.hits[0]!.headers['webhook-id'];

    const replayed = await api(t, 'POST', `/v1/subscriptions/${s.id}/replay`, { since: '2020-01-01T00:00:00+09:00' });
    expect(replayed).toMatchObject({ status: 202, body: { replayed: 2, pending: 0 } });
    await eventually('both replayed deliveries sent', async () => r.hits.length === 3 && (await deliveriesOf(t, s.id)).every((d) => d.state === 'delivered'));
    expect(r.hits.every((h) => h.verified)).toBe(true);
    const ids = r.hits.map((h) => h.headers['webhook-id']);
    expect(ids.filter((id) => id === originalId)).toHaveLength(2);
    expect(ids).toContain(webhookIdOf(s.id, '/agencies/msit', 'shp-0'));
    const log = await deliveriesOf(t, s.id);
    const resent = log.find((d) => d.webhookId === originalId)!;
    expect(resent.attempts.map((a) => [a.round, a.attempt, a.statusCode])).toEqual([[1, 1, 204], [2, 1, 204]]);
    expect(r.hits[0]!.body).toBe(r.hits.find((h, i) => i > 0 && h.headers['webhook-id'] === originalId)!.body);

    const none = await api(t, 'POST', `/v1/subscriptions/${s.id}/replay`, { since: new Date(Date.now() + 60_000).toISOString() });
    expect(none.body).toEqual({ replayed: 0, pending: 0 });
    expect((await api(t, 'POST', `/v1/subscriptions/${s.id}/replay`, { since: 'yesterday' })).status).toBe(400);
  });
});

describe('long waits', () => {
  it('a wait over 15 minutes is held in the due index and re-enqueued by the sweeper when due', async () => {
    const t = await newTracker(emu, { TRACKER_ALLOW_PRIVATE_WEBHOOKS: '1' }); // retry scale 1
    const r = await receiver((n) => (n === 1 ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 }));
    const s = await subscribe(t, r);
    await post(t, [shipped()]);
    await createNotifierHandler(t.webhooks.notify)(sqsEventOf(await receiveAll(t.tracker, t.queues.Notifier.url)));
    const [message] = await receiveAll(t.tracker, t.queues.Delivery.url);
    const ref = JSON.parse(message!.Body!) as { subscriptionId: string; key: string };
    expect(await t.webhooks.deliver(ref)).toBe('retrying');

    const [waiting] = await deliveriesOf(t, s.id);
    const waitMs = Date.parse(waiting!.nextAttemptAt!) - Date.now();
    expect(waitMs).toBeGreaterThan(55 * 60_000);
    expect(await receiveAll(t.tracker, t.queues.Delivery.url)).toEqual([]); // no SQS message can wait that long
    expect(await t.webhooks.sweepRetries()).toEqual({ enqueued: 0 });
    expect(await t.webhooks.deliver(ref)).toBe('skipped'); // an early message does nothing

    const later = createWebhooks(t.config, emu.clients, { now: () => new Date(Date.now() + 2 * 3_600_000) });
    expect(await later.sweepRetries()).toEqual({ enqueued: 1 });
    const due = await receiveAll(t.tracker, t.queues.Delivery.url);
    expect(due.map((m) => JSON.parse(m.Body!))).toEqual([ref]);
    expect(await later.deliver(ref)).toBe('delivered');
    expect(await later.sweepRetries()).toEqual({ enqueued: 0 });

    expect(r.hits).toHaveLength(2);
    expect(r.hits[1]!.headers['webhook-id']).toBe(r.hits[0]!.headers['webhook-id']);
    // Signed at the (shifted) attempt time, so verify the signature at that time.
    const h = r.hits[1]!.headers as Record<string, string>;
    expect(new Webhook(s.secret).sign(h['webhook-id']!, new Date(Number(h['webhook-timestamp']) * 1000), r.hits[1]!.body)).toBe(h['webhook-signature']);
    const [d] = await deliveriesOf(t, s.id);
    expect(d).toMatchObject({ state: 'delivered', attempt: 2, nextAttemptAt: null });
  });
});
