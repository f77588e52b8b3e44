/**
 * The API app as every host builds it: the two API Lambda entries (the HTTP API one and the
 * response-streaming one for `GET /v1/stream`), the local stack and the integration tests.
 */
import { type AppDeps, createApp } from './app/app.ts';
import { loadConfig } from './config.ts';
import { createTracker, type Tracker } from './runtime.ts';
import { createNotifications } from './runtime-notifications.ts';

/** The app over a tracker's services; `extra` carries what differs between hosts. */
export function createTrackerApp(
  tracker: Tracker,
  subscriptions: AppDeps['subscriptions'],
  extra: Pick<AppDeps, 'ready' | 'onUnexpectedError'> = {},
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

/** Lambda: configuration read once, clients built once. */
export function createApiApp() {
  const config = loadConfig();
  const tracker = createTracker(config);
  return createTrackerApp(tracker, createNotifications(config, tracker.clients).subscriptions);
}
