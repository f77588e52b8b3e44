/**
 * Folding a subject's events into its status (CONTRACT §3), as plain functions over plain data.
 *
 * State is split so that no item grows without bound in one place: a small `SubjectState` (counters,
 * registration, MoU, pending retractions, the `appliedSeq` watermark) and one `KeyState` per
 * program, order and shipment holding the candidate events for it. "Latest" is recomputed from the
 * candidates, so a retraction simply removes its candidate; counters move by the difference of a
 * key's contribution before and after, so applying is exact and order-independent.
 *
 * Lists are capped: each keeps only its `CANDIDATE_CAP` latest candidates and marks itself trimmed
 * when it drops one, so an item's size does not grow with corrections (DynamoDB items stop at
 * 400 KB, and every write pays for the whole item). Every dropped candidate is older than every
 * kept one, so the latest of the kept ones is the latest of all — until retractions remove every
 * kept one. Only then is the list rebuilt, from a fold of the log (`refold`); a caller that cannot
 * fold the log gets a `RefoldNeeded` error and tries again with one.
 */
import type { StoredEvent } from './event-schema.ts';
import { type Instant, formatInstant, formatMillis, maxInstant, parseInstant } from './time.ts';

/** One event's claim on a value: the latest claim (time, then recordedAt, then id) wins. */
export interface Candidate<V> {
  source: string;
  id: string;
  t: Instant;
  r: Instant;
  v: V;
}

export type Stage = 'gpus' | 'quantity' | 'shipped' | 'received' | 'installed';

/** Candidates of one program allocation (`alloc#p`), order (`order#o`) or shipment (`ship#s`). */
export interface KeyState {
  key: string;
  lists: Partial<Record<Stage, Candidate<number>[]>>;
  /** Stages whose list dropped older candidates (see `CANDIDATE_CAP`). */
  trimmed?: Stage[];
}

/** How many candidates a list keeps: the latest ones. */
export const CANDIDATE_CAP = 4;

/** Subject-level lists kept in the status item. */
export type StateList = 'registration' | 'mou';

export interface Counters {
  allocated: number;
  ordered: number;
  shipped: number;
  delivered: number;
  installed: number;
}

export interface Registration {
  name: string;
  nameKo?: string;
  sector: 'public' | 'private' | 'research' | 'academic';
}

export interface MouTerms {
  title: string;
  parties: string[];
  topics?: string[];
  documentUrl?: string;
}

export interface SubjectState {
  subject: string;
  /** Highest sequence folded in: the projection's watermark. */
  appliedSeq: number;
  counters: Counters;
  programs: Record<string, number>;
  registration: Candidate<Registration>[];
  mou: Candidate<MouTerms>[];
  /** Retractions whose target has not been seen yet, as `JSON([source, id])`. */
  pending: string[];
  /** Greatest `time` among counted events. */
  lastEventTime: Instant | null;
  /** Greatest `recordedAt` among applied events: when the tracker last learned something here. */
  updatedAt: Instant | null;
  /** Lists that dropped older candidates (see `CANDIDATE_CAP`). */
  trimmed?: StateList[];
  /**
   * Set by `npm run rebuild` when it rewrites a status in place, and kept by the projector: a run
   * that loaded the status before the rewrite (same watermark) then fails its commit instead of
   * writing over the repair.
   */
  rebuild?: string;
}

/**
 * The whole fold of the subject's log up to and including `event` (uncapped): what a list that
 * retractions emptied is rebuilt from.
 */
export type Refold = (event: StoredEvent) => { state: SubjectState; keys: Map<string, KeyState> };

export interface ApplyOptions {
  /** Candidates kept per list (default `CANDIDATE_CAP`). */
  cap?: number;
  /** Without it, a retraction that empties a trimmed list throws `RefoldNeeded`. */
  refold?: Refold;
  /**
   * Whether the event `target` (`targetOf`) was applied to this subject before `retraction`. A
   * retraction whose target is not among the candidates waits for it in `pending` — unless it was
   * applied already (a dropped or already retracted candidate): it will not come again, so nothing
   * waits. Without it, every such retraction waits.
   */
  appliedBefore?: (target: string, retraction: StoredEvent) => boolean;
}

