/**
 * The API app as both API Lambda entries build it (the HTTP API one and the response-streaming one
 * for `GET /v1/stream`): configuration read once, clients built once, the same routes.
 */
import { createApp } from './app/app.ts';
import { loadConfig } from './config.ts';
import { createTracker } from './runtime.ts';
import { createNotifications } from './runtime-notifications.ts';

export function createApiApp() {
  const config = loadConfig();
  const tracker = createTracker(config);
  const webhooks = createNotifications(config, tracker.clients);
  return createApp({
    ingest: tracker.ingest,
    queries: tracker.queries,
    access: tracker.access,
    subscriptions: webhooks.subscriptions,
    feed: tracker.feed,
    streamMaxSeconds: tracker.streamMaxSeconds,
    readsRequireKey: tracker.readsRequireKey,
    onUnexpectedError: (error) => tracker.logger.error('unexpected error', { error }),
  });
}
