/**
 * Every route of the app, sampled on a tracker over DynamoDB Local and fauxqs: each response's
 * status is one the OpenAPI document lists for its operation, and its body validates against the
 * documented schema (Ajv over the generated document). Error cases are sampled too (400, 401,
 * 403, 404, 409, 413, 415, 429), and every documented operation must have been called.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/app/openapi.ts';
import type { StoredEvent, TrackerEvent } from '../../src/domain/event-schema.ts';
import { webhookBody } from '../../src/domain/webhooks.ts';
import { openApiValidator } from '../support/openapi-validator.ts';
import { asAdmin, newTracker, startEmulators, type Emulators, type TestTracker } from './tracker-harness.ts';

const EVENTS = resolve(import.meta.dirname, '..', '..', 'events');
const readEvents = (file: string) => JSON.parse(readFileSync(resolve(EVENTS, file), 'utf8')) as TrackerEvent[];
const seed = ['seed/01-recipients.json', 'seed/02-allocations.json', 'seed/03-mous.json'].flatMap(readEvents);
const sample = (type: string) => JSON.parse(readFileSync(resolve(EVENTS, 'samples', `${type}.json`), 'utf8')) as TrackerEvent;

let emu: Emulators;
let t: TestTracker;
const validator = openApiValidator();
const problems: string[] = [];
const sampled = new Map<string, Set<number>>();

/** Calls the app, checks the answer against the document, and returns it with its parsed body. */
async function call(method: string, docPath: string, url: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  const res = await t.app.request(url, { method, ...init });
  const contentType = res.headers.get('content-type');
  const text = contentType?.startsWith('text/event-stream') ? '' : await res.text();
  const body: any = contentType?.includes('json') && text ? JSON.parse(text) : text;
  problems.push(...validator.response(method, docPath, res.status, contentType, body));
  const key = `${method} ${docPath}`;
  sampled.set(key, (sampled.get(key) ?? new Set()).add(res.status));
  return { res, status: res.status, body };
}

const json = (value: unknown, type = 'application/json') => ({ headers: { ...asAdmin, 'content-type': type }, body: JSON.stringify(value) });

async function projectAll(): Promise<void> {
  for (const subject of await t.tracker.log.subjects()) await t.tracker.project(subject);
}

beforeAll(async () => {
  emu = await startEmulators();
  t = await newTracker(emu, { FEED_SETTLE_SECONDS: '0', STREAM_MAX_SECONDS: '3', TRACKER_ALLOW_PRIVATE_WEBHOOKS: '1' });
});
afterAll(async () => {
  await emu?.stop();
});

