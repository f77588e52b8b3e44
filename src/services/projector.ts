/**
 * The projection: brings a subject's stored state up to its log (CONTRACT §3), exactly once.
 *
 * The log is the source of truth and the state item carries a watermark (`appliedSeq`). A run reads
 * the events after the watermark, folds them into the state and the keys they touch, and commits
 * state and keys in one transaction conditioned on the watermark it started from. Redelivered,
 * duplicated or reordered messages find nothing new, or lose the race and re-read: nothing is
 * counted twice. A whole batch of events folds into one write per recipient (plus its touched keys).
 *
 * Candidate lists are capped (src/domain/status.ts): in the rare run where retractions empty a list
 * that dropped older candidates, the fold says `RefoldNeeded` and the run starts again with the
 * subject's whole log read, from which such a list is rebuilt.
 *
 * The same projector keeps the notifier's snapshot (another store): `upTo` stops it at a sequence
 * and `onApplied` sees the state after each event it folds in.
 */
import type { StoredEvent } from '../domain/event-schema.ts';
import { type Refold, type SubjectState, RefoldNeeded, applyEvent, emptyState, foldEvents, keyOf } from '../domain/status.ts';
import { ConcurrentUpdateError } from '../errors.ts';
import type { EventLog, ProjectionStore } from '../ports.ts';
import { readSubjectLog } from './read-log.ts';

/** One transaction: the state item plus at most 99 key items. */
const MAX_KEYS_PER_COMMIT = 99;
const READ_PAGE = 500;
const MAX_LOST_RACES = 8;

export interface ProjectorDeps {
  log: EventLog;
  store: ProjectionStore;
  sleep?: (ms: number) => Promise<void>;
}

export interface ProjectionRun {
  subject: string;
  /** Events folded in by this run (0 when it was already up to date). */
  applied: number;
  /** Transactions written. */
  commits: number;
  appliedSeq: number;
}

export interface ProjectOptions {
  /** Fold no further than this sequence. */
  upTo?: number;
  /** Called with each event folded in and the state right after it (do not keep or change `state`). */
  onApplied?: (event: StoredEvent, state: SubjectState) => void;
}

export function createProjector(deps: ProjectorDeps) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  return async function project(subject: string, options: ProjectOptions = {}): Promise<ProjectionRun> {
    const seen = { lastRead: 0 };
    let refold: Refold | undefined;
    for (let lost = 0; ; lost++) {
      try {
        return await catchUp(subject, seen, options, refold);
      } catch (error) {
        if (error instanceof RefoldNeeded && !refold) {
          // Rare: read the whole log once, and fold again from what was committed.
          const log = await readSubjectLog(deps.log, subject, { page: READ_PAGE, ...(options.upTo === undefined ? {} : { upTo: options.upTo }) });
          refold = (event) => foldEvents(subject, log.filter((e) => e.sequence <= event.sequence));
          lost--;
          continue;
        }
        if (!(error instanceof ConcurrentUpdateError)) throw error;
        // Losing the race is fine when the winner already folded every event this run had read.
        const winner = await deps.store.load(subject);
        if (winner && winner.appliedSeq >= seen.lastRead) return { subject, applied: 0, commits: 0, appliedSeq: winner.appliedSeq };
        if (lost >= MAX_LOST_RACES) throw error;
        await sleep(Math.random() * 10 * 2 ** Math.min(lost, 5));
      }
    }
  };

  async function catchUp(
    subject: string,
    seen: { lastRead: number },
    options: ProjectOptions,
    refold: Refold | undefined,
  ): Promise<ProjectionRun> {
    const run: ProjectionRun = { subject, applied: 0, commits: 0, appliedSeq: 0 };
    let state = (await deps.store.load(subject)) ?? emptyState(subject);
    const upTo = options.upTo ?? Infinity;
    for (;;) {
      const limit = Math.min(READ_PAGE, upTo - state.appliedSeq);
      if (limit <= 0) break;
      const events = await deps.log.read(subject, { after: state.appliedSeq, limit });
      assertContiguous(state.appliedSeq, events);
      if (events.length === 0) break;
      seen.lastRead = Math.max(seen.lastRead, events[events.length - 1]!.sequence);
      const retractions = events.flatMap((e) => (e.type === 'event.retracted' ? [{ source: e.source, id: e.data.eventId }] : []));
      const needsAll = retractions.length > 0;
      const keys = needsAll
        ? await deps.store.loadAllKeys(subject)
        : await deps.store.loadKeys(subject, [...new Set(events.flatMap((e) => keyOf(e)?.key ?? []))]);
      // Where the retracted events are in the log: one already applied here needs no pending entry.
      const targets = needsAll ? await deps.log.findIds(retractions) : new Map<string, { subject: string; sequence: number }>();
      const applyOptions = {
        appliedBefore: (target: string, retraction: StoredEvent) => {
          const found = targets.get(target);
          return found !== undefined && found.subject === subject && found.sequence < retraction.sequence;
        },
        ...(refold ? { refold } : {}),
      };

      for (let i = 0; i < events.length; ) {
        const expected = state.appliedSeq;
        const next = structuredClone(state);
        const changed = new Set<string>();
        while (i < events.length && changed.size < MAX_KEYS_PER_COMMIT) {
          applyEvent(next, keys, events[i]!, changed, needsAll, applyOptions);
          options.onApplied?.(events[i]!, next);
          i++;
          run.applied++;
        }
        await deps.store.commit(next, expected, [...changed].map((k) => keys.get(k)!));
        run.commits++;
        state = next;
      }
      if (events.length < limit) break;
    }
    run.appliedSeq = state.appliedSeq;
    return run;
  }
}

/** Sequences are gap-free and committed in order, so a consistent read is a contiguous run. */
function assertContiguous(after: number, events: readonly StoredEvent[]): void {
  events.forEach((e, i) => {
    if (e.sequence !== after + i + 1) {
      throw new Error(`log of ${e.subject} is not contiguous: expected ${after + i + 1}, read ${e.sequence}`);
    }
  });
}

export type Projector = ReturnType<typeof createProjector>;