/** A retraction emptied a list that had dropped candidates: apply again with `refold`. */
export class RefoldNeeded extends Error {
  constructor(readonly subject: string, readonly sequence: number) {
    super(`${subject}: the retraction at sequence ${sequence} needs a fold of the log`);
    this.name = 'RefoldNeeded';
  }
}

export const ZERO_COUNTERS: Counters = { allocated: 0, ordered: 0, shipped: 0, delivered: 0, installed: 0 };
const COUNTER_NAMES = Object.keys(ZERO_COUNTERS) as (keyof Counters)[];

export function emptyState(subject: string): SubjectState {
  return {
    subject,
    appliedSeq: 0,
    counters: { ...ZERO_COUNTERS },
    programs: {},
    registration: [],
    mou: [],
    pending: [],
    lastEventTime: null,
    updatedAt: null,
  };
}

export function isLater<V>(a: Candidate<V>, b: Candidate<V>): boolean {
  if (a.t !== b.t) return a.t > b.t;
  if (a.r !== b.r) return a.r > b.r;
  if (a.id !== b.id) return a.id > b.id;
  return a.source > b.source;
}

export function latestOf<V>(candidates: readonly Candidate<V>[] | undefined): Candidate<V> | undefined {
  let best: Candidate<V> | undefined;
  for (const c of candidates ?? []) if (!best || isLater(c, best)) best = c;
  return best;
}

/** Which key and list an event counts in; `undefined` for registrations, MoUs and retractions. */
export function keyOf(event: StoredEvent): { key: string; stage: Stage; value: number } | undefined {
  switch (event.type) {
    case 'allocation.announced':
      return { key: `alloc#${event.data.programId}`, stage: 'gpus', value: event.data.gpus };
    case 'procurement.ordered':
      return { key: `order#${event.data.orderId}`, stage: 'quantity', value: event.data.quantity };
    case 'delivery.shipped':
      return { key: `ship#${event.data.shipmentId}`, stage: 'shipped', value: event.data.quantity };
    case 'delivery.received':
      return { key: `ship#${event.data.shipmentId}`, stage: 'received', value: event.data.quantity };
    case 'delivery.installed':
      return { key: `ship#${event.data.shipmentId}`, stage: 'installed', value: event.data.quantity };
    case 'recipient.registered':
    case 'mou.signed':
    case 'event.retracted':
      return undefined;
    default: {
      const _never: never = event;
      throw new Error(`unhandled event type ${(_never as StoredEvent).type}`);
    }
  }
}

/** What one key adds to the recipient's counters and programs map. */
export function contributionOf(ks: KeyState): { counters: Counters; program?: [string, number] } {
  const counters = { ...ZERO_COUNTERS };
  const q = (stage: Stage) => latestOf(ks.lists[stage])?.v;
  const [kind, name = ''] = splitKey(ks.key);
  if (kind === 'alloc') {
    const gpus = q('gpus');
    if (gpus === undefined) return { counters };
    counters.allocated = gpus;
    return { counters, program: [name, gpus] };
  }
  if (kind === 'order') {
    counters.ordered = q('quantity') ?? 0;
    return { counters };
  }
  const qS = q('shipped') ?? 0, qR = q('received') ?? 0, qI = q('installed') ?? 0;
  counters.shipped = Math.max(qS, qR, qI);
  counters.delivered = Math.max(qR, qI);
  counters.installed = qI;
  return { counters };
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('#');
  return [key.slice(0, at), key.slice(at + 1)];
}

export const targetOf = (source: string, id: string): string => JSON.stringify([source, id]);

/**
 * Applies one event (in any order relative to the others) to `state` and the `keys` it needs,
 * mutating both, and records in `changed` which keys it touched. A retraction may touch any key,
 * so `keys` must then hold every key of the subject (`allKeys`).
 */
