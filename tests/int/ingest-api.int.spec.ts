/**
 * The HTTP API over the real storage: `POST /v1/events` in every CloudEvents encoding (CONTRACT §1,
 * §2) and the read routes (§4), through `app.request` against DynamoDB Local and fauxqs. Every
 * rejected request is checked to have stored nothing, in the table itself and through the API.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent, TrackerEvent } from '../../src/domain/event-schema.ts';
import { validateEvent } from '../../src/domain/event-schema.ts';
import type { RecipientStatus } from '../../src/domain/status.ts';
import {
  ADMIN_KEY, asAdmin, ev, newTracker, queueDepth, receiveAll, scanAll, startEmulators, type Emulators, type TestTracker,
} from './tracker-harness.ts';

let emu: Emulators;

beforeAll(async () => {
  emu = await startEmulators();
});

afterAll(async () => {
  await emu?.stop();
});

type App = TestTracker['app'];

const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';
const JSON_TYPE = 'application/json';

function post(app: App, body: string, contentType: string | undefined, headers: Record<string, string> = {}) {
  return app.request('/v1/events', {
    method: 'POST',
    headers: { ...asAdmin, ...(contentType === undefined ? {} : { 'content-type': contentType }), ...headers },
    body,
  });
}

const postJson = (app: App, value: unknown, contentType: string) => post(app, JSON.stringify(value), contentType);

/** Posts with another key, or with none (`undefined`). */
function postAs(app: App, key: string | undefined, value: unknown, contentType: string) {
  return app.request('/v1/events', {
    method: 'POST',
    headers: { 'content-type': contentType, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify(value),
  });
}

async function createKey(app: App, request: Record<string, unknown>): Promise<string> {
  const res = await app.request('/v1/keys', {
    method: 'POST', headers: { ...asAdmin, 'content-type': 'application/json' }, body: JSON.stringify(request),
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return (JSON.parse(text) as { key: string }).key;
}

/** Binary mode: envelope attributes as `ce-*` headers, `data` as the body. */
function postBinary(app: App, event: TrackerEvent, options: { drop?: string[]; body?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event)) {
    if (name === 'data' || name === 'datacontenttype' || options.drop?.includes(name)) continue;
    headers[`ce-${name}`] = encodeURIComponent(String(value));
  }
  return post(app, options.body ?? JSON.stringify(event.data), options.contentType ?? JSON_TYPE, headers);
}

interface Result { source: string; id: string; status: string; sequence: number }

async function results(res: Response, status = 202): Promise<Result[]> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (JSON.parse(text) as { results: Result[] }).results;
}

interface Problem { type: string; title: string; status: number; detail: string; errors?: { index: number; path: string; message: string }[] }

async function problem(res: Response, status: number): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = JSON.parse(text) as Problem;
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) });
  expect(body.type.length).toBeGreaterThan(0);
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  if (body.errors !== undefined) {
    expect(body.errors.length).toBeGreaterThan(0);
    for (const e of body.errors) expect(e).toEqual({ index: expect.any(Number), path: expect.any(String), message: expect.any(String) });
  }
  return body;
}

async function getJson<T>(app: App, path: string, status = 200): Promise<T> {
  const res = await app.request(path);
  const text = await res.text();
  expect(res.status, `${path}: ${text}`).toBe(status);
  return JSON.parse(text) as T;
}

interface HistoryPage { items: StoredEvent[]; next: string | null }

/** Every page of a recipient's history, following `next` until it is null. */
async function walkHistory(app: App, id: string, query = ''): Promise<{ items: StoredEvent[]; pages: number }> {
  const items: StoredEvent[] = [];
  let pages = 0;
  for (let next: string | null = null; ; ) {
    const sep = query ? '&' : '';
    const page: HistoryPage = await getJson<HistoryPage>(app, `/v1/recipients/${id}/events?${query}${next ? `${sep}after=${next}` : ''}`);
    pages++;
    items.push(...page.items);
    if (page.next === null) return { items, pages };
    expect(page.next).toMatch(/^[A-Za-z0-9_-]+$/);
    next = page.next;
    expect(pages).toBeLessThan(500);
  }
}

const withoutRecording = ({ sequence: _s, recordedAt: _r, ...event }: StoredEvent) => event;

async function projectAll(t: TestTracker): Promise<void> {
  for (const subject of await t.tracker.log.subjects()) await t.tracker.project(subject);
}

/** What the storage holds, to show a rejected request changed nothing. */
async function storedState(t: TestTracker) {
  return {
    items: await scanAll(t.tracker, t.config.EVENTS_TABLE),
    subjects: await t.tracker.log.subjects(),
    queued: (await queueDepth(t.tracker, t.queue.url)).visible,
  };
}

const A = 'recipients/alpha';
const B = 'recipients/beta';
const MSIT = '/agencies/msit';
const ALPHA_CO = '/companies/alpha';

