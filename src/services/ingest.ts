/**
 * Ingest (CONTRACT §2): idempotent on `(source, id)`, gap-free `sequence` per subject, safe to retry.
 *
 * Each subject's events are appended in one transaction together with its head (the sequence
 * counter) and their id records, so a crash leaves either all of them or none. A lost race (a head
 * or an id written meanwhile) re-reads and re-plans. After the log write every touched subject,
 * duplicates included, is queued for projection: a retry after a crash between the write and the
 * enqueue therefore repairs the missing enqueue, and the reconciler repairs it when nobody retries.
 */
import { contentHash } from '../domain/canonical.ts';
import type { FieldError, StoredEvent, TrackerEvent } from '../domain/event-schema.ts';
import { targetOf } from '../domain/status.ts';
import { type Instant, formatInstant, instantOf, maxInstant } from '../domain/time.ts';
import { ConcurrentUpdateError, ServiceUnavailableError, ValidationError } from '../errors.ts';
import type { AppendGroup, Clock, EventLog, IdRecord, WorkQueue } from '../ports.ts';

export type IngestStatus = 'accepted' | 'duplicate' | 'conflict';

export interface IngestResult {
  source: string;
  id: string;
  status: IngestStatus;
  sequence: number;
}

/** A transaction holds at most 100 items: one head plus two items (log, id) per event. */
export const MAX_EVENTS_PER_GROUP = 49;
const MAX_TRANSACT_ITEMS = 100;
const MAX_LOST_RACES = 12;

export interface IngestDeps {
  log: EventLog;
  queue: WorkQueue;
  clock: Clock;
  /** Called when the enqueue after a successful write fails (the reconciler will repair it). */
  onEnqueueError?: (error: unknown, subjects: readonly string[]) => void;
  sleep?: (ms: number) => Promise<void>;
}

interface Pending {
  index: number;
  event: TrackerEvent;
  hash: string;
  identity: string;
}

export function createIngest(deps: IngestDeps) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  return async function ingest(events: readonly TrackerEvent[]): Promise<IngestResult[]> {
    const all: Pending[] = events.map((event, index) => ({
      index, event, hash: contentHash(event), identity: targetOf(event.source, event.id),
    }));
    const firsts = new Map<string, Pending>();
    const repeats: Pending[] = [];
    for (const p of all) (firsts.has(p.identity) ? repeats.push(p) : firsts.set(p.identity, p));

    const results: IngestResult[] = new Array(all.length);
    const resultOf = (p: Pending, status: IngestStatus, sequence: number) =>
      (results[p.index] = { source: p.event.source, id: p.event.id, status, sequence });

    await checkRetractions([...firsts.values()]);

    let pending = [...firsts.values()];
    let lostRaces = 0;
    while (pending.length > 0) {
      const known = await deps.log.findIds(pending.map((p) => p.event));
      const fresh: Pending[] = [];
      for (const p of pending) {
        const record = known.get(p.identity);
        if (record) resultOf(p, record.hash === p.hash ? 'duplicate' : 'conflict', record.sequence);
        else fresh.push(p);
      }
      if (fresh.length === 0) break;

      const groups = await planGroups(fresh);
      const committed = await appendAll(groups);
      for (const group of committed) {
        for (const { event } of group.events) {
          resultOf(firsts.get(targetOf(event.source, event.id))!, 'accepted', event.sequence);
        }
      }
      const done = new Set(committed.flatMap((g) => g.events.map((e) => targetOf(e.event.source, e.event.id))));
      const left = fresh.filter((p) => !done.has(p.identity));
      if (left.length === fresh.length) {
        if (++lostRaces > MAX_LOST_RACES) throw new ServiceUnavailableError('Too much contention on these subjects; retry the request as is.');
        await sleep(Math.random() * 20 * 2 ** Math.min(lostRaces, 6));
      }
      pending = left;
    }

    for (const p of repeats) {
      const first = results[firsts.get(p.identity)!.index]!;
      resultOf(p, first.status === 'conflict' || firsts.get(p.identity)!.hash !== p.hash ? 'conflict' : 'duplicate', first.sequence);
    }

    const subjects = [...new Set(all.filter((p) => results[p.index]!.status !== 'conflict').map((p) => p.event.subject))];
    if (subjects.length > 0) {
      await deps.queue.requestProjection(subjects).catch((error: unknown) => deps.onEnqueueError?.(error, subjects));
    }
    return results;
  };

  /** A retraction must not target a retraction, nor an event of another subject (when the target is known). */
  async function checkRetractions(firsts: Pending[]): Promise<void> {
    const retractions = firsts.filter((p) => p.event.type === 'event.retracted');
    if (retractions.length === 0) return;
    const targets = retractions.map((p) => ({ source: p.event.source, id: (p.event.data as { eventId: string }).eventId }));
    const stored = await deps.log.findIds(targets);
    const inRequest = new Map(firsts.map((p) => [p.identity, { subject: p.event.subject, type: p.event.type }]));
    const errors: FieldError[] = [];
    retractions.forEach((p, i) => {
      const key = targetOf(targets[i]!.source, targets[i]!.id);
      const target: Pick<IdRecord, 'subject' | 'type'> | undefined = inRequest.get(key) ?? stored.get(key);
      if (!target) return;
      if (target.type === 'event.retracted') {
        errors.push({ index: p.index, path: 'data.eventId', message: 'a retraction cannot be retracted' });
      } else if (target.subject !== p.event.subject) {
        errors.push({ index: p.index, path: 'subject', message: `must be the retracted event's subject (${target.subject})` });
      }
    });
    if (errors.length > 0) throw new ValidationError('The request has invalid retractions; nothing was stored.', errors);
  }

  /** Sequences and recordedAt for each subject's next events, in request order, at most one group per subject. */
  async function planGroups(fresh: Pending[]): Promise<AppendGroup[]> {
    const bySubject = new Map<string, Pending[]>();
    for (const p of fresh) {
      const list = bySubject.get(p.event.subject) ?? [];
      if (list.length < MAX_EVENTS_PER_GROUP) list.push(p);
      bySubject.set(p.event.subject, list);
    }
    const heads = await deps.log.heads([...bySubject.keys()]);
    const now = instantOf(deps.clock.now());
    return [...bySubject].map(([subject, list]) => {
      const head = heads.get(subject);
      const recordedAt: Instant = head ? maxInstant(now, head.recordedAt) : now;
      const expectedSequence = head?.sequence ?? 0;
      return {
        subject,
        expectedSequence,
        events: list.map((p, i) => ({
          hash: p.hash,
          event: { ...p.event, sequence: expectedSequence + i + 1, recordedAt: formatInstant(recordedAt) } as StoredEvent,
        })),
      };
    });
  }

  /** Packs groups into transactions of ≤ 100 items, runs them concurrently, returns the groups that committed. */
  async function appendAll(groups: AppendGroup[]): Promise<AppendGroup[]> {
    const transactions: AppendGroup[][] = [];
    let current: AppendGroup[] = [];
    let items = 0;
    for (const group of groups) {
      const size = 1 + 2 * group.events.length;
      if (items + size > MAX_TRANSACT_ITEMS) {
        transactions.push(current);
        current = [];
        items = 0;
      }
      current.push(group);
      items += size;
    }
    if (current.length > 0) transactions.push(current);

    const outcomes = await Promise.allSettled(transactions.map((t) => deps.log.append(t)));
    const committed: AppendGroup[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') committed.push(...transactions[i]!);
      else if (!(outcome.reason instanceof ConcurrentUpdateError)) throw outcome.reason;
    });
    return committed;
  }
}

export type Ingest = ReturnType<typeof createIngest>;