export function applyEvent(
  state: SubjectState,
  keys: Map<string, KeyState>,
  event: StoredEvent,
  changed: Set<string>,
  allKeys: boolean,
  options: ApplyOptions = {},
): void {
  const cap = options.cap ?? CANDIDATE_CAP;
  state.appliedSeq = Math.max(state.appliedSeq, event.sequence);
  state.updatedAt = maxNullable(state.updatedAt, mustInstant(event.recordedAt));

  if (event.type === 'event.retracted') {
    if (!allKeys) throw new Error('a retraction needs every key of the subject loaded');
    let full: ReturnType<Refold> | undefined;
    const refill = () => {
      if (!options.refold) throw new RefoldNeeded(state.subject, event.sequence);
      return (full ??= options.refold(event));
    };
    const target = targetOf(event.source, event.data.eventId);
    const waits = (): boolean => target !== targetOf(event.source, event.id) && !options.appliedBefore?.(target, event);
    if (!removeCandidate(state, keys, target, changed, cap, refill) && waits()) {
      if (!state.pending.includes(target)) state.pending.push(target);
    }
    return;
  }

  const self = targetOf(event.source, event.id);
  const pendingAt = state.pending.indexOf(self);
  if (pendingAt >= 0) {
    state.pending.splice(pendingAt, 1);
    return;
  }

  const candidate = { source: event.source, id: event.id, t: mustInstant(event.time), r: mustInstant(event.recordedAt) };
  state.lastEventTime = maxNullable(state.lastEventTime, candidate.t);

  if (event.type === 'recipient.registered') {
    if (pushCapped(state.registration, { ...candidate, v: event.data }, cap)) mark(state, 'registration');
    return;
  }
  if (event.type === 'mou.signed') {
    if (pushCapped(state.mou, { ...candidate, v: event.data }, cap)) mark(state, 'mou');
    return;
  }
  const target = keyOf(event);
  if (!target) return;
  updateKey(state, keys, target.key, changed, (ks) => {
    if (pushCapped((ks.lists[target.stage] ??= []), { ...candidate, v: target.value }, cap)) mark(ks, target.stage);
  });
}

/** Adds `c`; past `cap`, drops the oldest. True when something was dropped. */
function pushCapped<V>(list: Candidate<V>[], c: Candidate<V>, cap: number): boolean {
  list.push(c);
  if (list.length <= cap) return false;
  let oldest = 0;
  for (let i = 1; i < list.length; i++) if (isLater(list[oldest]!, list[i]!)) oldest = i;
  list.splice(oldest, 1);
  return true;
}

function mark<T extends string>(holder: { trimmed?: T[] }, name: T): void {
  holder.trimmed ??= [];
  if (!holder.trimmed.includes(name)) holder.trimmed.push(name);
}

function unmark<T extends string>(holder: { trimmed?: T[] }, name: T): void {
  holder.trimmed = holder.trimmed?.filter((n) => n !== name);
  if (holder.trimmed?.length === 0) delete holder.trimmed;
}

/** The `cap` latest of `list` (a copy, in the list's order, as `pushCapped` keeps it), and whether any was left out. */
function latestCapped<V>(list: readonly Candidate<V>[], cap: number): { kept: Candidate<V>[]; dropped: boolean } {
  if (list.length <= cap) return { kept: structuredClone([...list]), dropped: false };
  const latest = new Set([...list].sort((a, b) => (isLater(a, b) ? -1 : isLater(b, a) ? 1 : 0)).slice(0, cap));
  return { kept: structuredClone(list.filter((c) => latest.has(c))), dropped: true };
}

/**
 * The state and keys of an uncapped fold (`foldEvents`) as the projection stores them: every list
 * capped to its `cap` latest candidates.
 */
export function capFold(fold: { state: SubjectState; keys: Map<string, KeyState> }, cap = CANDIDATE_CAP) {
  const state = structuredClone(fold.state);
  delete state.trimmed;
  for (const name of ['registration', 'mou'] as const) {
    const { kept, dropped } = latestCapped<unknown>(fold.state[name], cap);
    (state[name] as Candidate<unknown>[]) = kept;
    if (dropped) mark(state, name);
  }
  const keys = new Map<string, KeyState>();
  for (const [name, ks] of fold.keys) keys.set(name, capKey(ks, cap));
  return { state, keys };
}

/**
 * Whether a stored key says what the capped fold's key says: the same latest candidate in every
 * list. (A stored list may keep fewer candidates than the fold's after retractions; both are right.)
 */
