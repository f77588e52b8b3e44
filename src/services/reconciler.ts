/**
 * Self-healing: finds subjects whose log is ahead of their projection for longer than a grace
 * period (for example an enqueue lost to a crash right after the log write) and queues them again.
 * Bounded repair time: grace + the schedule's interval. `createNotifyReconciler` does the same
 * for the notifier's watermark.
 */
import { parseInstant } from '../domain/time.ts';
import type { Clock, EventLog, NotifyWatermarks, ProjectionStore, WorkQueue } from '../ports.ts';

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

export interface NotifyReconcilerDeps {
  log: EventLog;
  watermarks: NotifyWatermarks;
  queue: WorkQueue;
  clock: Clock;
  graceSeconds: number;
}

/**
 * The same repair for the notifier: subjects whose head is ahead of their notify watermark for
 * longer than the grace are queued again for the notifier only.
 */
export function createNotifyReconciler(deps: NotifyReconcilerDeps) {
  return async function reconcileNotifications(): Promise<ReconcileReport> {
    const subjects = await deps.log.subjects();
    const [heads, marks] = await Promise.all([deps.log.heads(subjects), deps.watermarks.get(subjects)]);
    const cutoff = parseInstant(new Date(deps.clock.now().getTime() - deps.graceSeconds * 1000).toISOString())!;
    const requeued = subjects.filter((subject) => {
      const head = heads.get(subject);
      return head !== undefined && head.recordedAt <= cutoff && (marks.get(subject) ?? 0) < head.sequence;
    });
    if (requeued.length > 0) await deps.queue.requestNotification(requeued);
    return { subjects: subjects.length, requeued };
  };
}

export type NotifyReconciler = ReturnType<typeof createNotifyReconciler>;