describe('every route answers as the OpenAPI document says', () => {
  it('service and dashboard routes', async () => {
    await call('GET', '/healthz', '/healthz');
    await call('GET', '/openapi.json', '/openapi.json');
    const docs = await call('GET', '/docs', '/docs');
    await call('GET', '/docs/styles.css', /href="(\/docs\/styles\.css[^"]*)"/.exec(docs.body as string)![1]!);
    const page = await call('GET', '/', '/');
    await call('GET', '/recipients/{id}', '/recipients/samsung');
    await call('GET', '/recipients/{id}', '/recipients/NOT_AN_ID');
    const asset = /(\/assets\/[^"?]+)/.exec(page.body as string)?.[1] ?? '/assets/favicon.svg';
    expect((await call('GET', '/assets/{name}', asset)).status).toBe(200);
    await call('GET', '/assets/{name}', '/assets/nothing.js');
  });

  it('POST /v1/events in the three encodings, duplicates, a conflict and every refusal', async () => {
    expect((await call('POST', '/v1/events', '/v1/events', json(seed, 'application/cloudevents-batch+json'))).status).toBe(202);
    expect((await call('POST', '/v1/events', '/v1/events', json(sample('delivery.shipped'), 'application/cloudevents+json'))).status).toBe(202);
    const order = sample('procurement.ordered');
    const binary = await call('POST', '/v1/events', '/v1/events', {
      headers: {
        ...asAdmin, 'content-type': 'application/json',
        'ce-specversion': '1.0', 'ce-id': 'binary-order-1', 'ce-source': order.source, 'ce-type': order.type,
        'ce-subject': order.subject, 'ce-time': order.time,
      },
      body: JSON.stringify(order.data),
    });
    expect(binary.status).toBe(202);
    const again = await call('POST', '/v1/events', '/v1/events', json(seed.slice(0, 3)));
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    const first = seed[0]! as TrackerEvent & { data: Record<string, unknown> };
    expect((await call('POST', '/v1/events', '/v1/events', json({ ...first, data: { ...first.data, name: 'Renamed' } }))).status).toBe(409);

    expect((await call('POST', '/v1/events', '/v1/events', json({ ...first, data: { ...first.data, typo: 1 } }))).status).toBe(400);
    expect((await call('POST', '/v1/events', '/v1/events', { headers: { 'content-type': 'application/json' }, body: JSON.stringify(first) })).status).toBe(401);
    expect((await call('POST', '/v1/events', '/v1/events', { ...json(first), headers: { ...json(first).headers, 'content-type': 'text/csv' } })).status).toBe(415);
    expect((await call('POST', '/v1/events', '/v1/events', json('x'.repeat(300 * 1024)))).status).toBe(413);
    const reporter = await call('POST', '/v1/keys', '/v1/keys', json({ name: 'other agency', role: 'reporter', sources: ['/agencies/other'], subjects: ['*'], types: ['*'], rateLimitPerMinute: 2 }));
    const asReporter = { authorization: `Bearer ${reporter.body.key as string}`, 'content-type': 'application/json' };
    expect((await call('POST', '/v1/events', '/v1/events', { headers: asReporter, body: JSON.stringify(first) })).status).toBe(403);
    await call('POST', '/v1/events', '/v1/events', { headers: asReporter, body: JSON.stringify(first) });
    const limited = await call('POST', '/v1/events', '/v1/events', { headers: asReporter, body: JSON.stringify(first) });
    expect(limited.status).toBe(429);
    expect(limited.res.headers.get('retry-after')).toMatch(/^\d+$/);
    await projectAll();
  });

  it('status reads: live, as of a date, 304 with the ETag, unknown ids and parameters', async () => {
    const list = await call('GET', '/v1/recipients', '/v1/recipients');
    expect(list.body.items.length).toBeGreaterThan(3);
    const etag = list.res.headers.get('etag')!;
    expect((await call('GET', '/v1/recipients', '/v1/recipients', { headers: { 'if-none-match': etag } })).status).toBe(304);
    await call('GET', '/v1/recipients', '/v1/recipients?asOf=2025-10-31T14:00:30%2B09:00');
    expect((await call('GET', '/v1/recipients', '/v1/recipients?bogus=1')).status).toBe(400);
    expect((await call('GET', '/v1/recipients', '/v1/recipients', { headers: { authorization: 'Bearer trk_000000000000_nope' } })).status).toBe(401);

    expect((await call('GET', '/v1/recipients/{id}', '/v1/recipients/samsung')).body.allocated).toBeGreaterThan(0);
    await call('GET', '/v1/recipients/{id}', '/v1/recipients/samsung?knownAt=2020-01-01T00:00:00Z');
    await call('GET', '/v1/recipients/{id}', '/v1/recipients/NOPE');

    const history = await call('GET', '/v1/recipients/{id}/events', '/v1/recipients/samsung/events?limit=2');
    expect(history.body.items).toHaveLength(2);
    await call('GET', '/v1/recipients/{id}/events', `/v1/recipients/samsung/events?after=${history.body.next as string}&type=delivery.shipped`);
    await call('GET', '/v1/recipients/{id}/events', '/v1/recipients/samsung/events?after=garbage');

    await call('GET', '/v1/summary', '/v1/summary');
    await call('GET', '/v1/summary', '/v1/summary?asOf=2025-12-31T00:00:00Z&knownAt=2099-01-01T00:00:00Z');
    await call('GET', '/v1/summary', '/v1/summary?asOf=yesterday');
    expect((await call('GET', '/v1/programs/{programId}', '/v1/programs/kr-gpu-260k')).status).toBe(200);
    expect((await call('GET', '/v1/programs/{programId}', '/v1/programs/no-such-program')).status).toBe(404);
    expect((await call('GET', '/v1/mous', '/v1/mous')).body.items.length).toBeGreaterThan(0);
    await call('GET', '/v1/mous', '/v1/mous?party=samsung');
    expect((await call('GET', '/v1/mous/{id}', '/v1/mous/physical-ai-2025')).status).toBe(200);
    expect((await call('GET', '/v1/mous/{id}', '/v1/mous/no-such-mou')).status).toBe(404);
  });

  it('the feed and the stream', async () => {
    const page = await call('GET', '/v1/feed', '/v1/feed?limit=2');
    expect(page.body.items).toHaveLength(2);
    await call('GET', '/v1/feed', `/v1/feed?after=${page.body.next as string}&limit=100`);
    await call('GET', '/v1/feed', '/v1/feed?limit=1000');

    const stream = await call('GET', '/v1/stream', `/v1/stream?after=${page.body.next as string}`);
    expect(stream.status).toBe(200);
    const reader = stream.res.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!/\n\n[^]*data: \{"specversion[^\n]*\n\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    const messages = text.split('\n\n').filter(Boolean).map((m) => Object.fromEntries(m.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()])));
    expect(messages[0]).toMatchObject({ event: 'ready', data: '{"connected":true}' });
    const event = messages.find((m) => m.data?.startsWith('{"specversion'))!;
    expect(event.id).toBeTruthy();
    expect(validator.component('StoredEvent', JSON.parse(event.data!))).toBeNull();
    expect((await call('GET', '/v1/stream', '/v1/stream', { headers: { 'last-event-id': 'not a cursor' } })).status).toBe(400);
  });

  it('keys: create, list, revoke, refusals', async () => {
    const made = await call('POST', '/v1/keys', '/v1/keys', json({ name: 'MSIT reporter', role: 'reporter', sources: ['/agencies/msit'], subjects: ['recipients/*'], types: ['delivery.*'] }));
    expect(made.status).toBe(201);
    expect((await call('GET', '/v1/keys', '/v1/keys', { headers: asAdmin })).body.items.length).toBeGreaterThan(0);
    expect((await call('GET', '/v1/keys', '/v1/keys', { headers: { authorization: `Bearer ${made.body.key as string}` } })).status).toBe(403);
    expect((await call('POST', '/v1/keys', '/v1/keys', json({ name: 'x', role: 'root' }))).status).toBe(400);
    expect((await call('POST', '/v1/keys', '/v1/keys', json({ name: 'x'.repeat(20_000), role: 'admin' }))).status).toBe(413);
    expect((await call('DELETE', '/v1/keys/{id}', `/v1/keys/${made.body.id as string}`, { headers: asAdmin })).body.revokedAt).not.toBeNull();
    expect((await call('DELETE', '/v1/keys/{id}', '/v1/keys/000000000000', { headers: asAdmin })).status).toBe(404);
  });

  it('subscriptions: create, list, read, replay, deliveries, delete, refusals; and the webhook body', async () => {
    const made = await call('POST', '/v1/subscriptions', '/v1/subscriptions', json({ url: 'http://127.0.0.1:9/hook', types: ['*'], recipients: ['samsung'] }));
    expect(made.status).toBe(201);
    const id = made.body.id as string;
    expect((await call('POST', '/v1/subscriptions', '/v1/subscriptions', json({ url: 'ftp://example.org' }))).status).toBe(400);
    await call('GET', '/v1/subscriptions', '/v1/subscriptions', { headers: asAdmin });
    await call('GET', '/v1/subscriptions', '/v1/subscriptions');
    await call('GET', '/v1/subscriptions/{id}', `/v1/subscriptions/${id}`, { headers: asAdmin });
    await call('GET', '/v1/subscriptions/{id}', '/v1/subscriptions/sub_00000000000000000000', { headers: asAdmin });
    expect((await call('POST', '/v1/subscriptions/{id}/replay', `/v1/subscriptions/${id}/replay`, json({ since: '2020-01-01T00:00:00Z' }))).status).toBe(202);
    await call('POST', '/v1/subscriptions/{id}/replay', `/v1/subscriptions/${id}/replay`, json({ since: 'last week' }));
    const deliveries = await call('GET', '/v1/subscriptions/{id}/deliveries', `/v1/subscriptions/${id}/deliveries?limit=2`, { headers: asAdmin });
    expect(deliveries.body.items.length).toBeGreaterThan(0);
    await call('GET', '/v1/subscriptions/{id}/deliveries', `/v1/subscriptions/${id}/deliveries?limit=0`, { headers: asAdmin });
    await call('GET', '/v1/subscriptions/{id}/deliveries', `/v1/subscriptions/${id}/deliveries?limit=100&after=${'x'.repeat(401)}`, { headers: asAdmin });
    await call('DELETE', '/v1/subscriptions/{id}', `/v1/subscriptions/${id}`, { headers: asAdmin });
    await call('DELETE', '/v1/subscriptions/{id}', `/v1/subscriptions/${id}`, { headers: asAdmin });

    // The notification body, as the notifier builds it, from a stored event and the status after it.
    const history = await call('GET', '/v1/recipients/{id}/events', '/v1/recipients/samsung/events');
    const status = await call('GET', '/v1/recipients/{id}', '/v1/recipients/samsung');
    const event = history.body.items.at(-1) as StoredEvent;
    expect(validator.component('WebhookNotification', JSON.parse(webhookBody(event, status.body)))).toBeNull();
  });

  it('every response matched the document, and every documented operation was sampled', () => {
    expect(problems).toEqual([]);
    const documented = Object.entries(openApiDocument().paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.filter((op) => !sampled.has(op))).toEqual([]);
    const statuses = new Set([...sampled.values()].flatMap((s) => [...s]));
    for (const status of [200, 201, 202, 304, 400, 401, 403, 404, 409, 413, 415, 429]) expect(statuses.has(status), `sampled a ${status}`).toBe(true);
  });
});
