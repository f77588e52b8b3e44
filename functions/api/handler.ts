/** Lambda entry of the HTTP API: the Hono app behind API Gateway. Wiring only. */
import { handle } from 'hono/aws-lambda';
import { createApp } from '../../src/app/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createTracker } from '../../src/runtime.ts';
import { createNotifications } from '../../src/runtime-notifications.ts';

const config = loadConfig();
const tracker = createTracker(config);
const webhooks = createNotifications(config, tracker.clients);
const app = createApp({
  ingest: tracker.ingest,
  queries: tracker.queries,
  access: tracker.access,
  subscriptions: webhooks.subscriptions,
  feed: tracker.feed,
  streamMaxSeconds: tracker.streamMaxSeconds,
  readsRequireKey: tracker.readsRequireKey,
  onUnexpectedError: (error) => tracker.logger.error('unexpected error', { error }),
});

export const handler = handle(app);
