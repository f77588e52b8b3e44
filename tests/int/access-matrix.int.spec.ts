/**
 * Access control (CONTRACT §5, §6; issue 3) as a matrix over the real storage: every route that is
 * not public × every kind of caller → the right status, and after each refused request full-table
 * scans of Events, State, Keys (rate-limit windows aside) and Notify equal the scans taken before.
 * The allowed callers are in the matrix too (2xx, and the tables they should change did change), so
 * it fails both ways. The route table is checked against `app.routes`, so a new route can't slip past.
 * Then: public reads and `TRACKER_READS_REQUIRE_KEY`, CORS, retraction by another source, and
 * per-key rate limits shared by two tracker instances over one Keys table.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrackerApp } from '../../src/api-runtime.ts';
import type { Role } from '../../src/domain/access.ts';
import type { TrackerEvent } from '../../src/domain/event-schema.ts';
import type { Clock } from '../../src/ports.ts';
import { createTracker } from '../../src/runtime.ts';
import { createWebhooks } from '../../src/runtime-delivery.ts';
import { ADMIN_KEY, asAdmin, ev, newTracker, scanAll, startEmulators, type Emulators, type TestTracker } from './tracker-harness.ts';

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
const LOCAL = { TRACKER_ALLOW_PRIVATE_WEBHOOKS: '1' };
/** Nothing listens there, and nothing is delivered in these tests (no consumers run). */
const HOOK = 'http://127.0.0.1:9/hook';

// ---------------------------------------------------------------------------------------------
// Tables before and after

const TABLES = ['Events', 'State', 'Keys', 'Notify'] as const;
type Table = (typeof TABLES)[number];
type Snapshot = Record<Table, Record<string, unknown>[]>;

/** Every item of the four tables; rate-limit windows (`RATE#…`) are left out: counting is their job. */
async function snapshot(t: TestTracker): Promise<Snapshot> {
  const c = t.config;
  const [Events, State, Keys, Notify] = await Promise.all(
    [c.EVENTS_TABLE, c.STATE_TABLE, c.KEYS_TABLE, c.NOTIFY_TABLE].map((name) => scanAll(t.tracker, name)),
  );
  return { Events: Events!, State: State!, Keys: Keys!.filter((i) => !String(i.pk).startsWith('RATE#')), Notify: Notify! };
}

const changedTables = (a: Snapshot, b: Snapshot) => TABLES.filter((n) => JSON.stringify(a[n]) !== JSON.stringify(b[n]));

// ---------------------------------------------------------------------------------------------
// HTTP

interface Answer { status: number; headers: Headers; text: string; body: any }

