/**
 * Rebuild: recomputes every projection from the event log (the source of truth). For each subject it
 * folds the whole log with the pure fold (`foldEvents`, the reference the projector must equal) and
 * rewrites the status item and every key item that differs, deleting key items the fold does not
 * have; status items of subjects without a log are deleted. The fold is stored as the projector
 * stores it, with capped candidate lists (`capFold`); items that already say what the fold says
 * (`equivalentState`, `equivalentKey`) are left alone, so a rebuild of a healthy projection writes nothing.
 *
 * It may run while the projector runs: the status is written last, conditioned on the watermark read
 * before the log was read. A projector commit in between makes that write fail, and the subject is
 * done again (keys first, status last), so a rebuild that returns left status and keys equal to the
 * fold of the log up to that watermark. `check` only reports what differs.
 */
import { type KeyState, type SubjectState, capFold, equivalentKey, equivalentState, foldEvents } from '../domain/status.ts';
import { ConcurrentUpdateError } from '../errors.ts';
import type { EventLog } from '../ports.ts';
import { readSubjectLog } from './read-log.ts';

const READ_PAGE = 500;
const MAX_RACES = 8;

/** What a rebuild needs from the projection's storage (src/adapters/dynamodb-rebuild-store.ts). */
export interface RebuildStore {
  /** The stored status, or undefined. */
  loadStatus(subject: string): Promise<SubjectState | undefined>;
  loadAllKeys(subject: string): Promise<Map<string, KeyState>>;
  /** Writes `put` and deletes the keys named in `remove` (not atomically; the status is written after). */
  writeKeys(subject: string, put: readonly KeyState[], remove: readonly string[]): Promise<void>;
  /**
   * Writes the status if the stored one is still at watermark `expected` with rebuild mark
   * `expectedRebuild` (undefined: no status item); `ConcurrentUpdateError` otherwise.
   */
  putStatus(state: SubjectState, expected: number | undefined, expectedRebuild: string | undefined): Promise<void>;
  /** Deletes a subject's status and key items. */
  remove(subject: string): Promise<void>;
  /** Subjects that have a status item. */
  subjects(): Promise<string[]>;
}

export interface RebuildDeps {
  log: EventLog;
  store: RebuildStore;
  /** Subjects rebuilt in parallel (default 4). */
  concurrency?: number;
  /**
   * The notifier's snapshots (a projection of their own, src/services/notifier.ts): a subject whose
   * projection was rewritten has its snapshot dropped too, so the notifier folds it again from the log
   * (whatever made the projection wrong may have made the snapshot wrong as well).
   */
  snapshots?: { remove(subject: string): Promise<void> };
}

export interface SubjectRebuild {
  subject: string;
  events: number;
  /** The status item differed from the fold (or was missing). */
  status: boolean;
  keysWritten: number;
  keysDeleted: number;
  /** Times a concurrent projector commit made it start the subject again. */
  races: number;
}

export interface RebuildReport {
  subjects: number;
  events: number;
  /** Subjects whose projection differed from the fold (rewritten, or only reported with `check`). */
  changed: SubjectRebuild[];
  /** Status items of subjects without any event (deleted, or only reported with `check`). */
  orphans: string[];
  durationMs: number;
}

export function createRebuild(deps: RebuildDeps) {
  const concurrency = deps.concurrency ?? 4;

  async function rebuildSubject(subject: string, check: boolean): Promise<SubjectRebuild> {
    for (let races = 0; ; races++) {
      const stored = await deps.store.loadStatus(subject);
      const events = await readSubjectLog(deps.log, subject, { page: READ_PAGE });
      const fold = capFold(foldEvents(subject, events));
      // As stored: plain JSON.
      const state = JSON.parse(JSON.stringify(fold.state)) as SubjectState;
      const storedKeys = await deps.store.loadAllKeys(subject);
      const put = [...fold.keys.values()]
        .map((ks) => JSON.parse(JSON.stringify(ks)) as KeyState)
        .filter((ks) => !equivalentKey(storedKeys.get(ks.key), ks));
      const remove = [...storedKeys.keys()].filter((k) => !fold.keys.has(k));
      const statusDiffers = !equivalentState(stored, state);
      const result: SubjectRebuild = { subject, events: events.length, status: statusDiffers, keysWritten: put.length, keysDeleted: remove.length, races };
      if (check || (!statusDiffers && put.length === 0 && remove.length === 0)) return result;

      await deps.store.writeKeys(subject, put, remove);
      try {
        // A new mark when rewriting in place: a projector run that loaded the old status fails its commit.
        const marked = stored ? { ...state, rebuild: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}` } : state;
        await deps.store.putStatus(marked, stored?.appliedSeq, stored?.rebuild);
        await deps.snapshots?.remove(subject);
        return result;
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError) || races >= MAX_RACES) throw error;
      }
    }
  }

  return async function rebuild(options: { subjects?: readonly string[]; check?: boolean } = {}): Promise<RebuildReport> {
    const started = Date.now();
    const logged = await deps.log.subjects();
    const subjects = options.subjects ? [...options.subjects] : logged;
    const results: SubjectRebuild[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, subjects.length) }, async () => {
        while (next < subjects.length) results.push(await rebuildSubject(subjects[next++]!, options.check ?? false));
      }),
    );
    const orphans = options.subjects ? [] : (await deps.store.subjects()).filter((s) => !logged.includes(s));
    if (!options.check) {
      for (const subject of orphans) {
        await deps.store.remove(subject);
        await deps.snapshots?.remove(subject);
      }
    }
    return {
      subjects: results.length,
      events: results.reduce((n, r) => n + r.events, 0),
      changed: results.filter((r) => r.status || r.keysWritten > 0 || r.keysDeleted > 0).sort((a, b) => (a.subject < b.subject ? -1 : 1)),
      orphans,
      durationMs: Date.now() - started,
    };
  };
}

export type Rebuild = ReturnType<typeof createRebuild>;
