/**
 * The retry sweeper, run every minute on AWS (every second locally): turns deliveries whose due
 * time has passed back into delivery messages. That is how waits longer than SQS's 15-minute delay
 * happen (the attempt's time is stored in the `due` index and survives restarts), and how a lost
 * message is repaired (every pending delivery is in the index with a time by which it must have been
 * tried). It sends first and then moves the entry on by the repair grace: a crash in between sends
 * twice, which the delivery worker's claim makes harmless.
 */
import type { Clock, DeliveryQueue, DeliveryStore } from '../ports.ts';
import { REPAIR_GRACE_MS, dueAfter, mapLimit } from './notifier.ts';

const SWEEP_LIMIT = 1000;

export interface RetrySweeperDeps {
  deliveries: DeliveryStore;
  deliveryQueue: DeliveryQueue;
  clock: Clock;
}

export interface SweepReport {
  enqueued: number;
}

export function createRetrySweeper(deps: RetrySweeperDeps) {
  return async function sweep(): Promise<SweepReport> {
    const now = deps.clock.now();
    const due = await deps.deliveries.due(now.toISOString(), SWEEP_LIMIT);
    if (due.length === 0) return { enqueued: 0 };
    await deps.deliveryQueue.send(due.map((d) => d.ref));
    const next = dueAfter(now, REPAIR_GRACE_MS);
    await mapLimit(due, 10, (d) => deps.deliveries.postpone(d.ref, d.dueSk, d.webhookId, next));
    return { enqueued: due.length };
  };
}

export type RetrySweeper = ReturnType<typeof createRetrySweeper>;