describe('POST /v1/events: encodings', () => {
  it('accepts structured, batch and binary posts, with results in request order and per-subject sequences', async () => {
    const t = await newTracker(emu);
    const reg = ev.registered(A, 'reg-alpha', { name: 'Alpha', nameKo: '알파', sector: 'private' }, { datacontenttype: JSON_TYPE });
    expect(await results(await postJson(t.app, reg, STRUCTURED))).toEqual([{ source: MSIT, id: 'reg-alpha', status: 'accepted', sequence: 1 }]);

    const alloc = ev.allocation(A, 'alloc-alpha', 'p1', 100, { dataschema: 'https://example.org/schemas/allocation', traceparent: '00-abc-01' });
    expect(await results(await postJson(t.app, alloc, JSON_TYPE))).toEqual([{ source: MSIT, id: 'alloc-alpha', status: 'accepted', sequence: 2 }]);

    const batch = [
      ev.registered(B, 'reg-beta', { name: 'Beta', sector: 'research' }),
      ev.order(A, 'po-alpha', 'po-1', 80, { source: ALPHA_CO }),
      ev.allocation(B, 'alloc-beta', 'p1', 40),
      ev.mou('mous/m-1', 'mou-1', ['alpha', 'nvidia']),
      ev.delivery('shipped', A, 'ship-alpha', 's1', 30, { source: ALPHA_CO }),
    ];
    expect(await results(await postJson(t.app, batch, BATCH))).toEqual([
      { source: MSIT, id: 'reg-beta', status: 'accepted', sequence: 1 },
      { source: ALPHA_CO, id: 'po-alpha', status: 'accepted', sequence: 3 },
      { source: MSIT, id: 'alloc-beta', status: 'accepted', sequence: 2 },
      { source: MSIT, id: 'mou-1', status: 'accepted', sequence: 1 },
      { source: ALPHA_CO, id: 'ship-alpha', status: 'accepted', sequence: 4 },
    ]);

    const array = [ev.registered('recipients/gamma', 'reg-gamma'), ev.delivery('received', A, 'rcv-alpha', 's1', 30, { source: ALPHA_CO })];
    expect(await results(await postJson(t.app, array, JSON_TYPE))).toEqual([
      { source: MSIT, id: 'reg-gamma', status: 'accepted', sequence: 1 },
      { source: ALPHA_CO, id: 'rcv-alpha', status: 'accepted', sequence: 5 },
    ]);

    const installed = ev.delivery('installed', A, 'inst alpha/1', 's1', 30, { source: ALPHA_CO, time: '2026-01-20T09:00:00+09:00', site: 'Hwaseong, 화성' });
    expect(await results(await postBinary(t.app, installed, { contentType: 'application/json; charset=utf-8' }))).toEqual([
      { source: ALPHA_CO, id: 'inst alpha/1', status: 'accepted', sequence: 6 },
    ]);

    // Stored as posted, plus sequence and recordedAt.
    const { items } = await walkHistory(t.app, 'alpha');
    expect(items.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    // Binary mode: the body's Content-Type becomes datacontenttype (CloudEvents HTTP binding).
    const installedAsStored = { ...installed, datacontenttype: 'application/json; charset=utf-8' };
    expect(items.map(withoutRecording)).toEqual([reg, alloc, batch[1], batch[4], array[1], installedAsStored]);
    for (const e of items) expect(e.recordedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const recorded = items.map((e) => Date.parse(e.recordedAt));
    expect(recorded).toEqual([...recorded].sort((a, b) => a - b));

    // Every touched subject was queued for projection.
    const queued = (await receiveAll(t.tracker, t.queue.url)).map((m) => (JSON.parse(m.Body!) as { subject: string }).subject);
    expect(new Set(queued)).toEqual(new Set([A, B, 'recipients/gamma', 'mous/m-1']));
    expect(t.unexpected).toEqual([]);
  });
});

describe('POST /v1/events: idempotency', () => {
  it('answers duplicate for the same event in another encoding, key order or spacing', async () => {
    const t = await newTracker(emu);
    const original = ev.delivery('shipped', A, 'ship-1', 's1', 30, {
      source: ALPHA_CO, datacontenttype: JSON_TYPE, region: 'kr-seoul', time: '2026-01-15T09:00:00+09:00',
    });
    expect(await results(await postJson(t.app, original, STRUCTURED))).toEqual([{ source: ALPHA_CO, id: 'ship-1', status: 'accepted', sequence: 1 }]);
    expect(await results(await postJson(t.app, ev.registered(A, 'reg-1'), STRUCTURED))).toEqual([{ source: MSIT, id: 'reg-1', status: 'accepted', sequence: 2 }]);
    const before = await scanAll(t.tracker, t.config.EVENTS_TABLE);

    const reordered = `[\n  ${JSON.stringify(Object.fromEntries(Object.entries(original).reverse().map(([k, v]) =>
      [k, k === 'data' ? Object.fromEntries(Object.entries(v as object).reverse()) : v])), null, '\t')}  \n]`;
    const dup = { source: ALPHA_CO, id: 'ship-1', status: 'duplicate', sequence: 1 };
    expect(await results(await post(t.app, reordered, BATCH))).toEqual([dup]);
    expect(await results(await post(t.app, reordered, JSON_TYPE))).toEqual([dup]);
    expect(await results(await post(t.app, `  ${JSON.stringify(original, null, 3)}\n\n`, JSON_TYPE))).toEqual([dup]);
    // Binary mode carries datacontenttype in Content-Type (CloudEvents HTTP binding §3.1.1).
    const reversedData = JSON.stringify(Object.fromEntries(Object.entries(original.data).reverse()), null, 1);
    expect(await results(await postBinary(t.app, original, { body: reversedData }))).toEqual([dup]);
    expect(await scanAll(t.tracker, t.config.EVENTS_TABLE)).toEqual(before);

    // And the other way round: first posted in binary mode, then structured.
    const second = ev.delivery('received', A, 'rcv-1', 's1', 30, { source: ALPHA_CO, time: '2026-01-20T09:00:00+09:00' });
    expect(await results(await postBinary(t.app, second))).toEqual([{ source: ALPHA_CO, id: 'rcv-1', status: 'accepted', sequence: 3 }]);
    expect(await results(await postJson(t.app, second, STRUCTURED))).toEqual([{ source: ALPHA_CO, id: 'rcv-1', status: 'duplicate', sequence: 3 }]);
    expect(await results(await postJson(t.app, { ...second, datacontenttype: JSON_TYPE }, STRUCTURED))).toEqual([
      { source: ALPHA_CO, id: 'rcv-1', status: 'duplicate', sequence: 3 },
    ]);

    // Stored as first posted: the binary post got its datacontenttype from Content-Type.
    expect((await walkHistory(t.app, 'alpha')).items.map(withoutRecording)).toEqual([
      original, ev.registered(A, 'reg-1'), { ...second, datacontenttype: JSON_TYPE },
    ]);
    expect((await walkHistory(t.app, 'alpha')).items.map((e) => e.id)).toEqual(['ship-1', 'reg-1', 'rcv-1']);
  });

  it('answers conflict (HTTP 409) for the same (source, id) with other content, and keeps the original', async () => {
    const t = await newTracker(emu);
    const original = ev.allocation(A, 'alloc-1', 'p1', 100, { datacontenttype: JSON_TYPE });
    await results(await postJson(t.app, original, STRUCTURED));
    const before = await storedState(t);
    const conflict = { source: MSIT, id: 'alloc-1', status: 'conflict', sequence: 1 };

    const variants: TrackerEvent[] = [
      { ...original, data: { programId: 'p1', gpus: 101 } } as TrackerEvent,
      { ...original, time: '2025-10-31T14:00:01+09:00' },
      { ...original, subject: B },
      { ...original, ext: 'x' },
      { ...original, datacontenttype: 'text/json' },
    ];
    for (const variant of variants) {
      expect(await results(await postJson(t.app, variant, STRUCTURED), 409)).toEqual([conflict]);
      expect(await results(await postJson(t.app, [variant], BATCH), 409)).toEqual([conflict]);
    }
    expect(await results(await postBinary(t.app, variants[0]!), 409)).toEqual([conflict]);

    expect(await storedState(t)).toEqual(before);
    const { items } = await walkHistory(t.app, 'alpha');
    expect(items.map(withoutRecording)).toEqual([original]);
    expect((await walkHistory(t.app, 'beta')).items).toEqual([]);
  });

  it('handles the same event twice in one request, and a mixed request with one conflict', async () => {
    const t = await newTracker(emu);
    const reg = ev.registered(A, 'reg-1');
    expect(await results(await postJson(t.app, [reg, ev.allocation(A, 'a-1', 'p1', 5), reg], BATCH))).toEqual([
      { source: MSIT, id: 'reg-1', status: 'accepted', sequence: 1 },
      { source: MSIT, id: 'a-1', status: 'accepted', sequence: 2 },
      { source: MSIT, id: 'reg-1', status: 'duplicate', sequence: 1 },
    ]);
    // The same (source, id) twice with different content in one request: the second conflicts.
    const x = ev.allocation(B, 'b-1', 'p1', 5);
    expect(await results(await postJson(t.app, [x, { ...x, data: { programId: 'p1', gpus: 6 } }], BATCH), 409)).toEqual([
      { source: MSIT, id: 'b-1', status: 'accepted', sequence: 1 },
      { source: MSIT, id: 'b-1', status: 'conflict', sequence: 1 },
    ]);

    const mixed = [
      ev.order(A, 'po-1', 'po-1', 10),
      { ...reg, data: { name: 'Changed', sector: 'public' } },
      ev.registered(B, 'reg-b'),
      reg,
      ev.order(A, 'po-2', 'po-2', 20),
    ];
    expect(await results(await postJson(t.app, mixed, JSON_TYPE), 409)).toEqual([
      { source: MSIT, id: 'po-1', status: 'accepted', sequence: 3 },
      { source: MSIT, id: 'reg-1', status: 'conflict', sequence: 1 },
      { source: MSIT, id: 'reg-b', status: 'accepted', sequence: 2 },
      { source: MSIT, id: 'reg-1', status: 'duplicate', sequence: 1 },
      { source: MSIT, id: 'po-2', status: 'accepted', sequence: 4 },
    ]);
    const alpha = (await walkHistory(t.app, 'alpha')).items;
    expect(alpha.map(withoutRecording)).toEqual([reg, ev.allocation(A, 'a-1', 'p1', 5), mixed[0], mixed[4]]);
    expect((await walkHistory(t.app, 'beta')).items.map((e) => e.id)).toEqual(['b-1', 'reg-b']);
    expect(((await walkHistory(t.app, 'beta')).items[0]!.data as { gpus: number }).gpus).toBe(5);
  });
});

describe('POST /v1/events: rejected requests store nothing', () => {
  it('answers every bad input with a 4xx problem and leaves the log and the queue as they were', async () => {
    const t = await newTracker(emu);
    const alloc = ev.allocation(A, 'alloc-1', 'p1', 100);
    const retraction = ev.retraction(A, 'retract-1', 'alloc-1');
    const other = ev.registered(B, 'reg-beta');
    await results(await postJson(t.app, [ev.registered(A, 'reg-1'), alloc, ev.allocation(A, 'alloc-2', 'p2', 1), retraction, other], BATCH));
    const reporter = await createKey(t.app, {
      name: 'new recipients only', role: 'reporter', sources: ['/agencies/msit'], subjects: ['recipients/new-*'], types: ['allocation.*'],
    });
    const subscriber = await createKey(t.app, { name: 'reader', role: 'subscriber' });
    // The key authenticates: what is refused here is the empty batch, not the key.
    expect((await problem(await postAs(t.app, reporter, [], BATCH), 400)).type).toMatch(/validation/);
    await receiveAll(t.tracker, t.queue.url); // drains the queue: rejected requests must queue nothing
    const before = await storedState(t);
    expect(before.queued).toBe(0);
    const historyBefore = (await walkHistory(t.app, 'alpha')).items;

    const fresh = (n: number) => ev.allocation(`recipients/new-${n % 7}`, `fresh-${n}`, 'p1', n);
    const valid5 = [0, 1, 2, 3, 4].map(fresh);
    const pad = (body: string, size: number) => body.slice(0, -1) + ' '.repeat(size - Buffer.byteLength(body)) + body.slice(-1);
    const over = pad(JSON.stringify(valid5), 256 * 1024 + 1);
    expect(Buffer.byteLength(over)).toBe(262_145);

    const cases: { name: string; send: () => Response | Promise<Response>; status: number; errors?: { index: number; path: RegExp | string; message?: RegExp }[] }[] = [
      { name: 'invalid JSON', send: () => post(t.app, `[${JSON.stringify(fresh(1))},`, BATCH), status: 400 },
      { name: 'empty body', send: () => post(t.app, '', JSON_TYPE), status: 400 },
      {
        name: 'one invalid event among five valid ones',
        send: () => postJson(t.app, [...valid5.slice(0, 3), { ...fresh(9), data: { programId: 'p1', gpus: -1 } }, ...valid5.slice(3)], BATCH),
        status: 400,
        errors: [{ index: 3, path: 'data.gpus' }],
      },
      {
        name: 'two invalid events, each reported with its index',
        send: () => postJson(t.app, [fresh(1), { ...fresh(2), time: '2025-10-31T14:00:00' }, fresh(3), { ...fresh(4), specversion: '0.3' }], JSON_TYPE),
        status: 400,
        errors: [{ index: 1, path: 'time' }, { index: 3, path: 'specversion' }],
      },
      { name: '101 events', send: () => postJson(t.app, Array.from({ length: 101 }, (_, i) => fresh(i)), BATCH), status: 400 },
      { name: '101 events as application/json', send: () => postJson(t.app, Array.from({ length: 101 }, (_, i) => fresh(i)), JSON_TYPE), status: 400 },
      { name: 'empty batch', send: () => post(t.app, '[]', BATCH), status: 400 },
      { name: 'empty array', send: () => post(t.app, ' [ ] ', JSON_TYPE), status: 400 },
      { name: 'body over 256 KiB, streamed', send: () => post(t.app, over, BATCH), status: 413 },
      { name: 'body over 256 KiB, with content-length', send: () => post(t.app, over, BATCH, { 'content-length': String(Buffer.byteLength(over)) }), status: 413 },
      { name: 'no key', send: () => postAs(t.app, undefined, valid5, BATCH), status: 401 },
      { name: 'unknown key', send: () => postAs(t.app, `trk_0123456789ab_${'x'.repeat(43)}`, valid5, BATCH), status: 401 },
      { name: 'malformed Authorization', send: () => post(t.app, JSON.stringify(valid5), BATCH, { authorization: ADMIN_KEY }), status: 401 },
      { name: 'subscriber key', send: () => postAs(t.app, subscriber, valid5, BATCH), status: 403 },
      {
        name: 'one event outside the reporter key\'s scopes',
        send: () => postAs(t.app, reporter, [...valid5.slice(0, 2), ev.allocation(A, 'scoped-out', 'p1', 1), ...valid5.slice(2)], BATCH),
        status: 403,
        errors: [{ index: 2, path: 'subject' }],
      },
      { name: 'text/plain', send: () => postJson(t.app, fresh(1), 'text/plain'), status: 415 },
      { name: 'no content type', send: () => post(t.app, JSON.stringify(fresh(1)), undefined), status: 415 },
      { name: 'application/xml', send: () => postJson(t.app, fresh(1), 'application/xml'), status: 415 },
      { name: 'array as a structured event', send: () => postJson(t.app, [fresh(1)], STRUCTURED), status: 400 },
      { name: 'single event as a batch', send: () => postJson(t.app, fresh(1), BATCH), status: 400 },
      { name: 'binary mode with cloudevents content type', send: () => postBinary(t.app, fresh(1), { contentType: STRUCTURED }), status: 415 },
      { name: 'binary mode, ce-time missing', send: () => postBinary(t.app, fresh(1), { drop: ['time'] }), status: 400, errors: [{ index: 0, path: 'time' }] },
      { name: 'binary mode, ce-subject missing', send: () => postBinary(t.app, fresh(1), { drop: ['subject'] }), status: 400, errors: [{ index: 0, path: 'subject' }] },
      { name: 'binary mode, invalid JSON data', send: () => postBinary(t.app, fresh(1), { body: '{"programId":' }), status: 400 },
      { name: 'binary mode, data not an object', send: () => postBinary(t.app, fresh(1), { body: '[1,2]' }), status: 400, errors: [{ index: 0, path: /^data/ }] },
      {
        name: 'unknown data field',
        send: () => postJson(t.app, [fresh(1), { ...fresh(2), data: { programId: 'p1', gpus: 1, gpuz: 2 } }], BATCH),
        status: 400,
        errors: [{ index: 1, path: /^data/, message: /gpuz/ }],
      },
      {
        name: 'type on the wrong kind of subject',
        send: () => postJson(t.app, ev.mou(A, 'mou-x', ['alpha', 'nvidia']), STRUCTURED),
        status: 400,
        errors: [{ index: 0, path: 'subject' }],
      },
      {
        name: 'retraction of a stored retraction',
        send: () => postJson(t.app, [fresh(1), ev.retraction(A, 'retract-2', 'retract-1')], BATCH),
        status: 400,
        errors: [{ index: 1, path: 'data.eventId' }],
      },
      {
        name: 'retraction of a retraction in the same request',
        send: () => postJson(t.app, [ev.retraction(A, 'retract-3', 'alloc-2'), fresh(1), ev.retraction(A, 'retract-4', 'retract-3')], BATCH),
        status: 400,
        errors: [{ index: 2, path: 'data.eventId' }],
      },
      {
        name: 'retraction whose stored target has another subject',
        send: () => postJson(t.app, [fresh(1), fresh(2), ev.retraction(A, 'retract-5', 'reg-beta')], BATCH),
        status: 400,
        errors: [{ index: 2, path: 'subject' }],
      },
      {
        name: 'retraction whose target in the same request has another subject',
        send: () => postJson(t.app, [fresh(1), ev.retraction(B, 'retract-6', 'fresh-1')], BATCH),
        status: 400,
        errors: [{ index: 1, path: 'subject' }],
      },
    ];

    for (const c of cases) {
      const body = await problem(await c.send(), c.status);
      if (c.errors) {
        if (c.status === 400) expect(body.type, c.name).toMatch(/validation/);
        expect(body.errors, c.name).toBeDefined();
        expect(new Set(body.errors!.map((e) => e.index)), c.name).toEqual(new Set(c.errors.map((e) => e.index)));
        for (const want of c.errors) {
          const found = body.errors!.filter((e) => e.index === want.index && (typeof want.path === 'string' ? e.path === want.path : want.path.test(e.path)));
          expect(found.length, `${c.name}: ${JSON.stringify(body.errors)}`).toBeGreaterThan(0);
          if (want.message) expect(found.some((e) => want.message!.test(e.message)), c.name).toBe(true);
        }
      }
      expect(await storedState(t), c.name).toEqual(before);
    }

    expect((await walkHistory(t.app, 'alpha')).items).toEqual(historyBefore);
    for (let n = 0; n < 7; n++) expect((await walkHistory(t.app, `new-${n}`)).items).toEqual([]);
    expect(t.unexpected).toEqual([]);
  });

  it('accepts a body of exactly 256 KiB', async () => {
    const t = await newTracker(emu);
    const body = JSON.stringify([ev.registered(A, 'reg-1')]);
    const exact = body.slice(0, -1) + ' '.repeat(256 * 1024 - Buffer.byteLength(body)) + ']';
    expect(Buffer.byteLength(exact)).toBe(262_144);
    expect(await results(await post(t.app, exact, BATCH))).toEqual([{ source: MSIT, id: 'reg-1', status: 'accepted', sequence: 1 }]);
  });

  it('never answers 5xx nor stores anything, whatever is posted (property)', async () => {
    const t = await newTracker(emu);
    const contentType = fc.oneof(
      fc.constantFrom(STRUCTURED, BATCH, JSON_TYPE, `${JSON_TYPE}; charset=utf-8`, 'APPLICATION/JSON', 'text/plain', 'application/xml', ''),
      fc.stringMatching(/^[a-z]{1,12}\/[a-z0-9.+-]{1,20}(; ?[a-z]+=[a-z0-9-]+)?$/),
      fc.constant(undefined),
    );
    const valid = ev.allocation(A, 'alloc-1', 'p1', 5);
    const envelopeKeys = Object.keys(valid);
    /** A valid event with one attribute (or data field) replaced or removed: invalid by construction. */
    const broken = fc
      .tuple(fc.constantFrom(...envelopeKeys, 'data.programId', 'data.gpus', 'data.extra'), fc.option(fc.jsonValue(), { nil: undefined }))
      .map(([key, value]) => {
        const event: Record<string, unknown> = structuredClone(valid) as Record<string, unknown>;
        const [head, field] = key.split('.');
        const target = field ? (event.data as Record<string, unknown>) : event;
        const name = field ?? head!;
        if (value === undefined) delete target[name];
        else target[name] = value;
        return event;
      })
      .filter((event) => !validateEvent(event, 0).ok);
    const nested = fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":', '{"data":')).map(([depth, open]) => {
      const close = open === '[' ? ']' : '}';
      return `${open.repeat(depth)}1${close.repeat(depth)}`;
    });
    const deepInEvent = fc.integer({ min: 1, max: 5_000 }).map((depth) => {
      const inner = `${'{"x":'.repeat(depth)}1${'}'.repeat(depth)}`;
      return JSON.stringify({ ...valid, data: '__DATA__' }).replace('"__DATA__"', `{"programId":"p1","gpus":5,"deep":${inner}}`);
    });
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.array(fc.jsonValue(), { maxLength: 5 }).map((v) => JSON.stringify(v)),
      broken.map((e) => JSON.stringify(e)),
      fc.array(fc.oneof(broken, fc.constant(valid)), { minLength: 1, maxLength: 4 })
        .filter((list) => list.some((e) => !validateEvent(e, 0).ok))
        .map((list) => JSON.stringify(list)),
      nested,
      deepInEvent,
    );
    const ceHeaders = fc.option(
      fc.dictionary(
        fc.constantFrom('ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-subject', 'ce-time', 'ce-extra'),
        fc.stringMatching(/^[\x21-\x7e]{0,24}$/).filter((v) => v !== '1.0'),
        { minKeys: 1 },
      ),
      { nil: undefined },
    );

    await fc.assert(
      fc.asyncProperty(body, contentType, ceHeaders, async (text, type, headers) => {
        const res = await post(t.app, text, type, headers ?? {});
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        await problem(res, res.status);
        expect(t.unexpected).toEqual([]);
      }),
      { numRuns: 150 },
    );
    expect(await storedState(t)).toEqual({ items: [], subjects: [], queued: 0 });
  });
});

