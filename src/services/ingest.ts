/**
 * Ingest (CONTRACT §2): idempotent on `(source, id)`, gap-free `sequence` per subject, safe to retry.
 *
 * A subject's events are appended in one transaction together with its head (the sequence counter)
 * and their id records, so a crash leaves either all of them or none. Within one process, every
 * request for a subject joins that subject's lane: one writer drains it, committing whatever has
 * gathered (up to 49 events) in one transaction, so a busy subject costs one transaction per batch,
 * not one lost race per request. Writers in other processes are met with a conditional head: the
 * loser re-reads and retries with jittered backoff.
 *
 * After the log write every touched subject, duplicates included, is queued for projection: a retry
 * after a crash between the write and the enqueue repairs the missing enqueue, and the reconciler
 * repairs it when nobody retries.
 */
import { contentHash } from '../domain/canonical.ts';
import type { FieldError, StoredEvent, TrackerEvent } from '../domain/event-schema.ts';
import { targetOf } from '../domain/status.ts';
import { type Instant, formatMillis, instantOf, maxInstant } from '../domain/time.ts';
import { ConcurrentUpdateError, ServiceUnavailableError, ValidationError } from '../errors.ts';
import type { Clock, EventLog, IdRecord, SubjectHead, WorkQueue } from '../ports.ts';

export type IngestStatus = 'accepted' | 'duplicate' | 'conflict';

export interface IngestResult {
  source: string;
  id: string;
  status: IngestStatus;
  sequence: number;
}

/** A transaction holds at most 100 items: one head plus two items (log, id) per event. */
export const MAX_EVENTS_PER_APPEND = 49;
const MAX_LOST_RACES = 12;

