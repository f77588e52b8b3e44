/**
 * The notifier: fans each accepted event out to the subscriptions that want it (CONTRACT §6),
 * exactly once per (subscription, event), on top of at-least-once messages.
 *
 * Like the projector it counts the log, not messages: a per-subject notify watermark says how far
 * the subject was fanned out. A run reads the events after it, computes each event's status after
 * it (the pure fold of the subject's events up to that sequence), creates one delivery item per
 * matching subscription (conditional: a deterministic webhook id, so a repeated run finds it),
 * hands each new delivery to the delivery queue, then advances the watermark conditionally.
 * A crash after the creation and before the enqueue is repaired by the sweeper: every pending
 * delivery sits in the `due` index with a time by which it must have been tried.
 *
 * The status after an event comes from the notifier's own snapshot: a projection of the subject
 * kept by the projector's code in another store (`snapshots`), at or behind the watermark. A run
 * folds the events after the snapshot up to its last event into it (seeing the state after each)
 * and commits it once the watermark has moved, so a run reads what is new, not the subject's whole
 * history, and the snapshot never runs ahead of the watermark. Subjects nobody
 * subscribes to leave their snapshot behind until an event matches; the gap is read then, once.
 * Should the snapshot be past an event anyway, or move while a run reads it, the run retries as
 * after a lost race; only after several is that status folded from the log's first event.
 *
 * `replay` re-sends what a subscription would have received since a time, with the same webhook
 * ids: existing deliveries start a new round, missing ones are created.
 */
import type { StoredEvent } from '../domain/event-schema.ts';
import {
  type KeyState,
  type MouEntry,
  type RecipientStatus,
  type SubjectState,
  applyEvent,
  emptyState,
  mouView,
  recipientView,
} from '../domain/status.ts';
import { type Instant, parseInstant } from '../domain/time.ts';
import { type Delivery, type Subscription, wants, webhookBody, webhookIdOf } from '../domain/webhooks.ts';
import { ConcurrentUpdateError } from '../errors.ts';
import type { Clock, DeliveryQueue, DeliveryRef, DeliveryStore, EventLog, NotifyWatermarks, ProjectionStore, SubscriptionStore } from '../ports.ts';
import { keys } from '../tables.ts';
import { createProjector } from './projector.ts';
import { readSubjectLog } from './read-log.ts';

const READ_PAGE = 500;
const MAX_LOST_RACES = 8;
/**
 * Lost races after which a run whose snapshot is already past its events folds them from the log's
 * first event. Before that it retries: usually another run of the same subject moved the snapshot and
 * is about to move the watermark past them (~300 ms of backoff in all); only a run that stopped in
 * between leaves it so.
 */
const FOLD_FROM_START_AFTER = 6;
const WRITE_CONCURRENCY = 10;

/**
 * How long a delivery may wait for its message before the sweeper re-enqueues it: well above SQS
 * latency and a worker's lease, so the sweeper only repairs, it does not race the queue.
 */
export const REPAIR_GRACE_MS = 120_000;

export interface NotifierDeps {
  log: EventLog;
  subscriptions: SubscriptionStore;
  deliveries: DeliveryStore;
  watermarks: NotifyWatermarks;
  /** The notifier's snapshot of each subject's projection (at or behind the watermark). */
  snapshots: ProjectionStore;
  deliveryQueue: DeliveryQueue;
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
}

export interface NotifyRun {
  subject: string;
  /** Events fanned out by this run (0 when it was up to date). */
  events: number;
  /** Deliveries created by this run. */
  created: number;
  watermark: number;
}

export interface ReplayReport {
  /** Deliveries created or started again. */
  replayed: number;
  /** Matching deliveries still pending (already on their way; left as they are). */
  pending: number;
}

type Status = RecipientStatus | MouEntry | null;