export function equivalentKey(stored: KeyState | undefined, folded: KeyState | undefined): boolean {
  const stages = (ks: KeyState | undefined) => Object.keys(ks?.lists ?? {}).sort();
  if (JSON.stringify(stages(stored)) !== JSON.stringify(stages(folded))) return false;
  return stages(folded).every(
    (stage) => JSON.stringify(latestOf(stored?.lists[stage as Stage])) === JSON.stringify(latestOf(folded?.lists[stage as Stage])),
  );
}

/**
 * Whether a stored status says what the capped fold's says: equal counters, programs, times and
 * watermark, the same latest registration and MoU, and every retraction the fold still waits for
 * (the stored one may also hold retractions of candidates it had dropped).
 */
export function equivalentState(stored: SubjectState | undefined, folded: SubjectState): boolean {
  if (!stored) return false;
  const core = ({ registration: _r, mou: _m, pending: _p, trimmed: _t, rebuild: _b, programs, ...rest }: SubjectState) =>
    JSON.stringify({ ...rest, programs: Object.entries(programs).sort(([a], [b]) => (a < b ? -1 : 1)) });
  return (
    core(stored) === core(folded) &&
    JSON.stringify(latestOf(stored.registration)) === JSON.stringify(latestOf(folded.registration)) &&
    JSON.stringify(latestOf(stored.mou)) === JSON.stringify(latestOf(folded.mou)) &&
    folded.pending.every((p) => stored.pending.includes(p))
  );
}

function capKey(ks: KeyState, cap: number): KeyState {
  const out: KeyState = { key: ks.key, lists: {} };
  for (const stage of Object.keys(ks.lists) as Stage[]) {
    const { kept, dropped } = latestCapped(ks.lists[stage] ?? [], cap);
    if (kept.length === 0) continue;
    out.lists[stage] = kept;
    if (dropped) mark(out, stage);
  }
  return out;
}

/** Removes the candidate of a retracted event wherever it is; false when it was not there. */
function removeCandidate(
  state: SubjectState,
  keys: Map<string, KeyState>,
  target: string,
  changed: Set<string>,
  cap: number,
  refill: () => ReturnType<Refold>,
): boolean {
  const matches = (c: Candidate<unknown>) => targetOf(c.source, c.id) === target;
  let removed: Candidate<unknown> | undefined;
  for (const name of ['registration', 'mou'] as const) {
    const list = state[name] as Candidate<unknown>[];
    const at = list.findIndex(matches);
    if (at < 0) continue;
    removed = list.splice(at, 1)[0];
    if (list.length === 0 && state.trimmed?.includes(name)) {
      // Every kept candidate is gone: the rest of the list comes from the log.
      const { kept, dropped } = latestCapped<unknown>(refill().state[name], cap);
      (state[name] as Candidate<unknown>[]) = kept;
      if (!dropped) unmark(state, name);
    }
  }
  if (!removed) {
    for (const ks of keys.values()) {
      for (const stage of Object.keys(ks.lists) as Stage[]) {
        const list = ks.lists[stage] ?? [];
        const at = list.findIndex(matches);
        if (at < 0) continue;
        removed = list[at];
        updateKey(state, keys, ks.key, changed, (k) => {
          k.lists[stage]!.splice(at, 1);
          if (k.lists[stage]!.length > 0) return;
          delete k.lists[stage];
          if (!k.trimmed?.includes(stage)) return;
          const full = refill().keys.get(k.key);
          const { kept, dropped } = latestCapped(full?.lists[stage] ?? [], cap);
          if (kept.length > 0) k.lists[stage] = kept;
          if (!dropped) unmark(k, stage);
        });
      }
    }
  }
  if (!removed) return false;
  if (removed.t === state.lastEventTime) state.lastEventTime = greatestTime(state, keys);
  return true;
}

/** Changes one key and moves the counters by the difference of its contribution. */
function updateKey(
  state: SubjectState,
  keys: Map<string, KeyState>,
  key: string,
  changed: Set<string>,
  change: (ks: KeyState) => void,
): void {
  const ks = keys.get(key) ?? { key, lists: {} };
  keys.set(key, ks);
  const before = contributionOf(ks);
  change(ks);
  const after = contributionOf(ks);
  for (const name of COUNTER_NAMES) state.counters[name] += after.counters[name] - before.counters[name];
  if (before.program) delete state.programs[before.program[0]];
  if (after.program) state.programs[after.program[0]] = after.program[1];
  changed.add(key);
}

