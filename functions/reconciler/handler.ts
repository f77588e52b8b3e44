/** Lambda entry of the reconciler, run every minute by a schedule. Wiring only. */
import { loadConfig } from '../../src/config.ts';
import { createTracker } from '../../src/runtime.ts';

const tracker = createTracker(loadConfig());

export const handler = async () => {
  const [report, notifications] = await Promise.all([tracker.reconcile(), tracker.reconcileNotifications()]);
  if (report.requeued.length > 0) tracker.logger.warn('re-queued lagging subjects', { ...report });
  if (notifications.requeued.length > 0) tracker.logger.warn('re-queued subjects lagging their notifications', { ...notifications });
  return { ...report, notifications };
};