export function createNotifier(deps: NotifierDeps) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function notify(subject: string): Promise<NotifyRun> {
    for (let lost = 0; ; lost++) {
      try {
        return await catchUp(subject, lost >= FOLD_FROM_START_AFTER);
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError) || lost >= MAX_LOST_RACES) throw error;
        await sleep(Math.random() * 10 * 2 ** Math.min(lost, 5));
      }
    }
  }

  async function catchUp(subject: string, foldFromStart: boolean): Promise<NotifyRun> {
    let mark = (await deps.watermarks.get([subject])).get(subject) ?? 0;
    const run: NotifyRun = { subject, events: 0, created: 0, watermark: mark };
    let active: Subscription[] | undefined;
    let commitSnapshot = async () => {};
    for (;;) {
      const fresh = await deps.log.read(subject, { after: mark, limit: READ_PAGE });
      if (fresh.length === 0) break;
      active ??= (await deps.subscriptions.listAll()).filter((s) => s.status === 'active');
      const matches = fresh.flatMap((event) =>
        active!.filter((s) => wants(s, event) && instant(event.recordedAt) >= instant(s.createdAt)).map((s) => ({ event, s })),
      );
      if (matches.length > 0) {
        const snapshot = deferredSnapshot();
        commitSnapshot = snapshot.commit;
        const statuses = await statusesAfter(subject, fresh, new Set(matches.map((m) => m.event.sequence)), snapshot.project, foldFromStart);
        const now = deps.clock.now();
        const outcomes = await mapLimit(matches, WRITE_CONCURRENCY, ({ event, s }) =>
          deps.deliveries.create(newDelivery(s, event, statuses.get(event.sequence) ?? null, now), dueAfter(now, REPAIR_GRACE_MS)),
        );
        run.created += outcomes.filter((o) => o.created).length;
        // New ones, and ones a crashed run created but may not have enqueued (the claim makes a duplicate harmless).
        const refs = outcomes.filter((o) => o.delivery.state === 'pending' && o.delivery.attempt === 0).map((o) => refOf(o.delivery));
        await deps.deliveryQueue.send(refs);
      }
      const to = fresh[fresh.length - 1]!.sequence;
      await deps.watermarks.advance(subject, mark, to);
      // Only now: a snapshot never runs ahead of the watermark, so a concurrent run never finds it past its events.
      await commitSnapshot();
      commitSnapshot = async () => {};
      run.events += fresh.length;
      run.watermark = mark = to;
      if (fresh.length < READ_PAGE) break;
    }
    return run;
  }

  /**
   * The projector over the snapshot store, its commits held back until `commit` (after the watermark
   * moved). A commit that loses its race is dropped: the snapshot is only a shortcut.
   */
  function deferredSnapshot() {
    let held: [SubjectState, number, KeyState[]][] = [];
    // Keys as the held commits left them: a run over several pages reads them back.
    let heldKeys = new Map<string, KeyState>();
    const withHeld = (stored: Map<string, KeyState>, names?: readonly string[]) => {
      for (const [name, ks] of heldKeys) if (!names || names.includes(name)) stored.set(name, structuredClone(ks));
      return stored;
    };
    let loadedSeq = 0;
    /**
     * Status and keys are two reads: a run that committed in between would leave keys ahead of the
     * status, and statuses folded from them wrong (the projector's own commit would fail, but the
     * statuses are used before any commit). Keys count only if the status did not move meanwhile.
     */
    const unmoved = async <T>(subject: string, keys: T): Promise<T> => {
      const again = await deps.snapshots.load(subject);
      if ((again?.appliedSeq ?? 0) !== loadedSeq) throw new ConcurrentUpdateError(`${subject}: the notifier's snapshot moved while it was read`);
      return keys;
    };
    const store: ProjectionStore = {
      ...deps.snapshots,
      load: async (subject) => {
        held = [];
        heldKeys = new Map();
        const state = await deps.snapshots.load(subject);
        loadedSeq = state?.appliedSeq ?? 0;
        return state;
      },
      loadKeys: async (subject, names) => withHeld(await unmoved(subject, await deps.snapshots.loadKeys(subject, names)), names),
      loadAllKeys: async (subject) => withHeld(await unmoved(subject, await deps.snapshots.loadAllKeys(subject))),
      commit: async (state, expectedSeq, changed) => {
        const copy = structuredClone([state, expectedSeq, [...changed]] as [SubjectState, number, KeyState[]]);
        held.push(copy);
        for (const ks of copy[2]) heldKeys.set(ks.key, ks);
      },
    };
    return {
      project: createProjector({ log: deps.log, store, sleep }),
      async commit() {
        try {
          for (const [state, expectedSeq, changed] of held) await deps.snapshots.commit(state, expectedSeq, changed);
        } catch (error) {
          if (!(error instanceof ConcurrentUpdateError)) throw error;
        }
      },
    };
  }

  /**
   * Status after each `wanted` sequence of `events` (consecutive, after the watermark): the snapshot
   * folded forward to the last of them. Where it was already past them, a lost race (another run is
   * fanning them out), or with `foldFromStart` the fold of the log from its first event.
   */
  async function statusesAfter(
    subject: string,
    events: readonly StoredEvent[],
    wanted: ReadonlySet<number>,
    advanceSnapshot: ReturnType<typeof createProjector>,
    foldFromStart: boolean,
  ): Promise<Map<number, Status>> {
    const out = new Map<number, Status>();
    const view = viewOf(subject);
    try {
      await advanceSnapshot(subject, {
        upTo: events[events.length - 1]!.sequence,
        onApplied: (event, state) => {
          if (wanted.has(event.sequence)) out.set(event.sequence, structuredClone(view(state)));
        },
      });
    } catch (error) {
      // Another run kept moving the snapshot while this one read it: the statuses it could not fold are missing.
      if (!(error instanceof ConcurrentUpdateError)) throw error;
    }
    const missing = new Set([...wanted].filter((sequence) => !out.has(sequence)));
    if (missing.size > 0) {
      if (!foldFromStart) throw new ConcurrentUpdateError(`${subject}: the notifier's snapshot is past sequence ${Math.min(...missing)}`);
      const before = await readAll(subject, events[0]!.sequence - 1);
      for (const [sequence, status] of foldWithSnapshots(subject, [...before, ...events], missing)) out.set(sequence, status);
    }
    return out;
  }

  const readAll = (subject: string, upTo?: number) =>
    readSubjectLog(deps.log, subject, { page: READ_PAGE, ...(upTo === undefined ? {} : { upTo }) });

  function newDelivery(s: Subscription, event: StoredEvent, status: Status, now: Date): Delivery {
    const webhookId = webhookIdOf(s.id, event.source, event.id);
    const at = now.toISOString();
    return {
      subscriptionId: s.id,
      key: keys.deliveryKey(instant(event.recordedAt), webhookId),
      webhookId,
      event: { source: event.source, id: event.id, type: event.type, subject: event.subject, sequence: event.sequence, recordedAt: event.recordedAt },
      payload: webhookBody(event, status),
      state: 'pending',
      attempt: 0,
      round: 1,
      attempts: [],
      nextAttemptAt: at,
      leaseUntil: null,
      createdAt: at,
      updatedAt: at,
    };
  }

  async function replay(s: Subscription, since: Instant): Promise<ReplayReport> {
    const report: ReplayReport = { replayed: 0, pending: 0 };
    const subjects = s.recipients.length > 0 ? s.recipients.map((id) => `recipients/${id}`) : await deps.log.subjects();
    for (const subject of subjects) {
      const events = await readAll(subject);
      const matching = events.filter((e) => instant(e.recordedAt) >= since && wants(s, e));
      if (matching.length === 0) continue;
      const statuses = foldWithSnapshots(subject, events, new Set(matching.map((e) => e.sequence)));
      const now = deps.clock.now();
      const refs = await mapLimit(matching, WRITE_CONCURRENCY, async (event): Promise<DeliveryRef | undefined> => {
        const { created, delivery } = await deps.deliveries.create(
          newDelivery(s, event, statuses.get(event.sequence) ?? null, now),
          dueAfter(now, REPAIR_GRACE_MS),
        );
        if (created) return refOf(delivery);
        if (delivery.state === 'pending') {
          report.pending++;
          return undefined;
        }
        return (await deps.deliveries.reopen(delivery, now.toISOString(), dueAfter(now, REPAIR_GRACE_MS))) ? refOf(delivery) : undefined;
      });
      const sent = refs.filter((r): r is DeliveryRef => r !== undefined);
      report.replayed += sent.length;
      await deps.deliveryQueue.send(sent);
    }
    return report;
  }

  return { notify, replay };
}