/** An instant (`...Z`) written with a +09:00 offset, to show times are compared as instants. */
function inSeoul(iso: string): string {
  const d = new Date(new Date(iso).getTime() + 9 * 3600_000);
  return `${d.toISOString().slice(0, 23)}+09:00`;
}

describe('read routes', () => {
  let t: TestTracker;
  let phase1KnownAt: string;
  let alphaHistory: StoredEvent[];

  const phase1 = [
    ev.registered(A, 'reg-alpha', { name: 'Alpha Cloud', nameKo: '알파', sector: 'private' }, { time: '2025-10-31T14:00:00+09:00' }),
    ev.allocation(A, 'al-1', 'p1', 100, { time: '2025-10-31T14:10:00+09:00' }),
    ev.allocation(A, 'al-2', 'p2', 50, { time: '2025-10-31T14:11:00+09:00' }),
    ev.registered(B, 'reg-beta', { name: 'Beta Institute', sector: 'research' }, { time: '2025-10-31T14:01:00+09:00' }),
    ev.allocation(B, 'al-beta', 'p1', 40, { time: '2025-10-31T14:12:00+09:00' }),
    ev.allocation('recipients/gamma', 'al-gamma', 'p2', 5, { time: '2025-11-05T10:00:00+09:00' }),
    ev.mou('mous/m-1', 'mou-1', ['alpha', 'nvidia'], { time: '2025-10-31T14:20:00+09:00' }),
    ev.mou('mous/m-2', 'mou-2', ['beta', 'msit'], { time: '2025-11-10T14:25:00+09:00' }),
    ev.order(A, 'po-1', 'o1', 80, { source: ALPHA_CO, time: '2025-11-20T10:00:00+09:00' }),
    ev.delivery('shipped', A, 'sh-1', 's1', 30, { source: ALPHA_CO, time: '2025-12-01T09:00:00+09:00' }),
    ev.delivery('received', A, 'rc-1', 's1', 30, { source: ALPHA_CO, time: '2025-12-05T09:00:00+09:00' }),
  ];
  const phase2 = [
    ev.allocation(A, 'al-3', 'p1', 120, { time: '2026-01-10T10:00:00+09:00' }),
    ev.delivery('shipped', A, 'sh-2', 's2', 20, { source: ALPHA_CO, time: '2026-01-15T09:00:00+09:00' }),
    // 2026-01-15T23:00:00Z: later than 2026-01-15T23:30Z as a string, earlier as an instant.
    ev.delivery('installed', A, 'in-3', 's3', 10, { source: ALPHA_CO, time: '2026-01-16T08:00:00+09:00' }),
  ];

  beforeAll(async () => {
    t = await newTracker(emu);
    await results(await postJson(t.app, phase1, BATCH));
    await projectAll(t);
    // Subjects are recorded independently: the latest recordedAt of any of them closes phase 1.
    const phase1Recorded = await Promise.all(['alpha', 'beta', 'gamma'].map(async (id) => (await walkHistory(t.app, id)).items.map((e) => e.recordedAt)));
    phase1KnownAt = inSeoul(new Date(Math.max(...phase1Recorded.flat().map(Date.parse))).toISOString());
    await new Promise((r) => setTimeout(r, 20));
    await results(await postJson(t.app, phase2[0], STRUCTURED));
    await results(await postJson(t.app, phase2.slice(1), JSON_TYPE));
    await projectAll(t);
    alphaHistory = (await walkHistory(t.app, 'alpha')).items;
  });

  const alphaFinal = {
    recipientId: 'alpha', name: 'Alpha Cloud', nameKo: '알파', sector: 'private',
    allocated: 170, programs: { p1: 120, p2: 50 }, ordered: 80,
    shipped: 60, inTransit: 20, delivered: 40, installed: 10, remaining: 130,
    sequence: 9, lastEventTime: '2026-01-15T23:00:00Z',
  };

  it('GET /v1/recipients/{id} returns every status field, and 404 for an unknown recipient', async () => {
    const alpha = await getJson<RecipientStatus>(t.app, '/v1/recipients/alpha');
    expect(Object.keys(alpha).sort()).toEqual(
      ['recipientId', 'name', 'nameKo', 'sector', 'allocated', 'programs', 'ordered', 'shipped', 'inTransit', 'delivered', 'installed', 'remaining', 'sequence', 'lastEventTime', 'updatedAt'].sort(),
    );
    expect(alpha).toEqual({ ...alphaFinal, updatedAt: alphaHistory.at(-1)!.recordedAt });

    expect(await getJson<RecipientStatus>(t.app, '/v1/recipients/gamma')).toMatchObject({
      recipientId: 'gamma', name: null, nameKo: null, sector: null, allocated: 5, programs: { p2: 5 }, remaining: 5, sequence: 1,
      lastEventTime: '2025-11-05T01:00:00Z',
    });

    const missing = await problem(await t.app.request('/v1/recipients/nobody'), 404);
    expect(missing.type).toMatch(/not-found/);
    await problem(await t.app.request('/v1/recipients/Not_An_Id'), 400);
  });

  it('GET /v1/recipients lists every status sorted by recipientId', async () => {
    const { items } = await getJson<{ items: RecipientStatus[] }>(t.app, '/v1/recipients');
    expect(items.map((s) => s.recipientId)).toEqual(['alpha', 'beta', 'gamma']);
    for (const s of items) expect(s).toEqual(await getJson(t.app, `/v1/recipients/${s.recipientId}`));
    expect(items[1]).toMatchObject({ name: 'Beta Institute', sector: 'research', allocated: 40, programs: { p1: 40 }, remaining: 40, shipped: 0 });
  });

  it('GET /v1/recipients/{id}/events pages with limit and an opaque cursor, and filters by type', async () => {
    expect(alphaHistory.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(alphaHistory.map(withoutRecording)).toEqual([...phase1.filter((e) => e.subject === A), ...phase2]);

    for (const limit of [1, 2, 3, 4, 8, 9, 10, 100]) {
      const { items, pages } = await walkHistory(t.app, 'alpha', `limit=${limit}`);
      expect(items, `limit=${limit}`).toEqual(alphaHistory);
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(9 / limit));
      expect(pages).toBeLessThanOrEqual(Math.ceil(9 / limit) + 1);
    }
    const first = await getJson<HistoryPage>(t.app, '/v1/recipients/alpha/events?limit=4');
    expect(first.items.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(first.next).not.toBeNull();
    const second = await getJson<HistoryPage>(t.app, `/v1/recipients/alpha/events?limit=4&after=${first.next}`);
    expect(second.items.map((e) => e.sequence)).toEqual([5, 6, 7, 8]);

    for (const type of ['allocation.announced', 'delivery.shipped', 'procurement.ordered', 'mou.signed']) {
      const want = alphaHistory.filter((e) => e.type === type);
      for (const limit of [1, 2, 50]) {
        expect((await walkHistory(t.app, 'alpha', `type=${type}&limit=${limit}`)).items, `${type} limit=${limit}`).toEqual(want);
      }
    }
    expect((await walkHistory(t.app, 'alpha', 'type=allocation.announced')).items.map((e) => e.id)).toEqual(['al-1', 'al-2', 'al-3']);
    expect(await getJson(t.app, '/v1/recipients/nobody/events')).toEqual({ items: [], next: null });

    for (const bad of ['limit=0', 'limit=101', 'limit=abc', 'after=not-a-cursor', 'type=delivery.lost', 'cursor=x', 'page=2']) {
      expect((await problem(await t.app.request(`/v1/recipients/alpha/events?${bad}`), 400)).errors?.length, bad).toBeGreaterThan(0);
    }
  });

  it('GET /v1/summary totals the counters nationally and by sector', async () => {
    const summary = await getJson<Record<string, unknown>>(t.app, '/v1/summary');
    expect(summary).toMatchObject({
      recipients: 3, allocated: 215, ordered: 80, shipped: 60, inTransit: 20, delivered: 40, installed: 10, remaining: 175,
    });
    expect(summary.bySector).toEqual({
      private: { recipients: 1, allocated: 170, ordered: 80, shipped: 60, inTransit: 20, delivered: 40, installed: 10, remaining: 130 },
      research: { recipients: 1, allocated: 40, ordered: 0, shipped: 0, inTransit: 0, delivered: 0, installed: 0, remaining: 40 },
      unregistered: { recipients: 1, allocated: 5, ordered: 0, shipped: 0, inTransit: 0, delivered: 0, installed: 0, remaining: 5 },
    });
  });

  it('GET /v1/programs/{id} totals one program, 404 for an unknown one', async () => {
    expect(await getJson(t.app, '/v1/programs/p1')).toEqual({
      programId: 'p1', allocated: 160,
      recipients: [{ recipientId: 'alpha', name: 'Alpha Cloud', gpus: 120 }, { recipientId: 'beta', name: 'Beta Institute', gpus: 40 }],
    });
    expect(await getJson(t.app, '/v1/programs/p2')).toEqual({
      programId: 'p2', allocated: 55,
      recipients: [{ recipientId: 'alpha', name: 'Alpha Cloud', gpus: 50 }, { recipientId: 'gamma', name: null, gpus: 5 }],
    });
    await problem(await t.app.request('/v1/programs/p9'), 404);
  });

  it('GET /v1/mous and /v1/mous/{id}, with ?party=', async () => {
    const { items } = await getJson<{ items: { mouId: string; parties: string[] }[] }>(t.app, '/v1/mous');
    expect(items.map((m) => m.mouId)).toEqual(['m-1', 'm-2']);
    expect(items[0]).toEqual({
      mouId: 'm-1', title: 'MoU mous/m-1', parties: ['alpha', 'nvidia'], topics: ['AI'], signedAt: '2025-10-31T05:20:00Z',
      source: MSIT, sequence: 1, updatedAt: expect.any(String),
    });
    expect(await getJson(t.app, '/v1/mous/m-2')).toEqual(items[1]);
    expect((await getJson<{ items: { mouId: string }[] }>(t.app, '/v1/mous?party=alpha')).items.map((m) => m.mouId)).toEqual(['m-1']);
    expect((await getJson<{ items: { mouId: string }[] }>(t.app, '/v1/mous?party=msit')).items.map((m) => m.mouId)).toEqual(['m-2']);
    expect((await getJson<{ items: unknown[] }>(t.app, '/v1/mous?party=nobody')).items).toEqual([]);
    await problem(await t.app.request('/v1/mous/m-9'), 404);
    await problem(await t.app.request('/v1/mous?party=NOT%20AN%20ID'), 400);
  });

  it('asOf and knownAt (any offset) give the earlier state; invalid ones and unknown parameters are 400', async () => {
    const asOf = (at: string) => `asOf=${encodeURIComponent(at)}`;
    // Before the later events happened in the world.
    expect(await getJson(t.app, `/v1/recipients/alpha?${asOf('2026-01-16T07:59:00+09:00')}`)).toMatchObject({
      allocated: 170, shipped: 50, inTransit: 20, delivered: 30, installed: 0, remaining: 140, lastEventTime: '2026-01-15T00:00:00Z',
    });
    // Instants, not strings: 23:30Z is after 2026-01-16T08:00+09:00.
    expect(await getJson(t.app, `/v1/recipients/alpha?${asOf('2026-01-15T23:30:00Z')}`)).toMatchObject({ shipped: 60, installed: 10 });
    expect(await getJson(t.app, `/v1/recipients/alpha?${asOf('2026-01-15T18:30:00-04:30')}`)).toMatchObject({ shipped: 60, installed: 10 });
    expect(await getJson(t.app, `/v1/recipients/alpha?${asOf('2026-01-15T22:59:59.999999999Z')}`)).toMatchObject({ shipped: 50, installed: 0 });
    expect(await getJson(t.app, `/v1/recipients/alpha?${asOf('2025-11-01T00:00:00+09:00')}`)).toMatchObject({
      name: 'Alpha Cloud', allocated: 150, programs: { p1: 100, p2: 50 }, ordered: 0, shipped: 0, remaining: 150,
    });
    await problem(await t.app.request(`/v1/recipients/alpha?${asOf('2025-10-31T13:59:59+09:00')}`), 404);
    expect((await getJson<{ items: RecipientStatus[] }>(t.app, `/v1/recipients?${asOf('2025-10-31T14:05:00+09:00')}`)).items.map((s) => s.recipientId))
      .toEqual(['alpha', 'beta']);
    expect(await getJson(t.app, `/v1/summary?${asOf('2025-11-01T00:00:00+09:00')}`)).toMatchObject({ recipients: 2, allocated: 190, remaining: 190 });
    expect((await getJson<{ items: { mouId: string }[] }>(t.app, `/v1/mous?${asOf('2025-11-01T00:00:00+09:00')}`)).items.map((m) => m.mouId)).toEqual(['m-1']);
    await problem(await t.app.request(`/v1/mous/m-2?${asOf('2025-11-01T00:00:00+09:00')}`), 404);
    expect(await getJson(t.app, `/v1/programs/p1?${asOf('2025-11-01T00:00:00+09:00')}`)).toMatchObject({ allocated: 140 });

    // What the tracker knew at the end of the first ingest (an instant written in +09:00).
    const knownAt = `knownAt=${encodeURIComponent(phase1KnownAt)}`;
    expect(await getJson(t.app, `/v1/recipients/alpha?${knownAt}`)).toEqual({
      recipientId: 'alpha', name: 'Alpha Cloud', nameKo: '알파', sector: 'private',
      allocated: 150, programs: { p1: 100, p2: 50 }, ordered: 80, shipped: 30, inTransit: 0, delivered: 30, installed: 0, remaining: 120,
      sequence: 6, lastEventTime: '2025-12-05T00:00:00Z', updatedAt: alphaHistory[5]!.recordedAt,
    });
    expect(await getJson(t.app, `/v1/summary?${knownAt}`)).toMatchObject({ recipients: 3, allocated: 195, shipped: 30 });
    expect(await getJson(t.app, `/v1/recipients/alpha?${knownAt}&${asOf('2025-11-30T00:00:00Z')}`)).toMatchObject({ allocated: 150, ordered: 80, shipped: 0 });

    for (const bad of ['2025-10-31', '2025-10-31T10:00:00', 'yesterday', '2025-02-30T00:00:00Z', '2025-10-31T24:00:00Z', '2025-10-31T10:00:00+9:00', '']) {
      for (const path of ['/v1/recipients/alpha', '/v1/recipients', '/v1/summary', '/v1/mous']) {
        for (const name of ['asOf', 'knownAt']) {
          const body = await problem(await t.app.request(`${path}?${name}=${encodeURIComponent(bad)}`), 400);
          expect(body.errors?.map((e) => e.path), `${path}?${name}=${bad}`).toContain(name);
        }
      }
    }
    for (const path of ['/v1/recipients?foo=1', '/v1/recipients/alpha?asof=2025-11-01T00:00:00Z', '/v1/summary?x=', '/v1/programs/p1?limit=1', '/v1/mous?partner=alpha', '/v1/mous/m-1?party=alpha']) {
      await problem(await t.app.request(path), 400);
    }
  });

  it('sends an ETag, 304 for If-None-Match, and a new ETag once the status changes; a retraction removes its event whatever its time', async () => {
    const paths = ['/v1/recipients/alpha', '/v1/recipients', '/v1/summary', '/v1/programs/p1', '/v1/mous', '/v1/mous/m-1'];
    const tags = new Map<string, string>();
    for (const path of paths) {
      const res = await t.app.request(path);
      expect(res.status).toBe(200);
      const etag = res.headers.get('etag');
      expect(etag, path).toMatch(/^"[^"]+"$/);
      tags.set(path, etag!);
      const again = await t.app.request(path, { headers: { 'if-none-match': etag! } });
      expect(again.status, path).toBe(304);
      expect(await again.text()).toBe('');
      expect((await t.app.request(path, { headers: { 'if-none-match': `"other", W/${etag!}` } })).status).toBe(304);
      expect((await t.app.request(path, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
    }

    // Retract the second shipment (its retraction "happened" later than any asOf below).
    await results(await postJson(t.app, ev.retraction(A, 'retract-sh-2', 'sh-2', { source: ALPHA_CO, time: '2026-03-01T00:00:00+09:00' }), STRUCTURED));
    await t.tracker.project(A);

    const changed = await t.app.request('/v1/recipients/alpha', { headers: { 'if-none-match': tags.get('/v1/recipients/alpha')! } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(tags.get('/v1/recipients/alpha'));
    expect(await changed.json()).toMatchObject({ shipped: 40, inTransit: 0, delivered: 40, installed: 10, sequence: 10 });
    for (const path of ['/v1/recipients', '/v1/summary']) {
      const res = await t.app.request(path, { headers: { 'if-none-match': tags.get(path)! } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('etag')).not.toBe(tags.get(path));
    }
    // Unaffected resources keep their tag.
    expect((await t.app.request('/v1/mous/m-1', { headers: { 'if-none-match': tags.get('/v1/mous/m-1')! } })).status).toBe(304);

    expect(await getJson(t.app, `/v1/recipients/alpha?asOf=${encodeURIComponent('2026-01-15T23:30:00Z')}`)).toMatchObject({ shipped: 40, inTransit: 0 });
    // Before the retraction was recorded, the shipment still counted.
    const beforeRetraction = inSeoul(alphaHistory.at(-1)!.recordedAt);
    expect(await getJson(t.app, `/v1/recipients/alpha?knownAt=${encodeURIComponent(beforeRetraction)}`)).toMatchObject({ shipped: 60, inTransit: 20, sequence: 9 });
    expect(t.unexpected).toEqual([]);
  });
});
