/**
 * Abuse resistance (issue 3) by property-based fuzzing with fast-check, with a valid admin key, over
 * the real storage: random JSON, random bytes, huge strings, deep nesting and wrong content types
 * posted to `POST /v1/events`, `POST /v1/keys`, `POST /v1/subscriptions` and the replay route, and
 * random query strings, path ids and Authorization headers on the GET routes. Every answer is a 4xx
 * `application/problem+json` (never a 5xx, no error reaches `onError` unexpectedly), nothing is stored
 * (full-table scans equal the baseline after every run) and `/healthz` still answers 200 at the end.
 *
 * Seeded: `FUZZ_SEED` (default below) reproduces a run; a failure names its seed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NewKeyRequest } from '../../src/domain/access.ts';
import { validateEvent } from '../../src/domain/event-schema.ts';
import { NewSubscriptionRequest, ReplayRequest } from '../../src/domain/webhooks.ts';
import { asAdmin, ev, newTracker, scanAll, startEmulators, type Emulators, type TestTracker } from './tracker-harness.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_031);
const RUNS = 150;

const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';
const JSON_TYPE = 'application/json';
const HOOK = 'http://127.0.0.1:9/hook';

let emu: Emulators;
let t: TestTracker;
let subscriptionId: string;
let baseline: Map<string, string>;
let original: Map<string, string>;

// ---------------------------------------------------------------------------------------------

/** Every item of the four tables by table and key (rate-limit windows aside; the admin key makes none anyway). */
async function tables(): Promise<Map<string, string>> {
  const c = t.config;
  const names = { Events: c.EVENTS_TABLE, State: c.STATE_TABLE, Keys: c.KEYS_TABLE, Notify: c.NOTIFY_TABLE };
  const scans = await Promise.all(Object.entries(names).map(async ([table, name]) => ({ table, items: await scanAll(t.tracker, name) })));
  const out = new Map<string, string>();
  for (const { table, items } of scans) {
    for (const item of items) {
      if (!String(item.pk).startsWith('RATE#')) out.set(`${table} ${String(item.pk)} ${String(item.sk)}`, JSON.stringify(item));
    }
  }
  return out;
}

/** What differs from the baseline, one short line per item (empty when nothing was stored or changed). */
async function changes(): Promise<string[]> {
  const now = await tables();
  const lines: string[] = [];
  for (const [key, item] of now) if (!baseline.has(key)) lines.push(`added ${key}`);
  else if (baseline.get(key) !== item) lines.push(`changed ${key}`);
  for (const key of baseline.keys()) if (!now.has(key)) lines.push(`removed ${key}`);
  return lines;
}

/** Runs a property with the file's seed; a failure says which seed reproduces it. */
async function check<T>(arbitrary: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, numRuns = RUNS): Promise<void> {
  t.unexpected.splice(0); // an earlier property that caused them has failed already; judge this one alone
  try {
    await fc.assert(fc.asyncProperty(arbitrary, predicate), { seed: SEED, numRuns });
  } catch (error) {
    throw new Error(`Property failed with seed ${SEED} (rerun with FUZZ_SEED=${SEED}): ${(error as Error).message}`, { cause: error });
  }
  expect(t.unexpected).toEqual([]);
}

interface Sent { route: string; status: number; contentType: string | null; text: string }

