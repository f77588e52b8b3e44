/**
 * Self-healing: finds subjects whose log is ahead of their projection for longer than a grace
 * period (for example an enqueue lost to a crash right after the log write) and queues them again.
 * Bounded repair time: grace + the schedule's interval.
 */
import { parseInstant } from '../domain/time.ts';
import type { Clock, EventLog, ProjectionStore, WorkQueue } from '../ports.ts';

export interface ReconcilerDeps {
  log: EventLog;
  store: ProjectionStore;
  queue: WorkQueue;
  clock: Clock;
  graceSeconds: number;
}

export interface ReconcileReport {
  subjects: number;
  requeued: string[];
}

export function createReconciler(deps: ReconcilerDeps) {
  return async function reconcile(): Promise<ReconcileReport> {
    const subjects = await deps.log.subjects();
    const heads = await deps.log.heads(subjects);
    const cutoff = new Date(deps.clock.now().getTime() - deps.graceSeconds * 1000).toISOString();
    const cutoffInstant = parseInstant(cutoff)!;
    const requeued: string[] = [];
    await Promise.all(
      subjects.map(async (subject) => {
        const head = heads.get(subject);
        if (!head || head.recordedAt > cutoffInstant) return;
        const state = await deps.store.load(subject);
        if ((state?.appliedSeq ?? 0) < head.sequence) requeued.push(subject);
      }),
    );
    if (requeued.length > 0) await deps.queue.requestProjection(requeued.sort());
    return { subjects: subjects.length, requeued };
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