function greatestTime(state: SubjectState, keys: Map<string, KeyState>): Instant | null {
  let best: Instant | null = null;
  const visit = (c: Candidate<unknown>) => (best = maxNullable(best, c.t));
  state.registration.forEach(visit);
  state.mou.forEach(visit);
  for (const ks of keys.values()) for (const list of Object.values(ks.lists)) list?.forEach(visit);
  return best;
}

function maxNullable(a: Instant | null, b: Instant): Instant {
  return a === null ? b : maxInstant(a, b);
}

function mustInstant(text: string): Instant {
  const instant = parseInstant(text);
  if (!instant) throw new Error(`not an RFC 3339 time: ${text}`);
  return instant;
}

export interface FoldFilter {
  /** Only events whose `time` ≤ asOf (retractions apply whatever their own time). */
  asOf?: Instant;
  /** Only events (retractions included) recorded by then. */
  knownAt?: Instant;
}

/** Whether an event counts in a fold under the filter. */
export function includedIn(event: StoredEvent, filter: FoldFilter): boolean {
  if (filter.knownAt && mustInstant(event.recordedAt) > filter.knownAt) return false;
  if (filter.asOf && event.type !== 'event.retracted' && mustInstant(event.time) > filter.asOf) return false;
  return true;
}

/** The whole fold of a subject's events, in any order: the reference the projection must equal. */
export function foldEvents(
  subject: string,
  events: Iterable<StoredEvent>,
  filter: FoldFilter = {},
): { state: SubjectState; keys: Map<string, KeyState> } {
  const state = emptyState(subject);
  const keys = new Map<string, KeyState>();
  const changed = new Set<string>();
  const seen = new Set<string>();
  for (const event of events) {
    const identity = targetOf(event.source, event.id);
    if (seen.has(identity) || !includedIn(event, filter)) continue;
    seen.add(identity);
    applyEvent(state, keys, event, changed, true, { cap: Infinity, appliedBefore: (target) => seen.has(target) });
  }
  return { state, keys };
}

/** A recipient's status as the API returns it (CONTRACT §4). */
export interface RecipientStatus extends Counters {
  recipientId: string;
  name: string | null;
  nameKo: string | null;
  sector: Registration['sector'] | null;
  programs: Record<string, number>;
  inTransit: number;
  remaining: number;
  sequence: number;
  lastEventTime: string | null;
  updatedAt: string | null;
}

export function recipientView(state: SubjectState): RecipientStatus {
  const reg = latestOf(state.registration)?.v;
  const c = state.counters;
  return {
    recipientId: state.subject.slice('recipients/'.length),
    name: reg?.name ?? null,
    nameKo: reg?.nameKo ?? null,
    sector: reg?.sector ?? null,
    allocated: c.allocated,
    programs: Object.fromEntries(Object.entries(state.programs).sort(([a], [b]) => (a < b ? -1 : 1))),
    ordered: c.ordered,
    shipped: c.shipped,
    inTransit: c.shipped - c.delivered,
    delivered: c.delivered,
    installed: c.installed,
    remaining: Math.max(c.allocated - c.delivered, 0),
    sequence: state.appliedSeq,
    lastEventTime: state.lastEventTime ? formatInstant(state.lastEventTime) : null,
    updatedAt: state.updatedAt ? formatMillis(state.updatedAt) : null,
  };
}

export interface MouEntry extends MouTerms {
  mouId: string;
  signedAt: string;
  source: string;
  sequence: number;
  updatedAt: string | null;
}

/** The MoU registry entry, or `undefined` when no signing counts (none posted, or all retracted). */
export function mouView(state: SubjectState): MouEntry | undefined {
  const latest = latestOf(state.mou);
  if (!latest) return undefined;
  return {
    mouId: state.subject.slice('mous/'.length),
    title: latest.v.title,
    parties: latest.v.parties,
    ...(latest.v.topics ? { topics: latest.v.topics } : {}),
    ...(latest.v.documentUrl ? { documentUrl: latest.v.documentUrl } : {}),
    signedAt: formatInstant(latest.t),
    source: latest.source,
    sequence: state.appliedSeq,
    updatedAt: state.updatedAt ? formatMillis(state.updatedAt) : null,
  };
}