export interface IngestDeps {
  log: EventLog;
  queue: WorkQueue;
  clock: Clock;
  /** Called when the enqueue after a successful write fails (the reconciler will repair it). */
  onEnqueueError?: (error: unknown, subjects: readonly string[]) => void;
  /** Milliseconds from stamping `recordedAt` to commit beyond which the feed's settled horizon may be passed. */
  slowCommitMs?: number;
  onSlowCommit?: (subject: string, elapsedMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

interface Pending {
  event: TrackerEvent;
  hash: string;
  identity: string;
}

/** `hash`: the content the log holds for the identity, which repeats in a request compare with. */
type Outcome = { status: IngestStatus; sequence: number; hash: string };

interface Waiter {
  item: Pending;
  resolve: (outcome: Outcome) => void;
  reject: (error: unknown) => void;
}

export function createIngest(deps: IngestDeps) {
  const lanes = new Map<string, Lane>();

  return async function ingest(events: readonly TrackerEvent[]): Promise<IngestResult[]> {
    const all: Pending[] = events.map((event) => ({ event, hash: contentHash(comparedContent(event)), identity: targetOf(event.source, event.id) }));
    await checkRetractions(all);

    // Within the request the first of an (source, id) stands for it; later ones compare with what the log holds.
    const firsts = new Map<string, Pending>();
    for (const p of all) if (!firsts.has(p.identity)) firsts.set(p.identity, p);
    const outcomes = new Map<string, Promise<Outcome>>();
    for (const p of firsts.values()) outcomes.set(p.identity, laneOf(p.event.subject).submit(p));
    const settled = await Promise.allSettled(outcomes.values());
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;

    const results: IngestResult[] = [];
    for (const p of all) {
      const first = firsts.get(p.identity)!;
      const outcome = await outcomes.get(p.identity)!;
      const status: IngestStatus = first === p ? outcome.status : outcome.hash === p.hash ? 'duplicate' : 'conflict';
      results.push({ source: p.event.source, id: p.event.id, status, sequence: outcome.sequence });
    }

    const subjects = [...new Set(all.filter((_, i) => results[i]!.status !== 'conflict').map((p) => p.event.subject))];
    if (subjects.length > 0) {
      await deps.queue.requestProjection(subjects).catch((error: unknown) => deps.onEnqueueError?.(error, subjects));
    }
    return results;
  };

  function laneOf(subject: string): Lane {
    let lane = lanes.get(subject);
    if (!lane) lanes.set(subject, (lane = new Lane(subject, deps, () => lanes.delete(subject))));
    return lane;
  }

  /** A retraction must not target a retraction, nor an event of another subject (when the target is known). */
  async function checkRetractions(all: Pending[]): Promise<void> {
    const retractions = all.map((p, index) => ({ p, index })).filter(({ p }) => p.event.type === 'event.retracted');
    if (retractions.length === 0) return;
    const targetKey = (p: Pending) => ({ source: p.event.source, id: (p.event.data as { eventId: string }).eventId });
    const stored = await deps.log.findIds(retractions.map(({ p }) => targetKey(p)));
    const inRequest = new Map(all.map((p) => [p.identity, { subject: p.event.subject, type: p.event.type }]));
    const errors: FieldError[] = [];
    for (const { p, index } of retractions) {
      const key = targetOf(targetKey(p).source, targetKey(p).id);
      const target: Pick<IdRecord, 'subject' | 'type'> | undefined = inRequest.get(key) ?? stored.get(key);
      if (!target) continue;
      if (target.type === 'event.retracted') {
        errors.push({ index, path: 'data.eventId', message: 'a retraction cannot be retracted' });
      } else if (target.subject !== p.event.subject) {
        errors.push({ index, path: 'subject', message: `must be the retracted event's subject (${target.subject})` });
      }
    }
    if (errors.length > 0) throw new ValidationError('The request has invalid retractions; nothing was stored.', errors);
  }
}

/**
 * What two posts are compared on. JSON data is JSON whether or not `datacontenttype` says so: absent
 * means `application/json` (CloudEvents JSON format), and binary mode carries it in `Content-Type`, not
 * in the event, so it must not make a re-post in another encoding differ (CONTRACT §2).
 */
function comparedContent(event: TrackerEvent): TrackerEvent {
  const { datacontenttype, ...rest } = event;
  const media = datacontenttype?.split(';')[0]!.trim().toLowerCase();
  return media === undefined || media === 'application/json' ? (rest as TrackerEvent) : event;
}

/** One subject's writer: drains waiting events in batches, one transaction per batch. */
class Lane {
  private readonly sleep: (ms: number) => Promise<void>;
  private waiting: Waiter[] = [];
  private draining = false;
  /** Head as this process last wrote it; dropped when another writer is detected. */
  private head: SubjectHead | undefined;

  constructor(
    private readonly subject: string,
    private readonly deps: IngestDeps,
    private readonly onIdle: () => void,
  ) {
    this.sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  }

  submit(item: Pending): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    let lostRaces = 0;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_EVENTS_PER_APPEND);
      try {
        const retry = await this.commit(batch);
        if (retry.length === 0) {
          lostRaces = 0;
          continue;
        }
        this.waiting.unshift(...retry);
        if (++lostRaces > MAX_LOST_RACES) throw new ServiceUnavailableError('Too much contention on this subject; retry the request as is.');
        await this.sleep(Math.random() * 10 * 2 ** Math.min(lostRaces, 7));
      } catch (error) {
        for (const w of [...batch, ...this.waiting.splice(0)]) w.reject(error);
      }
    }
    this.draining = false;
    this.onIdle();
  }

  /** Appends what is new in the batch; returns the waiters to retry after a lost race. */
  private async commit(batch: Waiter[]): Promise<Waiter[]> {
    const known = await this.deps.log.findIds(batch.map((w) => w.item.event));
    const fresh: Waiter[] = [];
    const followers: { waiter: Waiter; leader: Waiter }[] = [];
    const leaders = new Map<string, Waiter>();
    for (const w of batch) {
      const record = known.get(w.item.identity);
      const leader = leaders.get(w.item.identity);
      if (record) w.resolve({ status: record.hash === w.item.hash ? 'duplicate' : 'conflict', sequence: record.sequence, hash: record.hash });
      else if (leader) followers.push({ waiter: w, leader });
      else {
        leaders.set(w.item.identity, w);
        fresh.push(w);
      }
    }
    if (fresh.length === 0) return [];

    const head = this.head ?? (await this.deps.log.heads([this.subject])).get(this.subject);
    const now = instantOf(this.deps.clock.now());
    const recordedAt: Instant = head ? maxInstant(now, head.recordedAt) : now;
    const expectedSequence = head?.sequence ?? 0;
    const stored = fresh.map((w, i) => ({
      hash: w.item.hash,
      event: { ...w.item.event, sequence: expectedSequence + i + 1, recordedAt: formatMillis(recordedAt) } as StoredEvent,
    }));
    try {
      const stampedAt = Date.now();
      await this.deps.log.append([{ subject: this.subject, expectedSequence, events: stored }]);
      const elapsed = Date.now() - stampedAt;
      if (this.deps.slowCommitMs !== undefined && elapsed > this.deps.slowCommitMs) this.deps.onSlowCommit?.(this.subject, elapsed);
    } catch (error) {
      this.head = undefined;
      if (error instanceof ConcurrentUpdateError) return [...fresh, ...followers.map((f) => f.waiter)];
      throw error;
    }
    this.head = { sequence: expectedSequence + fresh.length, recordedAt };
    fresh.forEach((w, i) => w.resolve({ status: 'accepted', sequence: stored[i]!.event.sequence, hash: w.item.hash }));
    for (const { waiter, leader } of followers) {
      waiter.resolve({
        status: waiter.item.hash === leader.item.hash ? 'duplicate' : 'conflict',
        sequence: expectedSequence + fresh.indexOf(leader) + 1,
        hash: leader.item.hash,
      });
    }
    return [];
  }
}

export type Ingest = ReturnType<typeof createIngest>;
