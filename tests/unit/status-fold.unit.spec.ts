/**
 * The status fold (CONTRACT §3, §4 asOf/knownAt) against an independent reference written in this
 * file straight from the contract's text: worked examples for every rule, then properties over
 * random event sets (any order, duplicates, incremental application with persisted state).
 *
 * The reference shares nothing with src/domain/status.ts or time.ts: it parses instants itself
 * (nanoseconds since the epoch as bigint) and recomputes everything from the set of events.
 * Where the contract is silent it follows the tracker's documented choices: ties on (time,
 * recordedAt, id) fall to the greater `source`; `sequence` / `updatedAt` are the greatest
 * `sequence` / `recordedAt` among the events the fold takes in (retractions and retracted ones
 * included); a program whose latest allocation is 0 stays in `programs` with 0.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type StoredEvent, validateEvent } from '../../src/domain/event-schema.ts';
import {
  type FoldFilter,
  type KeyState,
  type MouEntry,
  type RecipientStatus,
  type SubjectState,
  RefoldNeeded,
  applyEvent,
  capFold,
  emptyState,
  equivalentState,
  foldEvents,
  includedIn,
  keyOf,
  targetOf,
  mouView,
  recipientView,
} from '../../src/domain/status.ts';
import { parseInstant } from '../../src/domain/time.ts';

// ---------------------------------------------------------------------------------------------
// Reference implementation of CONTRACT §3 and §4 (asOf / knownAt)
// ---------------------------------------------------------------------------------------------

/** Nanoseconds since the epoch of an RFC 3339 date-time with offset. */
function refNanos(text: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) throw new Error(`reference: not an RFC 3339 date-time: ${text}`);
  const ms = Date.parse(`${m[1]!.toUpperCase()}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) throw new Error(`reference: not a date: ${text}`);
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** RFC 3339 UTC, trailing zero fraction digits dropped (the API's form). */
function refFormat(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  const frac = String(nanos % 1_000_000_000n).padStart(9, '0').replace(/0+$/, '');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

function refMillis(nanos: bigint): string {
  return `${new Date(Number(nanos / 1_000_000n)).toISOString()}`;
}

interface RefFilter {
  asOf?: string;
  knownAt?: string;
}

function refIncluded(e: StoredEvent, filter: RefFilter): boolean {
  if (filter.knownAt !== undefined && refNanos(e.recordedAt) > refNanos(filter.knownAt)) return false;
  if (filter.asOf !== undefined && e.type !== 'event.retracted' && refNanos(e.time) > refNanos(filter.asOf)) return false;
  return true;
}

const identity = (source: string, id: string) => `${source}\u0000${id}`;

/** "Latest": greatest time as an instant, then recordedAt, then id (then source). */
function refCompare(a: StoredEvent, b: StoredEvent): number {
  const keys = (e: StoredEvent) => [refNanos(e.time), refNanos(e.recordedAt), e.id, e.source] as const;
  const ka = keys(a), kb = keys(b);
  for (let i = 0; i < ka.length; i++) {
    if (ka[i]! < kb[i]!) return -1;
    if (ka[i]! > kb[i]!) return 1;
  }
  return 0;
}

function refLatest<E extends StoredEvent>(list: readonly E[]): E | undefined {
  return [...list].sort(refCompare).at(-1);
}

function groupBy<E>(list: readonly E[], keyFn: (e: E) => string): Map<string, E[]> {
  const out = new Map<string, E[]>();
  for (const e of list) out.set(keyFn(e), [...(out.get(keyFn(e)) ?? []), e]);
  return out;
}

/** The subject's events the fold takes in, and those that count (retractions applied). */
function refCore(subject: string, events: readonly StoredEvent[], filter: RefFilter) {
  const byIdentity = new Map<string, StoredEvent>();
  for (const e of events) {
    if (e.subject !== subject || !refIncluded(e, filter)) continue;
    if (!byIdentity.has(identity(e.source, e.id))) byIdentity.set(identity(e.source, e.id), e);
  }
  const included = [...byIdentity.values()];
  const retracted = new Set<string>();
  for (const r of included) {
    if (r.type !== 'event.retracted') continue;
    const target = byIdentity.get(identity(r.source, r.data.eventId));
    if (target && target.type !== 'event.retracted') retracted.add(identity(target.source, target.id));
  }
  const counted = included.filter((e) => e.type !== 'event.retracted' && !retracted.has(identity(e.source, e.id)));
  const sequence = included.reduce((max, e) => Math.max(max, e.sequence), 0);
  const recorded = included.map((e) => refNanos(e.recordedAt));
  // Server times (recordedAt, updatedAt) are RFC 3339 UTC with exactly 3 fraction digits.
  const updatedAt = recorded.length ? refMillis(recorded.reduce((a, b) => (a > b ? a : b))) : null;
  return { included, counted, sequence, updatedAt };
}

function referenceStatus(subject: string, events: readonly StoredEvent[], filter: RefFilter = {}): RecipientStatus {
  const { counted, sequence, updatedAt } = refCore(subject, events, filter);
  const ofType = <T extends StoredEvent['type']>(type: T) =>
    counted.filter((e): e is Extract<StoredEvent, { type: T }> => e.type === type);

  const programs: Record<string, number> = {};
  const allocations = groupBy(ofType('allocation.announced'), (e) => e.data.programId);
  for (const programId of [...allocations.keys()].sort()) programs[programId] = refLatest(allocations.get(programId)!)!.data.gpus;
  const allocated = Object.values(programs).reduce((a, b) => a + b, 0);

  let ordered = 0;
  for (const list of groupBy(ofType('procurement.ordered'), (e) => e.data.orderId).values()) {
    ordered += refLatest(list)!.data.quantity;
  }

  const deliveries = counted.filter(
    (e): e is Extract<StoredEvent, { type: 'delivery.shipped' | 'delivery.received' | 'delivery.installed' }> =>
      e.type === 'delivery.shipped' || e.type === 'delivery.received' || e.type === 'delivery.installed',
  );
  let shipped = 0, delivered = 0, installed = 0;
  for (const list of groupBy(deliveries, (e) => e.data.shipmentId).values()) {
    const q = (type: string) => refLatest(list.filter((e) => e.type === type))?.data.quantity ?? 0;
    const qS = q('delivery.shipped'), qR = q('delivery.received'), qI = q('delivery.installed');
    shipped += Math.max(qS, qR, qI);
    delivered += Math.max(qR, qI);
    installed += qI;
  }

  const registration = refLatest(ofType('recipient.registered'));
  const times = counted.map((e) => refNanos(e.time));
  return {
    recipientId: subject.slice('recipients/'.length),
    name: registration?.data.name ?? null,
    nameKo: registration?.data.nameKo ?? null,
    sector: registration?.data.sector ?? null,
    allocated,
    programs,
    ordered,
    shipped,
    inTransit: shipped - delivered,
    delivered,
    installed,
    remaining: Math.max(allocated - delivered, 0),
    sequence,
    lastEventTime: times.length ? refFormat(times.reduce((a, b) => (a > b ? a : b))) : null,
    updatedAt,
  };
}

function referenceMou(subject: string, events: readonly StoredEvent[], filter: RefFilter = {}): MouEntry | undefined {
  const { counted, sequence, updatedAt } = refCore(subject, events, filter);
  const latest = refLatest(counted.filter((e): e is Extract<StoredEvent, { type: 'mou.signed' }> => e.type === 'mou.signed'));
  if (!latest) return undefined;
  return {
    mouId: subject.slice('mous/'.length),
    title: latest.data.title,
    parties: latest.data.parties,
    ...(latest.data.topics ? { topics: latest.data.topics } : {}),
    ...(latest.data.documentUrl ? { documentUrl: latest.data.documentUrl } : {}),
    signedAt: refFormat(refNanos(latest.time)),
    source: latest.source,
    sequence,
    updatedAt,
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers for the system under test
// ---------------------------------------------------------------------------------------------

const R = 'recipients/acme';
const MSIT = '/agencies/msit';
const ACME = '/companies/acme';

function toFilter(filter: RefFilter): FoldFilter {
  const at = (text: string | undefined) => {
    if (text === undefined) return undefined;
    const instant = parseInstant(text);
    if (!instant) throw new Error(`bad filter time ${text}`);
    return instant;
  };
  const asOf = at(filter.asOf), knownAt = at(filter.knownAt);
  return { ...(asOf ? { asOf } : {}), ...(knownAt ? { knownAt } : {}) };
}

/** The fold's view, checked against the reference on the way (so every example also tests the reference). */
function status(events: readonly StoredEvent[], filter: RefFilter = {}, subject = R): RecipientStatus {
  const mine = events.filter((e) => e.subject === subject);
  const view = recipientView(foldEvents(subject, mine, toFilter(filter)).state);
  expect(view).toEqual(referenceStatus(subject, events, filter));
  expect(Object.keys(view.programs)).toEqual(Object.keys(view.programs).sort());
  return view;
}

let nextSequence = 1;
interface Opts {
  id: string;
  time: string;
  source?: string;
  subject?: string;
  recordedAt?: string;
  sequence?: number;
}

function ev<T extends StoredEvent['type']>(type: T, data: Extract<StoredEvent, { type: T }>['data'], o: Opts): StoredEvent {
  return {
    specversion: '1.0',
    id: o.id,
    source: o.source ?? (type === 'recipient.registered' || type === 'allocation.announced' ? MSIT : ACME),
    type,
    subject: o.subject ?? R,
    time: o.time,
    datacontenttype: 'application/json',
    data,
    sequence: o.sequence ?? nextSequence++,
    recordedAt: o.recordedAt ?? '2026-01-01T00:00:00Z',
  } as StoredEvent;
}

const alloc = (programId: string, gpus: number, o: Opts) => ev('allocation.announced', { programId, gpus }, o);
const order = (orderId: string, quantity: number, o: Opts) =>
  ev('procurement.ordered', { orderId, quantity, gpuModel: 'B200' }, o);
const delivery = (stage: 'shipped' | 'received' | 'installed', shipmentId: string, quantity: number, o: Opts) =>
  ev(`delivery.${stage}`, { shipmentId, quantity, orderId: 'o1', gpuModel: 'B200' }, o);
const registered = (name: string, o: Opts, nameKo?: string, sector: 'public' | 'private' = 'private') =>
  ev('recipient.registered', { name, ...(nameKo ? { nameKo } : {}), sector }, o);
const retract = (eventId: string, o: Opts) => ev('event.retracted', { eventId, reason: 'mistake' }, o);

const reversed = <T>(list: readonly T[]) => [...list].reverse();

// ---------------------------------------------------------------------------------------------
// Examples, one or more per rule
// ---------------------------------------------------------------------------------------------

describe('status fold: "latest"', () => {
  it('compares times as instants across offsets, not as strings', () => {
    const events = [
      alloc('p1', 100, { id: 'a1', time: '2025-11-01T10:00:00+09:00' }), // 01:00Z
      alloc('p1', 200, { id: 'a2', time: '2025-11-01T05:00:00Z' }),
      alloc('p2', 7, { id: 'a3', time: '2025-11-01T00:00:00.5Z' }),
      alloc('p2', 9, { id: 'a4', time: '2025-11-01T00:00:00Z' }),
      alloc('p3', 1, { id: 'a5', time: '2025-10-31T20:00:00-05:00' }), // 01:00Z next day
      alloc('p3', 2, { id: 'a6', time: '2025-11-01T00:59:59.999Z' }),
    ];
    for (const list of [events, reversed(events)]) {
      const s = status(list);
      expect(s.programs).toEqual({ p1: 200, p2: 7, p3: 1 });
      expect(s.allocated).toBe(208);
      expect(s.lastEventTime).toBe('2025-11-01T05:00:00Z');
    }
  });

  it('breaks a time tie (same instant, different offsets) by recordedAt as an instant', () => {
    const events = [
      order('o1', 10, { id: 'x1', time: '2025-11-01T09:00:00+09:00', recordedAt: '2026-01-01T00:00:00.5Z' }),
      order('o1', 20, { id: 'x2', time: '2025-11-01T00:00:00Z', recordedAt: '2026-01-01T00:00:00Z' }),
    ];
    for (const list of [events, reversed(events)]) expect(status(list).ordered).toBe(10);
  });

  it('breaks a (time, recordedAt) tie by id', () => {
    const events = [
      order('o1', 10, { id: 'evt-b', time: '2025-11-01T09:00:00+09:00' }),
      order('o1', 20, { id: 'evt-a', time: '2025-11-01T00:00:00.000Z' }),
    ];
    for (const list of [events, reversed(events)]) expect(status(list).ordered).toBe(10);
  });

  it('takes name, nameKo and sector from the latest registration only', () => {
    const events = [
      registered('Acme', { id: 'r1', time: '2025-10-31T14:00:00+09:00' }, '애크미', 'public'),
      registered('Acme Corp', { id: 'r2', time: '2025-11-01T00:00:00Z' }, undefined, 'private'),
    ];
    for (const list of [events, reversed(events)]) {
      const s = status(list);
      expect([s.name, s.nameKo, s.sector]).toEqual(['Acme Corp', null, 'private']);
    }
    expect(status([]).name).toBeNull();
  });
});

describe('status fold: counters', () => {
  it('sums the latest allocation per program; 0 withdraws and stays in programs', () => {
    const s = status([
      alloc('p1', 100, { id: 'a1', time: '2025-11-01T00:00:00Z' }),
      alloc('p1', 0, { id: 'a2', time: '2025-11-02T00:00:00Z' }),
      alloc('p2', 30, { id: 'a3', time: '2025-11-01T00:00:00Z' }),
    ]);
    expect(s.programs).toEqual({ p1: 0, p2: 30 });
    expect(s.allocated).toBe(30);
  });

  it('sums the latest quantity per order', () => {
    const s = status([
      order('o1', 10, { id: 'x1', time: '2025-11-01T00:00:00Z' }),
      order('o1', 15, { id: 'x2', time: '2025-11-03T00:00:00Z' }),
      order('o2', 5, { id: 'x3', time: '2025-11-02T00:00:00Z' }),
    ]);
    expect(s.ordered).toBe(20);
  });

  it('counts a received shipment that was never reported shipped as shipped', () => {
    const s = status([delivery('received', 's1', 10, { id: 'd1', time: '2026-01-01T00:00:00Z' })]);
    expect(s).toMatchObject({ shipped: 10, delivered: 10, installed: 0, inTransit: 0 });
  });

  it('counts an installed shipment never reported received as delivered (and shipped)', () => {
    const s = status([
      delivery('shipped', 's1', 4, { id: 'd1', time: '2026-01-01T00:00:00Z' }),
      delivery('installed', 's1', 10, { id: 'd2', time: '2026-02-01T00:00:00Z' }),
    ]);
    expect(s).toMatchObject({ shipped: 10, delivered: 10, installed: 10, inTransit: 0 });
  });

  it('keeps partial receipts in transit and takes each stage\'s latest quantity', () => {
    const s = status([
      delivery('shipped', 's1', 10, { id: 'd1', time: '2026-01-01T00:00:00Z' }),
      delivery('shipped', 's1', 8, { id: 'd2', time: '2026-01-02T00:00:00Z' }), // corrected
      delivery('received', 's1', 6, { id: 'd3', time: '2026-01-05T00:00:00Z' }),
      delivery('shipped', 's2', 5, { id: 'd4', time: '2026-01-03T00:00:00Z' }),
      delivery('installed', 's2', 2, { id: 'd5', time: '2026-01-09T00:00:00Z' }),
    ]);
    expect(s).toMatchObject({ shipped: 13, delivered: 8, installed: 2, inTransit: 5 });
  });

  it('remaining is allocated − delivered, never below 0', () => {
    const base = [alloc('p1', 10, { id: 'a1', time: '2025-11-01T00:00:00Z' })];
    expect(status([...base, delivery('received', 's1', 4, { id: 'd1', time: '2026-01-01T00:00:00Z' })]).remaining).toBe(6);
    expect(status([...base, delivery('received', 's1', 40, { id: 'd1', time: '2026-01-01T00:00:00Z' })]).remaining).toBe(0);
  });

  it('an unknown subject has zeros and nulls', () => {
    expect(recipientView(emptyState(R))).toEqual({
      recipientId: 'acme', name: null, nameKo: null, sector: null, allocated: 0, programs: {}, ordered: 0,
      shipped: 0, inTransit: 0, delivered: 0, installed: 0, remaining: 0, sequence: 0, lastEventTime: null, updatedAt: null,
    });
  });

  it('reports the greatest sequence, recordedAt and counted event time', () => {
    const s = status([
      alloc('p1', 10, { id: 'a1', time: '2025-11-01T09:00:00+09:00', sequence: 1, recordedAt: '2026-01-01T00:00:00.25Z' }),
      alloc('p1', 20, { id: 'a2', time: '2025-10-31T12:00:00-05:00', sequence: 2, recordedAt: '2026-01-01T00:00:00Z' }),
    ]);
    // a2 was posted later, but a1 (Nov 1 00:00Z) is the later instant: it wins and sets lastEventTime.
    expect(s).toMatchObject({ sequence: 2, updatedAt: '2026-01-01T00:00:00.250Z', lastEventTime: '2025-11-01T00:00:00Z', allocated: 10 });
  });
});

describe('status fold: retractions', () => {
  const target = delivery('shipped', 's1', 10, { id: 'd1', time: '2026-01-01T00:00:00Z', sequence: 1 });
  const retraction = retract('d1', { id: 'rx1', time: '2026-01-02T00:00:00Z', sequence: 2 });

  it('a retraction after its target removes it', () => {
    expect(status([target, retraction])).toMatchObject({ shipped: 0, lastEventTime: null, sequence: 2 });
  });

  it('a retraction that arrives before its target removes it too', () => {
    expect(status([retraction, target])).toMatchObject({ shipped: 0, lastEventTime: null });
  });

  it('a retraction of a retraction has no effect', () => {
    const again = retract('rx1', { id: 'rx2', time: '2026-01-03T00:00:00Z' });
    for (const list of [[target, retraction, again], [again, retraction, target], [retraction, again, target]]) {
      expect(status(list).shipped).toBe(0);
    }
    // Nor does retracting a retraction that retracts nothing resurrect anything.
    const other = delivery('shipped', 's2', 5, { id: 'd2', time: '2026-01-01T00:00:00Z' });
    expect(status([other, retract('rx1', { id: 'rx3', time: '2026-01-03T00:00:00Z' })]).shipped).toBe(5);
  });

  it('a retraction by another source has no effect', () => {
    const foreign = retract('d1', { id: 'rx1', time: '2026-01-02T00:00:00Z', source: '/companies/other' });
    for (const list of [[target, foreign], [foreign, target]]) expect(status(list).shipped).toBe(10);
  });

  it('a retraction in another subject has no effect', () => {
    const elsewhere = retract('d1', { id: 'rx1', time: '2026-01-02T00:00:00Z', subject: 'recipients/other' });
    expect(status([target, elsewhere]).shipped).toBe(10);
  });

  it('retracting the latest allocation falls back to the previous one', () => {
    const events = [
      alloc('p1', 100, { id: 'a1', time: '2025-11-01T00:00:00Z' }),
      alloc('p1', 150, { id: 'a2', time: '2025-12-01T00:00:00Z' }),
      retract('a2', { id: 'rx-a2', time: '2025-12-02T00:00:00Z', source: MSIT }),
    ];
    for (const list of [events, reversed(events)]) {
      expect(status(list)).toMatchObject({ allocated: 100, programs: { p1: 100 }, lastEventTime: '2025-11-01T00:00:00Z' });
    }
  });

  it('a capped list keeps the latest candidates; retracting every kept one needs the log (RefoldNeeded), then falls back', () => {
    const events = [
      alloc('p1', 100, { id: 'c1', time: '2025-11-01T00:00:00Z', sequence: 1 }),
      alloc('p1', 200, { id: 'c2', time: '2025-11-02T00:00:00Z', sequence: 2 }),
      alloc('p1', 300, { id: 'c3', time: '2025-11-03T00:00:00Z', sequence: 3 }),
      retract('c3', { id: 'r3', time: '2025-12-01T00:00:00Z', source: MSIT, sequence: 4 }),
      retract('c2', { id: 'r2', time: '2025-12-01T00:00:00Z', source: MSIT, sequence: 5 }),
    ];
    const state = emptyState(R);
    const keys = new Map<string, KeyState>();
    const changed = new Set<string>();
    for (const e of events.slice(0, 4)) applyEvent(state, keys, e, changed, true, { cap: 2 });
    expect(keys.get('alloc#p1')).toEqual({ key: 'alloc#p1', lists: { gpus: [expect.objectContaining({ id: 'c2', v: 200 })] }, trimmed: ['gpus'] });
    expect(state.counters.allocated).toBe(200);
    const before = structuredClone({ state, keys: [...keys] });
    expect(() => applyEvent(structuredClone(state), new Map(structuredClone([...keys])), events[4]!, new Set(), true, { cap: 2 })).toThrow(RefoldNeeded);
    expect({ state, keys: [...keys] }).toEqual(before);
    const refolded: number[] = [];
    applyEvent(state, keys, events[4]!, changed, true, {
      cap: 2,
      refold: (e) => (refolded.push(e.sequence), foldEvents(R, events.filter((x) => x.sequence <= e.sequence))),
    });
    expect(refolded).toEqual([5]);
    expect(keys.get('alloc#p1')).toEqual({ key: 'alloc#p1', lists: { gpus: [expect.objectContaining({ id: 'c1', v: 100 })] } });
    expect(recipientView(state)).toMatchObject({ allocated: 100, programs: { p1: 100 }, lastEventTime: '2025-11-01T00:00:00Z' });
  });

  it('retracting the only allocation of a program removes the program', () => {
    const s = status([
      alloc('p1', 100, { id: 'a1', time: '2025-11-01T00:00:00Z' }),
      retract('a1', { id: 'rx-a1', time: '2025-11-02T00:00:00Z', source: MSIT }),
    ]);
    expect(s.programs).toEqual({});
  });

  it('retracting the latest registration falls back; retracting all leaves nulls', () => {
    const r1 = registered('Acme', { id: 'r1', time: '2025-10-31T00:00:00Z' }, '애크미');
    const r2 = registered('Acme Corp', { id: 'r2', time: '2025-11-01T00:00:00Z' });
    const x2 = retract('r2', { id: 'rx-r2', time: '2025-11-02T00:00:00Z', source: MSIT });
    const x1 = retract('r1', { id: 'rx-r1', time: '2025-11-02T00:00:00Z', source: MSIT });
    expect(status([x2, r1, r2])).toMatchObject({ name: 'Acme', nameKo: '애크미' });
    expect(status([r1, x1, r2, x2])).toMatchObject({ name: null, nameKo: null, sector: null, lastEventTime: null });
  });

  it('the retraction\'s own time never counts as lastEventTime', () => {
    expect(status([retract('nothing', { id: 'rx9', time: '2030-01-01T00:00:00Z' })]).lastEventTime).toBeNull();
  });

  it('a retraction needs every key loaded', () => {
    expect(() => applyEvent(emptyState(R), new Map(), retraction, new Set(), false)).toThrow();
  });
});

describe('status fold: asOf and knownAt', () => {
  const a1 = alloc('p1', 100, { id: 'a1', time: '2025-11-01T09:00:00+09:00', recordedAt: '2026-01-01T00:00:00Z' });
  const a2 = alloc('p1', 150, { id: 'a2', time: '2025-12-01T00:00:00Z', recordedAt: '2026-01-02T00:00:00Z' });
  const x1 = retract('a1', { id: 'rx-a1', time: '2026-03-01T00:00:00Z', source: MSIT, recordedAt: '2026-03-01T00:00:00Z' });

  it('asOf excludes events whose time is later, comparing instants, inclusive', () => {
    expect(status([a1, a2], { asOf: '2025-11-15T00:00:00Z' }).allocated).toBe(100);
    expect(status([a1, a2], { asOf: '2025-11-01T00:00:00Z' }).allocated).toBe(100); // == a1's time
    expect(status([a1, a2], { asOf: '2025-10-31T23:59:59.999999999Z' }).allocated).toBe(0);
    expect(status([a1, a2], { asOf: '2025-12-01T09:00:00+09:00' }).allocated).toBe(150);
  });

  it('a retraction applies under asOf whatever its own time', () => {
    const s = status([a1, a2, x1], { asOf: '2025-11-15T00:00:00Z' });
    expect(s).toMatchObject({ allocated: 0, programs: {}, lastEventTime: null });
  });

  it('knownAt excludes events recorded later, retractions included', () => {
    expect(status([a1, a2, x1], { knownAt: '2026-01-01T12:00:00Z' }).allocated).toBe(100);
    expect(status([a1, a2, x1], { knownAt: '2026-02-01T00:00:00Z' }).allocated).toBe(150);
    expect(status([a1, x1], { knownAt: '2026-02-01T00:00:00Z' }).allocated).toBe(100);
    expect(status([a1, x1], { knownAt: '2026-03-01T09:00:00+09:00' }).allocated).toBe(0); // == x1's recordedAt
    expect(status([a1, a2, x1], { knownAt: '2025-12-31T23:59:59Z' })).toMatchObject({ allocated: 0, sequence: 0, updatedAt: null });
  });

  it('both filters combine', () => {
    expect(status([a1, a2, x1], { asOf: '2025-11-15T00:00:00Z', knownAt: '2026-02-01T00:00:00Z' }).allocated).toBe(100);
  });

  it('includedIn follows the same rules', () => {
    const f = toFilter({ asOf: '2025-11-15T00:00:00Z', knownAt: '2026-02-01T00:00:00Z' });
    expect([a1, a2, x1].map((e) => includedIn(e, f))).toEqual([true, false, false]);
    expect(includedIn(x1, toFilter({ asOf: '2025-01-01T00:00:00Z' }))).toBe(true);
    expect(includedIn(a2, {})).toBe(true);
  });
});

describe('MoU view', () => {
  const M = 'mous/ai-2025';
  const sign = (title: string, parties: string[], o: Omit<Opts, 'subject'>) =>
    ev('mou.signed', { title, parties }, { ...o, subject: M, source: o.source ?? MSIT });

  it('shows the latest signing, falls back when it is retracted, and is undefined when none counts', () => {
    const m1 = sign('First', ['msit', 'nvidia'], { id: 'm1', time: '2025-10-31T14:00:00+09:00', sequence: 1 });
    const m2 = sign('Second', ['msit', 'nvidia', 'sk'], { id: 'm2', time: '2025-10-31T06:00:00Z', sequence: 2 });
    const x2 = retract('m2', { id: 'rx-m2', time: '2025-11-01T00:00:00Z', subject: M, source: MSIT, sequence: 3 });
    const x1 = retract('m1', { id: 'rx-m1', time: '2025-11-01T00:00:00Z', subject: M, source: MSIT, sequence: 4 });
    const view = (events: StoredEvent[]) => {
      const v = mouView(foldEvents(M, events).state);
      expect(v).toEqual(referenceMou(M, events));
      return v;
    };
    expect(view([m2, m1])).toMatchObject({ mouId: 'ai-2025', title: 'Second', signedAt: '2025-10-31T06:00:00Z', source: MSIT, sequence: 2 });
    expect(view([x2, m1, m2])).toMatchObject({ title: 'First', signedAt: '2025-10-31T05:00:00Z', sequence: 3 });
    expect(view([m1, m2, x1, x2])).toBeUndefined();
    expect(mouView(emptyState(M))).toBeUndefined();
  });
});

describe('seed and demo events', () => {
  const root = join(import.meta.dirname, '../../events');
  const files = ['seed/01-recipients.json', 'seed/02-allocations.json', 'seed/03-mous.json', 'demo/01-procurement.json', 'demo/02-deliveries.json'];
  const posted = files.flatMap((f) => JSON.parse(readFileSync(join(root, f), 'utf8')) as unknown[]);
  const sequences = new Map<string, number>();
  const stored = posted.map((e, i) => {
    const result = validateEvent(e, i);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const sequence = (sequences.get(result.event.subject) ?? 0) + 1;
    sequences.set(result.event.subject, sequence);
    return { ...result.event, sequence, recordedAt: `2026-01-01T00:00:0${Math.floor(i / 100)}Z` } as StoredEvent;
  });

  it('fold to the reference for every subject, in any order', () => {
    for (const subject of sequences.keys()) {
      const mine = stored.filter((e) => e.subject === subject);
      if (subject.startsWith('recipients/')) {
        expect(recipientView(foldEvents(subject, mine).state)).toEqual(referenceStatus(subject, stored));
        expect(recipientView(foldEvents(subject, reversed(mine)).state)).toEqual(referenceStatus(subject, stored));
      } else {
        expect(mouView(foldEvents(subject, reversed(mine)).state)).toEqual(referenceMou(subject, stored));
      }
    }
  });

  it('the demo retraction removes the mistyped duplicate shipment', () => {
    const hmg = 'recipients/hyundai-motor-group';
    const mine = stored.filter((e) => e.subject === hmg);
    const withRetraction = recipientView(foldEvents(hmg, mine).state);
    const without = recipientView(foldEvents(hmg, mine.filter((e) => e.type !== 'event.retracted')).state);
    expect(without.shipped - withRetraction.shipped).toBe(3000);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random event sets
// ---------------------------------------------------------------------------------------------

const SOURCES = ['/agencies/msit', '/companies/alpha', '/companies/beta'] as const;
const RECIPIENTS = ['recipients/r-one', 'recipients/constructor', 'recipients/r-three'] as const;
const MOU = 'mous/m-one';
const BASE_MS = Date.UTC(2025, 10, 1);
const OFFSETS = [0, 540, -330, 330, -300] as const;

const bodyArb = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('allocation' as const), programId: fc.constantFrom('p1', 'p2', 'constructor'), gpus: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })) }) },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('order' as const), orderId: fc.constantFrom('o1', 'o2'), quantity: fc.integer({ min: 1, max: 50 }) }) },
  { weight: 50, arbitrary: fc.record({ kind: fc.constant('delivery' as const), stage: fc.constantFrom('shipped', 'received', 'installed'), shipmentId: fc.constantFrom('s1', 's2', 's3'), quantity: fc.integer({ min: 1, max: 50 }) }) },
  { weight: 15, arbitrary: fc.record({ kind: fc.constant('registration' as const), name: fc.constantFrom('Alpha', 'Beta'), nameKo: fc.option(fc.constantFrom('알파', '베타'), { nil: undefined }), sector: fc.constantFrom('public', 'private', 'research', 'academic') }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('mou' as const), title: fc.constantFrom('T1', 'T2'), extraParty: fc.boolean() }) },
  { weight: 22, arbitrary: fc.record({ kind: fc.constant('retraction' as const), target: fc.nat(), mode: fc.constantFrom('same', 'same', 'same', 'same', 'otherSource', 'ghost', 'anySubject') }) },
);

const specArb = fc.record({
  body: bodyArb,
  source: fc.nat(SOURCES.length - 1),
  subject: fc.nat(RECIPIENTS.length - 1),
  slot: fc.nat(5),
  half: fc.boolean(),
  offset: fc.constantFrom(...OFFSETS),
  fracStyle: fc.nat(2),
  lower: fc.boolean(),
  gapMs: fc.constantFrom(0, 0, 0, 500, 1000, 60_000),
  recordedStyle: fc.boolean(),
});
type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Writes ms since the epoch as RFC 3339 in an offset, with a chosen fraction width and case. */
function renderTime(ms: number, offsetMinutes: number, fracStyle: number, lower: boolean): string {
  const local = new Date(ms + offsetMinutes * 60_000);
  const millis = ms % 1000;
  const frac = millis === 0
    ? ['', '.0', '.000000000'][fracStyle]!
    : [`.${String(millis).padStart(3, '0').replace(/0+$/, '')}`, `.${pad(millis, 3)}`, `.${pad(millis, 3)}000000`][fracStyle]!;
  const abs = Math.abs(offsetMinutes);
  const zone = offsetMinutes === 0 && fracStyle !== 1 ? 'Z' : `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  const text =
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${frac}${zone}`;
  return lower ? text.toLowerCase() : text;
}

/** Stored events from specs: unique (source, id) with ids shared across sources, sequences per subject in order. */
function build(specs: readonly Spec[], subjectCount: number): StoredEvent[] {
  const counters = SOURCES.map(() => 0);
  const placed = specs.map((s) => {
    const subject = s.body.kind === 'mou' ? MOU : RECIPIENTS[s.subject % subjectCount]!;
    return { spec: s, source: SOURCES[s.source]!, subject, id: `e${counters[s.source]!++}` };
  });
  const sequences = new Map<string, number>();
  let recordedMs = Date.UTC(2026, 0, 1);
  return placed.map(({ spec, source, subject: placedSubject, id }) => {
    const { body } = spec;
    let subject = placedSubject;
    let data: Record<string, unknown>;
    let type: StoredEvent['type'];
    switch (body.kind) {
      case 'allocation':
        type = 'allocation.announced';
        data = { programId: body.programId, gpus: body.gpus };
        break;
      case 'order':
        type = 'procurement.ordered';
        data = { orderId: body.orderId, quantity: body.quantity, gpuModel: 'B200' };
        break;
      case 'delivery':
        type = `delivery.${body.stage}`;
        data = { shipmentId: body.shipmentId, quantity: body.quantity, orderId: 'o1', gpuModel: 'B200' };
        break;
      case 'registration':
        type = 'recipient.registered';
        data = { name: body.name, ...(body.nameKo ? { nameKo: body.nameKo } : {}), sector: body.sector };
        break;
      case 'mou':
        type = 'mou.signed';
        data = { title: body.title, parties: body.extraParty ? ['msit', 'nvidia', 'sk'] : ['msit', 'nvidia'] };
        break;
      case 'retraction': {
        type = 'event.retracted';
        const sameSource = placed.filter((p) => p.source === source);
        const otherSource = placed.filter((p) => p.source !== source);
        let eventId = 'ghost';
        if (body.mode === 'same' || body.mode === 'anySubject') {
          const target = sameSource[body.target % sameSource.length]!;
          eventId = target.id;
          if (body.mode === 'same') subject = target.subject;
          else subject = [...RECIPIENTS.slice(0, subjectCount), MOU][body.target % (subjectCount + 1)]!;
        } else if (body.mode === 'otherSource' && otherSource.length > 0) {
          const target = otherSource[body.target % otherSource.length]!;
          eventId = target.id;
          subject = target.subject;
        } else if (body.mode === 'ghost') {
          eventId = `e${counters[spec.source]! + (body.target % 3)}`; // not (yet) posted by this source
        }
        data = { eventId, reason: 'mistake' };
        break;
      }
      default: {
        const _never: never = body;
        throw new Error(String(_never));
      }
    }
    const sequence = (sequences.get(subject) ?? 0) + 1;
    sequences.set(subject, sequence);
    recordedMs += spec.gapMs;
    const recordedAt = spec.recordedStyle ? new Date(recordedMs).toISOString() : refFormat(BigInt(recordedMs) * 1_000_000n);
    const timeMs = BASE_MS + spec.slot * 30 * 60_000 + (spec.half ? 500 : 0);
    return {
      specversion: '1.0', id, source, type, subject,
      time: renderTime(timeMs, spec.offset, spec.fracStyle, spec.lower),
      datacontenttype: 'application/json', data, sequence, recordedAt,
    } as StoredEvent;
  });
}

const eventsArb = fc
  .record({ subjectCount: fc.integer({ min: 1, max: 3 }), specs: fc.array(specArb, { maxLength: 30 }) })
  .map(({ subjectCount, specs }) => build(specs, subjectCount));

const scenarioArb = eventsArb.chain((events) =>
  fc.record({
    events: fc.constant(events),
    order: fc.shuffledSubarray(events.map((_, i) => i), { minLength: events.length, maxLength: events.length }),
    duplicates: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }),
    cuts: fc.array(fc.boolean(), { minLength: events.length, maxLength: events.length }),
    filter: fc.record({
      asOf: fc.option(fc.record({ slot: fc.nat(6), half: fc.boolean(), offset: fc.constantFrom(...OFFSETS), fracStyle: fc.nat(2) }), { nil: undefined }),
      knownAt: fc.option(fc.record({ index: fc.nat(), deltaMs: fc.constantFrom(0, 0, -1, 1), offset: fc.constantFrom(...OFFSETS) }), { nil: undefined }),
    }),
  }),
);
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

const subjectsOf = (events: readonly StoredEvent[]) => [...new Set([...RECIPIENTS, MOU, ...events.map((e) => e.subject)])];

/** The events in the scenario's order, with copies of some inserted anywhere. */
function arranged({ events, order, duplicates }: Scenario): StoredEvent[] {
  const list = order.map((i) => events[i]!);
  if (events.length === 0) return list;
  for (const [pick, at] of duplicates) list.splice(at % (list.length + 1), 0, structuredClone(events[pick % events.length]!));
  return list;
}

function refFilterOf({ events, filter }: Scenario): RefFilter {
  const out: RefFilter = {};
  if (filter.asOf) {
    const { slot, half, offset, fracStyle } = filter.asOf;
    out.asOf = renderTime(BASE_MS + slot * 30 * 60_000 + (half ? 500 : 0), offset, fracStyle, false);
  }
  if (filter.knownAt && events.length > 0) {
    const anchor = events[filter.knownAt.index % events.length]!;
    const ms = Number(refNanos(anchor.recordedAt) / 1_000_000n) + filter.knownAt.deltaMs;
    out.knownAt = renderTime(ms, filter.knownAt.offset, 1, false);
  }
  return out;
}

type Persisted = { state: SubjectState; keys: Record<string, KeyState> };

/**
 * The projection as the real system runs it, in chunks: each chunk loads the persisted state and
 * keys from their JSON form, applies its events and writes back what changed. With `partialKeys`,
 * a chunk without retractions loads only the keys its events touch.
 */
function project(
  subject: string,
  events: readonly StoredEvent[],
  cuts: readonly boolean[],
  partialKeys: boolean,
  cap = Infinity,
): SubjectState {
  const mine = events.filter((e) => e.subject === subject);
  const chunks: StoredEvent[][] = [];
  let current: StoredEvent[] = [];
  mine.forEach((e, i) => {
    current.push(e);
    if (cuts[i]) (chunks.push(current), (current = []));
  });
  if (current.length > 0) chunks.push(current);

  let stored = JSON.stringify({ state: emptyState(subject), keys: {} } satisfies Persisted);
  // Capped lists are rebuilt from the fold of every event applied so far (the log, for the projector).
  const applied: StoredEvent[] = [];
  const refold = (e: StoredEvent) => foldEvents(subject, [...applied, e]);
  const appliedBefore = (target: string) => applied.some((e) => targetOf(e.source, e.id) === target);
  for (const chunk of chunks) {
    const { state, keys: persistedKeys } = JSON.parse(stored) as Persisted;
    const needsAll = !partialKeys || chunk.some((e) => e.type === 'event.retracted');
    const wanted = needsAll ? Object.keys(persistedKeys) : [...new Set(chunk.flatMap((e) => keyOf(e)?.key ?? []))];
    const keys = new Map(wanted.filter((k) => Object.hasOwn(persistedKeys, k)).map((k) => [k, persistedKeys[k]!] as const));
    const changed = new Set<string>();
    for (const e of chunk) {
      applyEvent(state, keys, e, changed, needsAll, { cap, refold, appliedBefore });
      applied.push(e);
    }
    for (const ks of keys.values()) for (const list of Object.values(ks.lists)) expect(list!.length).toBeLessThanOrEqual(cap);
    expect(Math.max(state.registration.length, state.mou.length)).toBeLessThanOrEqual(cap);
    if (partialKeys) {
      for (const k of changed) persistedKeys[k] = keys.get(k)!;
      stored = JSON.stringify({ state, keys: persistedKeys } satisfies Persisted);
    } else {
      stored = JSON.stringify({ state, keys: Object.fromEntries(keys) } satisfies Persisted);
    }
  }
  return (JSON.parse(stored) as Persisted).state;
}

function expectSubjectMatches(subject: string, state: SubjectState, events: readonly StoredEvent[], filter: RefFilter = {}): void {
  if (subject.startsWith('mous/')) expect(mouView(state)).toEqual(referenceMou(subject, events, filter));
  else expect(recipientView(state)).toEqual(referenceStatus(subject, events, filter));
}

const RUNS = { numRuns: 300 };

describe('status fold: properties against the reference', () => {
  it('the generator produces valid events with about 15% retractions', () => {
    const sampled = fc.sample(eventsArb, { numRuns: 200, seed: 42 }).flat();
    for (const { sequence: _s, recordedAt: _r, ...posted } of sampled) {
      expect(validateEvent(posted, 0), JSON.stringify(posted)).toMatchObject({ ok: true });
    }
    const share = sampled.filter((e) => e.type === 'event.retracted').length / sampled.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.25);
    // Retractions remove something often enough to matter.
    const hits = fc.sample(eventsArb, { numRuns: 200, seed: 7 }).filter((events) =>
      subjectsOf(events).some((subject) => {
        const { included, counted } = refCore(subject, events, {});
        return included.filter((e) => e.type !== 'event.retracted').length > counted.length;
      }),
    );
    expect(hits.length).toBeGreaterThan(20);
  });

  it('(a) foldEvents equals the reference for any permutation, with duplicates', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const list = arranged(scenario);
        for (const subject of subjectsOf(scenario.events)) {
          const { state } = foldEvents(subject, list.filter((e) => e.subject === subject));
          expectSubjectMatches(subject, state, scenario.events);
        }
      }),
      RUNS,
    );
  });

  it('(b) incremental projection in chunks, with persisted state and every key loaded, equals the reference', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const list = scenario.order.map((i) => scenario.events[i]!);
        for (const subject of subjectsOf(scenario.events)) {
          const state = project(subject, list, scenario.cuts, false);
          expectSubjectMatches(subject, state, scenario.events);
          expect(state.counters).toEqual(foldEvents(subject, list.filter((e) => e.subject === subject)).state.counters);
        }
      }),
      RUNS,
    );
  });

  it('(b′) incremental projection in sequence order (as the projector runs) equals the reference', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        for (const subject of subjectsOf(scenario.events)) {
          const inOrder = scenario.events.filter((e) => e.subject === subject).sort((a, b) => a.sequence - b.sequence);
          expectSubjectMatches(subject, project(subject, inOrder, scenario.cuts, true), scenario.events);
        }
      }),
      RUNS,
    );
  });

  it('(c) incremental projection loading only the touched keys (all keys for retractions) equals the reference', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const list = scenario.order.map((i) => scenario.events[i]!);
        for (const subject of subjectsOf(scenario.events)) {
          expectSubjectMatches(subject, project(subject, list, scenario.cuts, true), scenario.events);
        }
      }),
      RUNS,
    );
  });

  it('(c′) with every list capped to 1 or 2 candidates (rebuilt from the log when retractions empty one), in any order, equals the reference', () => {
    fc.assert(
      fc.property(scenarioArb, fc.constantFrom(1, 2), fc.boolean(), (scenario, cap, inSequence) => {
        for (const subject of subjectsOf(scenario.events)) {
          const mine = scenario.order.map((i) => scenario.events[i]!).filter((e) => e.subject === subject);
          if (inSequence) mine.sort((a, b) => a.sequence - b.sequence);
          const state = project(subject, mine, scenario.cuts, true, cap);
          expectSubjectMatches(subject, state, scenario.events);
          expect(state.counters).toEqual(foldEvents(subject, mine).state.counters);
          // What `npm run rebuild` compares: the incremental result says what the capped fold says.
          expect(equivalentState(state, capFold(foldEvents(subject, mine), cap).state)).toBe(true);
          // Only retractions of events never applied wait; those of dropped candidates do not pile up.
          expect([...state.pending].sort()).toEqual([...foldEvents(subject, mine).state.pending].sort());
        }
      }),
      RUNS,
    );
  });

  it('(c″) capFold of the whole fold keeps the same status and latest candidates', () => {
    fc.assert(
      fc.property(scenarioArb, fc.constantFrom(1, 2), (scenario, cap) => {
        for (const subject of subjectsOf(scenario.events)) {
          const fold = foldEvents(subject, scenario.events.filter((e) => e.subject === subject));
          const capped = capFold(fold, cap);
          expect(recipientView(capped.state)).toEqual(recipientView(fold.state));
          expect(mouView(capped.state)).toEqual(mouView(fold.state));
          for (const ks of capped.keys.values()) for (const list of Object.values(ks.lists)) expect(list!.length).toBeLessThanOrEqual(cap);
        }
      }),
      RUNS,
    );
  });

  it('(d) foldEvents with asOf / knownAt equals the reference with the same filters', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const filter = refFilterOf(scenario);
        const list = arranged(scenario);
        for (const subject of subjectsOf(scenario.events)) {
          const { state } = foldEvents(subject, list.filter((e) => e.subject === subject), toFilter(filter));
          expectSubjectMatches(subject, state, scenario.events, filter);
        }
      }),
      RUNS,
    );
  });

  it('(e) includedIn agrees with the reference filter on every event', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const filter = refFilterOf(scenario);
        const f = toFilter(filter);
        for (const e of scenario.events) expect(includedIn(e, f)).toBe(refIncluded(e, filter));
      }),
      RUNS,
    );
  });
});