async function send(path: string, init: { method?: string; body?: string | Uint8Array<ArrayBuffer>; contentType?: string | undefined; headers?: Record<string, string> } = {}): Promise<Sent> {
  const res = await t.app.request(path, {
    method: init.method ?? 'POST',
    headers: { ...asAdmin, ...(init.contentType === undefined ? {} : { 'content-type': init.contentType }), ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const contentType = res.headers.get('content-type');
  if (contentType?.startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { route: path, status: res.status, contentType, text: '' };
  }
  return { route: path, status: res.status, contentType, text: await res.text() };
}

/** A 4xx Problem Details answer. */
function expectClientProblem(a: Sent, allowed: readonly number[] = [400, 401, 404, 413, 415]): void {
  const where = `${a.route} → ${a.status}: ${a.text.slice(0, 300)}`;
  expect(allowed, where).toContain(a.status);
  expect(a.contentType, where).toBe('application/problem+json');
  const body = JSON.parse(a.text) as Record<string, unknown>;
  expect(body, where).toMatchObject({ type: expect.stringMatching(/^\/problems\//), title: expect.any(String), status: a.status, detail: expect.any(String) });
}

/** A read's answer: 200/304, or a 4xx problem; never a 5xx. */
function expectReadAnswer(a: Sent): void {
  if (a.status === 200 || a.status === 304) return;
  expectClientProblem(a, [400, 404]);
}

/**
 * What a request stored or changed since the baseline. Whatever it finds becomes the new baseline,
 * so that shrinking judges each candidate by what it alone stored (the file still ends by comparing
 * with the original tables).
 */
async function takeChanges(): Promise<string[]> {
  const found = await changes();
  if (found.length > 0) baseline = await tables();
  return found;
}

/** The answer must be a refusal, and the request must have stored nothing (both checked, storage first). */
async function expectRefusedAndNothingStored(a: Sent, allowed?: readonly number[]): Promise<void> {
  const stored = await takeChanges();
  expect(t.unexpected).toEqual([]);
  expectClientProblem(a, allowed);
  expect(stored, `${a.route} → ${a.status} stored`).toEqual([]);
}

async function expectNothingStored(): Promise<void> {
  expect(t.unexpected).toEqual([]);
  expect(await takeChanges()).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// The body routes

interface BodyRoute {
  name: string;
  path: () => string;
  /** Content types the route takes. */
  json: readonly string[];
  /** Whether a parsed body would be a valid request (those are not fuzz cases: they would be stored). */
  valid(value: unknown): boolean;
  /** A valid body, for the content-type property. */
  sample(): unknown;
}

const validEvents = (value: unknown) =>
  Array.isArray(value)
    ? value.length >= 1 && value.length <= 100 && value.every((e, i) => validateEvent(e, i).ok)
    : validateEvent(value, 0).ok;

let sampleSerial = 0;
const BODY_ROUTES: BodyRoute[] = [
  {
    name: 'POST /v1/events', path: () => '/v1/events', json: [STRUCTURED, BATCH, JSON_TYPE], valid: validEvents,
    sample: () => ev.delivery('shipped', 'recipients/alpha', `fuzz-${++sampleSerial}`, 'sh-1', 1),
  },
  {
    name: 'POST /v1/keys', path: () => '/v1/keys', json: [JSON_TYPE], valid: (v) => NewKeyRequest.safeParse(v).success,
    sample: () => ({ name: 'fuzzed', role: 'admin' }),
  },
  {
    name: 'POST /v1/subscriptions', path: () => '/v1/subscriptions', json: [JSON_TYPE], valid: (v) => NewSubscriptionRequest.safeParse(v).success,
    sample: () => ({ url: HOOK }),
  },
  {
    name: 'POST /v1/subscriptions/{id}/replay', path: () => `/v1/subscriptions/${subscriptionId}/replay`, json: [JSON_TYPE],
    valid: (v) => ReplayRequest.safeParse(v).success,
    sample: () => ({ since: '2025-01-01T00:00:00Z' }),
  },
];

const ROUTE = new Map(BODY_ROUTES.map((r) => [r.name, r]));
const routeOf = (name: string) => ROUTE.get(name)!;
/** Route names (not the objects) in counterexamples. */
const routeArb = fc.constantFrom(...BODY_ROUTES.map((r) => r.name));
const withJsonType = <T>(arb: (r: BodyRoute) => fc.Arbitrary<T>) =>
  routeArb.chain((name) => fc.tuple(fc.constant(name), fc.constantFrom(...routeOf(name).json), arb(routeOf(name))));

function validText(route: BodyRoute, text: string): boolean {
  try {
    return route.valid(JSON.parse(text));
  } catch {
    return false;
  }
}

/** Posts a body that must be refused, then checks the answer and the tables. */
async function refused(name: string, body: string | Uint8Array<ArrayBuffer>, contentType: string | undefined, allowed?: readonly number[]): Promise<void> {
  await expectRefusedAndNothingStored(await send(routeOf(name).path(), { body, contentType }), allowed);
}

// ---------------------------------------------------------------------------------------------
// Generators

/** An envelope whose fields are sometimes right and sometimes anything: reaches deeper validation. */
const sometimes = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
const eventLike = fc.record(
  {
    specversion: sometimes(fc.constant('1.0')),
    id: sometimes(fc.string({ minLength: 1, maxLength: 20 })),
    source: sometimes(fc.constantFrom('/agencies/msit', 'https://example.org/x', 'not a uri \u0000')),
    type: sometimes(fc.constantFrom('recipient.registered', 'allocation.announced', 'delivery.shipped', 'mou.signed', 'event.retracted', 'nope', '__proto__', 'constructor', 'toString')),
    subject: sometimes(fc.constantFrom('recipients/alpha', 'mous/mou-1', 'recipients/', 'other/x')),
    time: sometimes(fc.constantFrom('2025-10-31T14:00:00+09:00', '2025-13-01T00:00:00Z', 'yesterday')),
    data: sometimes(fc.dictionary(fc.constantFrom('name', 'sector', 'programId', 'gpus', 'quantity', 'eventId', 'reason', 'parties', '__proto__', 'extra'), fc.jsonValue({ maxDepth: 2 }))),
    datacontenttype: fc.jsonValue({ maxDepth: 1 }),
    ext1: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

const WRONG_TYPES = [
  undefined, '', 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
  'application/xml', 'text/html', 'application/octet-stream', 'application/jsonx', 'json', 'text/json', 'application/javascript', 'image/png',
] as const;

const bigLength = fc.oneof(
  fc.integer({ min: 2_049, max: 300 * 1024 }),
  fc.constantFrom(16 * 1024 - 40, 16 * 1024 + 1, 256 * 1024 - 200, 256 * 1024 + 1, 300 * 1024),
);
const chunk = fc.constantFrom('a', 'é', '한', '😀', '"', '\\', '\u0000', 'ab\ncd', '{[');

/** Where a huge string goes, per route (a field validation limits, or the raw body). */
function hugeBody(route: BodyRoute, place: number, text: string): string {
  const e = ev.registered('recipients/alpha', 'huge-1', { name: 'x', sector: 'public' });
  if (place === 0) return text;
  if (route.name === 'POST /v1/events') {
    const variants = [
      { ...e, id: text }, { ...e, source: text }, { ...e, data: { ...e.data, name: text } }, { ...e, ext1: text }, { ...e, [text.slice(0, 5000)]: 1 },
    ];
    return JSON.stringify(variants[place % variants.length]);
  }
  if (route.name === 'POST /v1/keys') return JSON.stringify([{ name: text, role: 'admin' }, { name: 'k', role: 'reporter', sources: [text] }][place % 2]);
  if (route.name === 'POST /v1/subscriptions') return JSON.stringify([{ url: text }, { url: HOOK, types: [text] }][place % 2]);
  return JSON.stringify({ since: text });
}

const nest = (depth: number, kind: 'array' | 'object') =>
  kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Deeply nested JSON as the whole body or inside a field. */
function deepBody(route: BodyRoute, place: number, depth: number, kind: 'array' | 'object'): string {
  const deep = nest(depth, kind);
  if (place === 0) return deep;
  if (place === 1) return (kind === 'array' ? '[' : '{"a":').repeat(depth); // never closed
  if (route.name === 'POST /v1/events') {
    const head = '{"specversion":"1.0","id":"deep-1","source":"/agencies/msit","type":"recipient.registered","subject":"recipients/alpha","time":"2025-10-31T14:00:00+09:00"';
    return [
      `${head},"data":{"name":${deep},"sector":"public"}}`,
      `${head},"data":${deep}}`,
      `${head},"data":{"name":"n","sector":"public"},"ext":${deep}}`,
      `[${deep}]`,
    ][place % 4]!;
  }
  if (route.name === 'POST /v1/keys') return [`{"name":"k","role":"admin","sources":${deep}}`, `{"name":${deep},"role":"admin"}`][place % 2]!;
  if (route.name === 'POST /v1/subscriptions') return [`{"url":"${HOOK}","types":${deep}}`, `{"url":${deep}}`][place % 2]!;
  return `{"since":${deep}}`;
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  emu = await startEmulators();
  t = await newTracker(emu, { TRACKER_ALLOW_PRIVATE_WEBHOOKS: '1' });
  const seeded = await send('/v1/events', {
    body: JSON.stringify([ev.registered('recipients/alpha', 'seed-1'), ev.allocation('recipients/alpha', 'seed-2', 'gpu-2025', 10), ev.mou('mous/mou-1', 'seed-3', ['alpha', 'beta'])]),
    contentType: BATCH,
  });
  expect(seeded.status, seeded.text).toBe(202);
  for (const subject of await t.tracker.log.subjects()) await t.tracker.project(subject);
  const made = await send('/v1/subscriptions', { body: JSON.stringify({ url: HOOK, types: ['*'] }), contentType: JSON_TYPE });
  expect(made.status, made.text).toBe(201);
  subscriptionId = (JSON.parse(made.text) as { id: string }).id;
  baseline = await tables();
  original = baseline;
});

afterAll(async () => {
  await emu?.stop();
});

describe('fuzzing the write routes with a valid admin key: always a 4xx problem, nothing stored', () => {
  it('random JSON values', async () => {
    await check(withJsonType(() => fc.jsonValue({ maxDepth: 6 })), async ([name, contentType, value]) => {
      fc.pre(!routeOf(name).valid(value));
      await refused(name, JSON.stringify(value), contentType);
    });
  });

  it('event-shaped JSON with random fields, alone or in batches', async () => {
    const arb = fc.tuple(fc.constantFrom(STRUCTURED, BATCH, JSON_TYPE), fc.oneof(eventLike, fc.array(eventLike, { minLength: 0, maxLength: 5 })));
    await check(arb, async ([contentType, value]) => {
      fc.pre(!validEvents(value));
      await refused('POST /v1/events', JSON.stringify(value), contentType);
    });
  });

  it('random bytes, under JSON and other content types', async () => {
    const arb = routeArb.chain((name) =>
      fc.tuple(fc.constant(name), fc.constantFrom(...routeOf(name).json, ...WRONG_TYPES), fc.uint8Array({ maxLength: 4096 })),
    );
    await check(arb, async ([name, contentType, bytes]) => {
      fc.pre(!validText(routeOf(name), Buffer.from(bytes).toString('utf8')));
      await refused(name, new Uint8Array(bytes), contentType);
    });
  });

  it('huge strings (up to 300 KB) as the body or in a field', async () => {
    const arb = withJsonType(() => fc.record({ length: bigLength, chunk, place: fc.nat(9) }));
    await check(arb, async ([name, contentType, { length, chunk: c, place }]) => {
      const body = hugeBody(routeOf(name), place, c.repeat(Math.ceil(length / c.length)).slice(0, length));
      fc.pre(!validText(routeOf(name), body));
      await refused(name, body, contentType);
    });
  });

  it('deep nesting (to 10,000 levels) of arrays and objects', async () => {
    const depth = fc.oneof(fc.constant(10_000), fc.integer({ min: 100, max: 10_000 }));
    const arb = withJsonType(() => fc.record({ depth, kind: fc.constantFrom('array' as const, 'object' as const), place: fc.nat(5) }));
    await check(arb, async ([name, contentType, { depth: d, kind, place }]) => {
      await refused(name, deepBody(routeOf(name), place, d, kind), contentType);
    });
  });

  it('a valid body under a wrong content type is 415', async () => {
    const arb = fc.tuple(routeArb, fc.constantFrom(...WRONG_TYPES), fc.boolean());
    await check(arb, async ([name, contentType, binary]) => {
      const route = routeOf(name);
      const body = route.sample();
      if (binary && name === 'POST /v1/events') {
        // Binary mode: attributes as ce-* headers, data as the body, under a non-JSON type.
        const event = body as Record<string, unknown>;
        const headers = Object.fromEntries(Object.entries(event).filter(([k]) => k !== 'data').map(([k, v]) => [`ce-${k}`, encodeURIComponent(String(v))]));
        await expectRefusedAndNothingStored(await send(route.path(), { body: JSON.stringify(event.data), contentType, headers }), [415]);
        return;
      }
      await refused(name, JSON.stringify(body), contentType, [415]);
    }, 100);
  });
});

describe('fuzzing the read routes: never a 5xx', () => {
  const reads = () => [
    '/v1/recipients', '/v1/recipients/alpha', '/v1/recipients/alpha/events', '/v1/summary', '/v1/programs/gpu-2025', '/v1/mous',
    '/v1/mous/mou-1', '/v1/feed', '/v1/stream', '/v1/keys', '/v1/subscriptions', `/v1/subscriptions/${subscriptionId}`,
    `/v1/subscriptions/${subscriptionId}/deliveries`,
  ];

  it('every GET /v1 route of the app is fuzzed here', () => {
    const listed = new Set(reads().map((p) => p.replace(subscriptionId, ':id').replace('alpha', ':id').replace('gpu-2025', ':programId').replace('mou-1', ':id')));
    const gets = t.app.routes.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/')).map((r) => r.path);
    for (const path of gets) expect(listed, path).toContain(path);
  });

  it('random query strings', async () => {
    const name = fc.oneof(fc.constantFrom('asOf', 'knownAt', 'limit', 'after', 'type', 'party', 'since', '__proto__', 'constructor'), fc.string({ maxLength: 12 }));
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.integer().map(String),
      fc.double().map(String),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('', '2025-10-31T14:00:00+09:00', '0', '-1', '101', 'NaN', 'eyJzIjoxfQ', 'eyJiIjoiMjAyNS0xMC0zMVQwNSIsImsiOiIifQ'),
    );
    const encoded = fc.array(fc.tuple(name, value), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
    const raw = fc.array(fc.oneof(fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%80', '%00', '&', '=', '+', '?', ';', 'limit', 'after', 'asOf', '[]', '[a]'), fc.string({ maxLength: 6 })), { maxLength: 12 }).map((parts) => parts.join(''));
    const arb = fc.tuple(fc.constantFrom(...reads()), fc.oneof(encoded, raw));
    await check(arb, async ([path, query]) => {
      expectReadAnswer(await send(`${path}?${query.replace(/#/g, '%23')}`, { method: 'GET' }));
    });
    await expectNothingStored();
  });

  it('random path ids and cursors', async () => {
    const segment = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('..', '.', '%2e%2e', 'ALPHA', 'a', 'sub_00000000000000000000', '__proto__', 'x'.repeat(300)));
    const template = fc.constantFrom('/v1/recipients/{}', '/v1/recipients/{}/events', '/v1/programs/{}', '/v1/mous/{}', '/v1/subscriptions/{}', '/v1/subscriptions/{}/deliveries');
    await check(fc.tuple(template, segment), async ([tpl, seg]) => {
      expectReadAnswer(await send(tpl.replace('{}', encodeURIComponent(seg)), { method: 'GET' }));
    });
    await check(fc.string({ maxLength: 200 }), async (cursor) => {
      expectReadAnswer(await send('/v1/stream', { method: 'GET', headers: { 'last-event-id': encodeURIComponent(cursor) } }));
    }, 50);
    await expectNothingStored();
  });

  it('random Authorization headers are 401, never anything else', async () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 250 });
    const header = fc.oneof(printable, printable.map((s) => `Bearer ${s}`), printable.map((s) => `Bearer trk_${s}`), fc.constantFrom('Bearer  x', 'bearer x', 'Bearer x y'));
    await check(fc.tuple(fc.constantFrom('/v1/summary', '/v1/events', '/v1/keys'), header), async ([path, authorization]) => {
      fc.pre(authorization.trim().length > 0);
      const a = await send(path, { method: path === '/v1/events' ? 'POST' : 'GET', headers: { authorization }, contentType: STRUCTURED, ...(path === '/v1/events' ? { body: '{}' } : {}) });
      expectClientProblem(a, [401]);
    });
    await expectNothingStored();
  });

  it('the tracker is healthy afterwards', async () => {
    expect((await send('/healthz', { method: 'GET' })).status).toBe(200);
    expect(t.unexpected).toEqual([]);
    baseline = original;
    expect(await changes()).toEqual([]);
  });
});