async function call(app: App, method: string, path: string, authorization?: string, body?: unknown, contentType = 'application/json', extra: Record<string, string> = {}): Promise<Answer> {
  const res = await app.request(path, {
    method,
    headers: {
      ...(authorization === undefined ? {} : { authorization }),
      ...(body === undefined ? {} : { 'content-type': contentType }),
      ...extra,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const streaming = res.headers.get('content-type')?.startsWith('text/event-stream');
  if (streaming) await res.body?.cancel();
  const text = streaming ? '' : await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** A refusal: Problem Details with that status, `WWW-Authenticate` exactly on 401. */
function expectProblem(a: Answer, status: number, what: string): void {
  expect(a.status, `${what}: ${a.text}`).toBe(status);
  expect(a.headers.get('content-type'), what).toBe('application/problem+json');
  expect(a.body, what).toMatchObject({ type: expect.stringMatching(/^\/problems\//), title: expect.any(String), status, detail: expect.any(String) });
  if (status === 401) expect(a.headers.get('www-authenticate'), what).toMatch(/^Bearer realm=/);
  else expect(a.headers.get('www-authenticate'), what).toBeNull();
}

const bearer = (key: string) => `Bearer ${key}`;

let serial = 0;
const freshId = (tag: string) => `${tag}-${++serial}-${randomBytes(3).toString('hex')}`;

// ---------------------------------------------------------------------------------------------
// Callers

/** Callers holding a valid key: the deployment's admin key and API keys of each role and scope. */
type KeyCaller = 'admin' | 'adminKey' | 'reporter' | 'repSource' | 'repSubject' | 'repType' | 'subscriber' | 'subscriberB';
/** Callers that must be refused before anything else is looked at. */
const BAD_CALLERS = ['no key', 'header "Bearer"', 'header "Basic abc"', 'header "Bearer trk_short"', 'unknown key', 'revoked key'] as const;
type BadCaller = (typeof BAD_CALLERS)[number];
type Caller = KeyCaller | BadCaller;

const ROLE_OF: Record<KeyCaller, Role> = {
  admin: 'admin', adminKey: 'admin',
  reporter: 'reporter', repSource: 'reporter', repSubject: 'reporter', repType: 'reporter',
  subscriber: 'subscriber', subscriberB: 'subscriber',
};

/** Each reporter key allows the in-scope event (source /agencies/msit, subject recipients/alpha, type delivery.shipped). */
const KEY_REQUESTS: Record<Exclude<KeyCaller, 'admin'>, Record<string, unknown>> = {
  adminKey: { name: 'operations admin', role: 'admin' },
  reporter: { name: 'MSIT reporter', role: 'reporter', sources: ['/agencies/msit'], subjects: ['recipients/*'], types: ['*'] },
  repSource: { name: 'scoped to a source', role: 'reporter', sources: ['/agencies/msit'], subjects: ['*'], types: ['*'] },
  repSubject: { name: 'scoped to a subject', role: 'reporter', sources: ['*'], subjects: ['recipients/alpha'], types: ['*'] },
  repType: { name: 'scoped to a type', role: 'reporter', sources: ['/agencies/*'], subjects: ['*'], types: ['delivery.*'] },
  subscriber: { name: 'analyst A', role: 'subscriber' },
  subscriberB: { name: 'analyst B', role: 'subscriber' },
};

interface Fixture {
  t: TestTracker;
  keys: Record<KeyCaller, { id: string; key: string }>;
  revoked: string;
  unknown: string;
  /** An active key that refused DELETE /v1/keys/{id} requests aim at. */
  victimId: string;
  /** Subscriber A's subscription. */
  subA: string;
}

function authOf(f: Fixture, caller: Caller): string | undefined {
  switch (caller) {
    case 'no key': return undefined;
    case 'header "Bearer"': return 'Bearer';
    case 'header "Basic abc"': return 'Basic abc';
    case 'header "Bearer trk_short"': return 'Bearer trk_short';
    case 'unknown key': return bearer(f.unknown);
    case 'revoked key': return bearer(f.revoked);
    default: return bearer(f.keys[caller].key);
  }
}

async function createKey(app: App, request: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const made = await call(app, 'POST', '/v1/keys', asAdmin.authorization, request);
  expect(made.status, made.text).toBe(201);
  expect(made.body.key).toMatch(/^trk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  return { id: made.body.id as string, key: made.body.key as string };
}

async function createSubscription(app: App, authorization: string): Promise<string> {
  const made = await call(app, 'POST', '/v1/subscriptions', authorization, { url: HOOK, types: ['*'] });
  expect(made.status, made.text).toBe(201);
  return made.body.id as string;
}

/** Recipient alpha (registered, allocated, shipped), a program and an MoU, projected: every read has something to show. */
async function seed(t: TestTracker): Promise<void> {
  const events: TrackerEvent[] = [
    ev.registered('recipients/alpha', 'seed-1', { name: 'Alpha Lab', sector: 'research' }),
    ev.allocation('recipients/alpha', 'seed-2', 'gpu-2025', 1000),
    ev.delivery('shipped', 'recipients/alpha', 'seed-3', 'sh-1', 100),
    ev.registered('recipients/beta', 'seed-4', { name: 'Beta Corp' }),
    ev.mou('mous/mou-1', 'seed-5', ['alpha', 'beta']),
  ];
  const res = await call(t.app, 'POST', '/v1/events', asAdmin.authorization, events, BATCH);
  expect(res.status, res.text).toBe(202);
  for (const subject of await t.tracker.log.subjects()) await t.tracker.project(subject);
}

async function buildFixture(t: TestTracker): Promise<Fixture> {
  await seed(t);
  const keys = { admin: { id: 'admin', key: ADMIN_KEY } } as Fixture['keys'];
  for (const [caller, request] of Object.entries(KEY_REQUESTS)) keys[caller as KeyCaller] = await createKey(t.app, request);

  // Revoked: used once (so this process has it cached), then revoked through the API.
  const doomed = await createKey(t.app, { name: 'to be revoked', role: 'admin' });
  expect((await call(t.app, 'GET', '/v1/keys', bearer(doomed.key))).status).toBe(200);
  const revoked = await call(t.app, 'DELETE', `/v1/keys/${doomed.id}`, asAdmin.authorization);
  expect(revoked.status, revoked.text).toBe(200);
  expect(revoked.body.revokedAt).toEqual(expect.any(String));

  const victim = await createKey(t.app, { name: 'victim', role: 'reporter', sources: ['*'], subjects: ['*'], types: ['*'] });
  const subA = await createSubscription(t.app, bearer(keys.subscriber.key));
  const unknown = `trk_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
  return { t, keys, revoked: doomed.key, unknown, victimId: victim.id, subA };
}

// ---------------------------------------------------------------------------------------------
// The route table

type Scope = 'in' | 'source' | 'subject' | 'type' | 'batch';

/** The event a reporter posts; every reporter key allows `in`, each scoped key refuses one of the others. */
function eventsFor(scope: Scope): { body: unknown; contentType: string } {
  const id = freshId('acc');
  const inScope = ev.delivery('shipped', 'recipients/alpha', id, `sh-${id}`, 5);
  switch (scope) {
    case 'in': return { body: inScope, contentType: STRUCTURED };
    case 'source': return { body: { ...inScope, source: '/companies/other' }, contentType: STRUCTURED };
    case 'subject': return { body: { ...inScope, subject: 'recipients/beta' }, contentType: STRUCTURED };
    case 'type': return { body: ev.allocation('recipients/alpha', id, 'gpu-2025', 10), contentType: STRUCTURED };
    case 'batch': return { body: [inScope, ev.mou('mous/mou-1', freshId('acc'), ['alpha', 'beta'])], contentType: BATCH };
  }
}

interface Case { name: string; route: RouteSpec; caller: Caller; expect: 'ok' | 401 | 403 | 404; scope: Scope }

interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** As Hono lists it in `app.routes`. */
  path: string;
  roles: Role[];
  /** A subscription route: another subscriber's subscription is a 404. */
  owned?: boolean;
  ok: number;
  /** Tables an allowed request must change, and tables it may change. */
  mustChange: Table[];
  mayChange?: Table[];
  /** The request (fresh targets are made here, before the "before" scan). */
  request(f: Fixture, c: Case): Promise<{ path: string; body?: unknown; contentType?: string }>;
  /** Extra checks of an allowed answer. */
  verify?(f: Fixture, c: Case, a: Answer): void;
}

const ROUTES: RouteSpec[] = [
  {
    method: 'POST', path: '/v1/events', roles: ['reporter', 'admin'], ok: 202, mustChange: ['Events'],
    request: async (_f, c) => ({ path: '/v1/events', ...eventsFor(c.scope) }),
    verify: (_f, _c, a) => expect(a.body.results).toEqual([expect.objectContaining({ status: 'accepted', source: '/agencies/msit' })]),
  },
  {
    method: 'POST', path: '/v1/keys', roles: ['admin'], ok: 201, mustChange: ['Keys'],
    request: async (_f, c) => ({ path: '/v1/keys', body: { name: `made in case ${c.name}`.slice(0, 100), role: 'admin' } }),
  },
  {
    method: 'GET', path: '/v1/keys', roles: ['admin'], ok: 200, mustChange: [],
    request: async () => ({ path: '/v1/keys' }),
    verify: (f, _c, a) => {
      const ids = (a.body.items as Record<string, unknown>[]).map((k) => k.id);
      expect(ids).toContain(f.keys.reporter.id);
      for (const item of a.body.items as Record<string, unknown>[]) {
        expect(item).not.toHaveProperty('key');
        expect(item).not.toHaveProperty('hash');
      }
    },
  },
  {
    method: 'DELETE', path: '/v1/keys/:id', roles: ['admin'], ok: 200, mustChange: ['Keys'],
    request: async (f, c) => ({
      path: `/v1/keys/${c.expect === 'ok' ? (await createKey(f.t.app, { name: 'throwaway', role: 'subscriber' })).id : f.victimId}`,
    }),
    verify: (_f, _c, a) => expect(a.body.revokedAt).toEqual(expect.any(String)),
  },
  {
    method: 'POST', path: '/v1/subscriptions', roles: ['subscriber', 'admin'], ok: 201, mustChange: ['Notify'],
    request: async () => ({ path: '/v1/subscriptions', body: { url: HOOK, types: ['delivery.*'] } }),
    verify: (_f, _c, a) => expect(a.body.secret).toMatch(/^whsec_/),
  },
  {
    method: 'GET', path: '/v1/subscriptions', roles: ['subscriber', 'admin'], ok: 200, mustChange: [],
    request: async () => ({ path: '/v1/subscriptions' }),
    verify: (f, _c, a) => expect((a.body.items as { id: string }[]).map((s) => s.id)).toContain(f.subA),
  },
  {
    method: 'GET', path: '/v1/subscriptions/:id', roles: ['subscriber', 'admin'], owned: true, ok: 200, mustChange: [],
    request: async (f) => ({ path: `/v1/subscriptions/${f.subA}` }),
    verify: (f, _c, a) => {
      expect(a.body.id).toBe(f.subA);
      expect(a.body).not.toHaveProperty('secret');
    },
  },
  {
    method: 'DELETE', path: '/v1/subscriptions/:id', roles: ['subscriber', 'admin'], owned: true, ok: 200, mustChange: ['Notify'],
    request: async (f, c) => ({
      path: `/v1/subscriptions/${c.expect === 'ok' ? await createSubscription(f.t.app, bearer(f.keys.subscriber.key)) : f.subA}`,
    }),
  },
  {
    method: 'GET', path: '/v1/subscriptions/:id/deliveries', roles: ['subscriber', 'admin'], owned: true, ok: 200, mustChange: [],
    request: async (f) => ({ path: `/v1/subscriptions/${f.subA}/deliveries` }),
    verify: (_f, _c, a) => expect(a.body).toMatchObject({ items: expect.any(Array) }),
  },
  {
    method: 'POST', path: '/v1/subscriptions/:id/replay', roles: ['subscriber', 'admin'], owned: true, ok: 202, mustChange: [], mayChange: ['Notify'],
    request: async (f) => ({ path: `/v1/subscriptions/${f.subA}/replay`, body: { since: '2025-01-01T00:00:00Z' } }),
  },
];

/** A key caller of each role, to stand for that role where it is the wrong one. */
const WRONG_ROLE_CALLER: Record<Role, KeyCaller> = { reporter: 'reporter', subscriber: 'subscriber', admin: 'adminKey' };

function casesOf(route: RouteSpec): Case[] {
  const id = `${route.method} ${route.path}`;
  const cases: Case[] = BAD_CALLERS.map((caller) => ({ name: `${id} · ${caller} → 401`, route, caller, expect: 401, scope: 'in' }));
  for (const role of ['reporter', 'subscriber', 'admin'] as const) {
    if (!route.roles.includes(role)) {
      cases.push({ name: `${id} · ${role} key (wrong role) → 403`, route, caller: WRONG_ROLE_CALLER[role], expect: 403, scope: 'in' });
    }
  }
  if (route.owned) cases.push({ name: `${id} · another subscriber's subscription → 404`, route, caller: 'subscriberB', expect: 404, scope: 'in' });
  if (route.path === '/v1/events') {
    cases.push(
      { name: `${id} · key scoped to another source → 403`, route, caller: 'repSource', expect: 403, scope: 'source' },
      { name: `${id} · key scoped to another subject → 403`, route, caller: 'repSubject', expect: 403, scope: 'subject' },
      { name: `${id} · key scoped to another type → 403`, route, caller: 'repType', expect: 403, scope: 'type' },
      { name: `${id} · batch with one event outside the scope → 403`, route, caller: 'reporter', expect: 403, scope: 'batch' },
    );
  }
  for (const caller of Object.keys(ROLE_OF) as KeyCaller[]) {
    if (caller === 'subscriberB') continue; // subscriber A stands for subscribers; B is the stranger
    if (route.roles.includes(ROLE_OF[caller])) cases.push({ name: `${id} · ${caller} (allowed) → ${route.ok}`, route, caller, expect: 'ok', scope: 'in' });
  }
  return cases;
}

/** What an `:param` route answers about in these tests. */
function concrete(path: string, f: Fixture): string {
  return path
    .replace('/v1/programs/:programId', '/v1/programs/gpu-2025')
    .replace('/v1/mous/:id', '/v1/mous/mou-1')
    .replace('/v1/subscriptions/:id', `/v1/subscriptions/${f.subA}`)
    .replace('/v1/keys/:id', `/v1/keys/${f.victimId}`)
    .replace(/:id\b/g, 'alpha')
    .replace(/:\w+/g, 'x');
}

function appRoutes(app: App): string[] {
  return [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))].sort();
}

const KEYED = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
/** GET /v1 routes that are not in the keyed table: the public reads. */
const publicReads = (app: App) => appRoutes(app).filter((r) => r.startsWith('GET /v1/') && !KEYED.has(r)).map((r) => r.slice(4));

// ---------------------------------------------------------------------------------------------

describe('access matrix: every keyed route × every caller', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await buildFixture(await newTracker(emu, LOCAL));
  });

  it('the table lists every route that is not public, and only routes the app has', async () => {
    const routes = appRoutes(f.t.app);
    for (const keyed of KEYED) expect(routes, `table route ${keyed} is not in app.routes`).toContain(keyed);
    const untabled: string[] = [];
    for (const route of routes.filter((r) => !KEYED.has(r))) {
      const [method, path] = route.split(' ') as [string, string];
      if (method !== 'GET') {
        untabled.push(`${route} (every write must be in the matrix)`);
        continue;
      }
      // A GET route left out of the table must be public: it answers without a key.
      const a = await call(f.t.app, 'GET', concrete(path, f));
      if (a.status === 401 || a.status === 403) untabled.push(`${route} (answers ${a.status} without a key)`);
      else if (path.startsWith('/v1/')) expect(a.status, `${route}: ${a.text}`).toBe(200);
    }
    expect(untabled).toEqual([]);
    expect(publicReads(f.t.app).length).toBeGreaterThanOrEqual(9);
  });

  for (const route of ROUTES) {
    describe(`${route.method} ${route.path}`, () => {
      for (const c of casesOf(route)) {
        it(c.name, async () => {
          const request = await route.request(f, c);
          const before = await snapshot(f.t);
          const a = await call(f.t.app, route.method, request.path, authOf(f, c.caller), request.body, request.contentType);
          const after = await snapshot(f.t);
          if (c.expect === 'ok') {
            expect(a.status, a.text).toBe(route.ok);
            expect(a.headers.get('content-type')).toMatch(/^application\/json/);
            route.verify?.(f, c, a);
            const changed = changedTables(before, after);
            for (const table of route.mustChange) expect(changed, `${table} should have changed`).toContain(table);
            for (const table of changed) expect([...route.mustChange, ...(route.mayChange ?? [])], `${table} changed`).toContain(table);
            return;
          }
          expectProblem(a, c.expect, c.name);
          if (c.expect === 403 && c.scope !== 'in') {
            const field = c.scope === 'batch' ? 'subject' : c.scope;
            expect(a.body.errors).toEqual([{ index: c.scope === 'batch' ? 1 : 0, path: field, message: expect.any(String) }]);
          }
          expect(after).toEqual(before);
        });
      }
    });
  }

  it('a subscriber lists only its own subscriptions; an admin lists everyone\'s', async () => {
    const a = await call(f.t.app, 'GET', '/v1/subscriptions', bearer(f.keys.subscriber.key));
    const b = await call(f.t.app, 'GET', '/v1/subscriptions', bearer(f.keys.subscriberB.key));
    const admin = await call(f.t.app, 'GET', '/v1/subscriptions', asAdmin.authorization);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect((a.body.items as { owner: string }[]).every((s) => s.owner === f.keys.subscriber.id)).toBe(true);
    expect(b.body.items).toEqual([]);
    expect((admin.body.items as { id: string }[]).map((s) => s.id)).toContain(f.subA);
    expect((admin.body.items as unknown[]).length).toBeGreaterThan((a.body.items as unknown[]).length);
  });

  it('a retraction counts only from the source that posted the event', async () => {
    const { t } = f;
    const kisti = await createKey(t.app, { name: 'KISTI', role: 'reporter', sources: ['/agencies/kisti'], subjects: ['recipients/*'], types: ['*'] });
    const msit = bearer(f.keys.reporter.key);
    const status = async () => {
      await t.tracker.project('recipients/gamma');
      const got = await call(t.app, 'GET', '/v1/recipients/gamma');
      expect(got.status, got.text).toBe(200);
      const { allocated, programs, ordered, shipped, inTransit, delivered, installed, remaining } = got.body;
      return { allocated, programs, ordered, shipped, inTransit, delivered, installed, remaining };
    };

    const posted = await call(t.app, 'POST', '/v1/events', msit, ev.allocation('recipients/gamma', 'gamma-alloc-1', 'gpu-2025', 500), STRUCTURED);
    expect(posted.status, posted.text).toBe(202);
    const original = await status();
    expect(original).toMatchObject({ allocated: 500, programs: { 'gpu-2025': 500 } });

    // KISTI cannot speak for MSIT: 403, nothing stored.
    const before = await snapshot(t);
    const forged = await call(t.app, 'POST', '/v1/events', bearer(kisti.key),
      ev.retraction('recipients/gamma', 'kisti-ret-1', 'gamma-alloc-1', { source: '/agencies/msit' }), STRUCTURED);
    expectProblem(forged, 403, 'retraction posted for another source');
    expect(forged.body.errors).toEqual([{ index: 0, path: 'source', message: expect.any(String) }]);
    expect(await snapshot(t)).toEqual(before);

    // Under its own source the retraction names (kisti, gamma-alloc-1), which is not MSIT's event: no effect.
    const own = await call(t.app, 'POST', '/v1/events', bearer(kisti.key),
      ev.retraction('recipients/gamma', 'kisti-ret-2', 'gamma-alloc-1', { source: '/agencies/kisti' }), STRUCTURED);
    expect(own.status, own.text).toBe(202);
    expect(own.body.results).toEqual([expect.objectContaining({ source: '/agencies/kisti', id: 'kisti-ret-2', status: 'accepted' })]);
    expect(await status()).toEqual(original);

    // MSIT's own retraction removes it.
    const real = await call(t.app, 'POST', '/v1/events', msit, ev.retraction('recipients/gamma', 'msit-ret-1', 'gamma-alloc-1'), STRUCTURED);
    expect(real.status, real.text).toBe(202);
    expect(await status()).toMatchObject({ allocated: 0, programs: {} });
  });
});

describe('reads', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await buildFixture(await newTracker(emu, LOCAL));
  });

  it('are public by default: every GET /v1 read answers 200 without a key, to any origin', async () => {
    const reads = publicReads(f.t.app);
    expect(reads).toEqual(expect.arrayContaining(['/v1/recipients', '/v1/recipients/:id', '/v1/summary', '/v1/feed', '/v1/stream']));
    for (const path of reads) {
      const a = await call(f.t.app, 'GET', concrete(path, f), undefined, undefined, undefined, { origin: 'https://example.org' });
      expect(a.status, `${path}: ${a.text}`).toBe(200);
      expect(a.headers.get('access-control-allow-origin'), path).toBe('*');
    }
    for (const path of ['/healthz', '/openapi.json', '/docs', '/']) expect((await call(f.t.app, 'GET', path)).status, path).toBe(200);
  });

  it('any valid key may read; an invalid key sent on a read is 401', async () => {
    for (const path of publicReads(f.t.app)) {
      for (const caller of ['admin', 'adminKey', 'reporter', 'subscriber'] as const) {
        expect((await call(f.t.app, 'GET', concrete(path, f), authOf(f, caller))).status, `${path} as ${caller}`).toBe(200);
      }
      for (const caller of BAD_CALLERS.filter((c) => c !== 'no key')) {
        expectProblem(await call(f.t.app, 'GET', concrete(path, f), authOf(f, caller)), 401, `${path} with ${caller}`);
      }
    }
  });

  it('CORS grants reads to any origin and no writes (the preflight for POST or DELETE does not allow them)', async () => {
    for (const [method, path] of [['POST', '/v1/events'], ['POST', '/v1/keys'], ['DELETE', `/v1/keys/${f.victimId}`], ['POST', '/v1/subscriptions']] as const) {
      const res = await f.t.app.request(path, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
      const allowed = (res.headers.get('access-control-allow-methods') ?? '').split(',').map((m) => m.trim().toUpperCase());
      expect(allowed, `${method} ${path}`).not.toContain(method);
      expect(allowed).toContain('GET');
    }
    const preflightRead = await f.t.app.request('/v1/summary', {
      method: 'OPTIONS', headers: { origin: 'https://example.org', 'access-control-request-method': 'GET' },
    });
    expect(preflightRead.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('with TRACKER_READS_REQUIRE_KEY=1 every GET /v1 route is 401 without a key and 200 with any valid key; /healthz stays public', async () => {
    const p = await buildFixture(await newTracker(emu, { ...LOCAL, TRACKER_READS_REQUIRE_KEY: '1' }));
    const reads = publicReads(p.t.app);
    expect(reads.length).toBeGreaterThanOrEqual(9);
    for (const path of reads) {
      expectProblem(await call(p.t.app, 'GET', concrete(path, p)), 401, `${path} without a key`);
      expectProblem(await call(p.t.app, 'GET', concrete(path, p), authOf(p, 'revoked key')), 401, `${path} with a revoked key`);
      for (const caller of ['admin', 'adminKey', 'reporter', 'repType', 'subscriber'] as const) {
        const a = await call(p.t.app, 'GET', concrete(path, p), authOf(p, caller));
        expect(a.status, `${path} as ${caller}: ${a.text}`).toBe(200);
      }
    }
    for (const route of ROUTES.filter((r) => r.method === 'GET')) {
      expectProblem(await call(p.t.app, 'GET', concrete(route.path, p)), 401, `${route.path} without a key`);
    }
    expect((await call(p.t.app, 'GET', '/healthz')).status).toBe(200);
  });
});

describe('per-key rate limit', () => {
  it('the 4th request of a minute for a 3/min key is 429 with Retry-After, stores nothing, and holds across instances; other keys are unaffected', async () => {
    // A clock one second into a fresh minute, so the four requests share one window.
    const offset = 60_000 - (Date.now() % 60_000) + 1_000;
    const clock: Clock = { now: () => new Date(Date.now() + offset) };
    const t = await newTracker(emu, {}, clock);

    // A second instance over the same tables, built as the harness builds the first.
    const tracker2 = createTracker(t.config, emu.clients, clock);
    const webhooks2 = createWebhooks(t.config, emu.clients, clock);
    const unexpected2: unknown[] = [];
    const app2 = createTrackerApp(tracker2, webhooks2.subscriptions, { onUnexpectedError: (e) => unexpected2.push(e) });

    const limited = await createKey(t.app, { name: 'slow agency', role: 'reporter', sources: ['/agencies/msit'], subjects: ['recipients/*'], types: ['*'], rateLimitPerMinute: 3 });
    const other = await createKey(t.app, { name: 'other agency', role: 'reporter', sources: ['/agencies/msit'], subjects: ['recipients/*'], types: ['*'] });
    const post = (app: App, key: string) => call(app, 'POST', '/v1/events', bearer(key), eventsFor('in').body, STRUCTURED);

    expect((await post(t.app, limited.key)).status).toBe(202); // 1 on instance 1
    expect((await post(app2, limited.key)).status).toBe(202); // 2 on instance 2
    expect((await call(t.app, 'GET', '/v1/summary', bearer(limited.key))).status).toBe(200); // 3: reads count too

    for (const app of [app2, t.app]) {
      const before = await snapshot(t);
      const refused = await post(app, limited.key); // 4th and 5th of the minute
      expectProblem(refused, 429, 'over the limit');
      const retryAfter = refused.headers.get('retry-after');
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      expect(await snapshot(t)).toEqual(before);
    }

    // Other keys and the admin key go on.
    expect((await post(t.app, other.key)).status).toBe(202);
    expect((await post(app2, other.key)).status).toBe(202);
    expect((await call(app2, 'POST', '/v1/events', asAdmin.authorization, eventsFor('in').body, STRUCTURED)).status).toBe(202);
    expect(t.unexpected).toEqual([]);
    expect(unexpected2).toEqual([]);
  });
});