export type Notifier = ReturnType<typeof createNotifier>;

/** Folds `events` (a subject's log from sequence 1, in order) and keeps the status after each sequence in `wanted`. */
function foldWithSnapshots(subject: string, events: readonly StoredEvent[], wanted: ReadonlySet<number>): Map<number, Status> {
  const state = emptyState(subject);
  const keyStates = new Map<string, KeyState>();
  const changed = new Set<string>();
  const out = new Map<number, Status>();
  const view = viewOf(subject);
  for (const event of events) {
    // Every key of the subject is in `keyStates`: the fold started from the first event (uncapped: all in memory).
    applyEvent(state, keyStates, event, changed, true, { cap: Infinity });
    if (wanted.has(event.sequence)) out.set(event.sequence, structuredClone(view(state)));
  }
  return out;
}

const viewOf = (subject: string): ((state: SubjectState) => Status) =>
  subject.startsWith('mous/') ? (state) => mouView(state) ?? null : recipientView;

const refOf = (d: Delivery): DeliveryRef => ({ subscriptionId: d.subscriptionId, key: d.key });

function instant(text: string): Instant {
  const parsed = parseInstant(text);
  if (!parsed) throw new Error(`not an RFC 3339 time: ${text}`);
  return parsed;
}

export const dueAfter = (now: Date, ms: number) => new Date(now.getTime() + ms).toISOString();

/** `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
