/**
 * The API app as every host builds it: the two API Lambda entries (the HTTP API one and the
 * response-streaming one for `GET /v1/stream`), the local stack and the integration tests.
 */
import { type AppDeps, createApp } from './app/app.ts';
import { loadConfig } from './config.ts';
import { createTracker, type Tracker } from './runtime.ts';
import { createNotifications } from './runtime-notifications.ts';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { count, observeIngest } from './telemetry.ts';

/** The app over a tracker's services; `extra` carries what differs between hosts. */
export function createTrackerApp(
  tracker: Tracker,
  subscriptions: AppDeps['subscriptions'],
  extra: Partial<Pick<AppDeps, 'ingest' | 'ready' | 'onUnexpectedError' | 'onRefused'>> = {},
) {
  return createApp({
    ingest: tracker.ingest,
    queries: tracker.queries,
    access: tracker.access,
    subscriptions,
    feed: tracker.feed,
    streamMaxSeconds: tracker.streamMaxSeconds,
    readsRequireKey: tracker.readsRequireKey,
    onUnexpectedError: (error) => tracker.logger.error('unexpected error', { error }),
    ...extra,
  });
}

/** Lambda: configuration read once, clients built once; ingest outcomes counted and logged when `metrics` is given. */
export function createApiApp(metrics?: Metrics) {
  const config = loadConfig();
  const tracker = createTracker(config);
  const subscriptions = createNotifications(config, tracker.clients).subscriptions;
  if (!metrics) return createTrackerApp(tracker, subscriptions);
  return createTrackerApp(tracker, subscriptions, {
    ingest: async (events) => {
      const results = await tracker.ingest(events);
      observeIngest(metrics, tracker.logger, results, events.map((e) => e.subject));
      return results;
    },
    onRefused: (error, c) => {
      if (c.req.method !== 'POST' || c.req.path !== '/v1/events') return;
      const indexes = new Set(((error.extra.errors ?? []) as { index: number }[]).map((e) => e.index));
      count(metrics, 'EventsRejected', Math.max(1, indexes.size));
      tracker.logger.info('events refused', { status: error.status, problem: error.slug, events: indexes.size });
    },
  });
}
