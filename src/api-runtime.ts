/**
 * The API app as every host builds it: the two API Lambda entries (the HTTP API one and the
 * response-streaming one for `GET /v1/stream`), the local stack and the integration tests.
 */
import { type App, type AppDeps, createApp } from './app/app.ts';
import { loadConfig } from './config.ts';
import type { Config } from './config.ts';
import { adminKeyFromEnv, createTracker, type Tracker } from './runtime.ts';
import { createNotifications } from './runtime-notifications.ts';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { count, observeIngest } from './telemetry.ts';

type Extra = Partial<Pick<AppDeps, 'ingest' | 'ready' | 'onUnexpectedError' | 'onRefused'>>;

/** The app's dependencies over a tracker's services; `extra` carries what differs between hosts. */
function trackerAppDeps(tracker: Tracker, subscriptions: AppDeps['subscriptions'], extra: Extra = {}): AppDeps {
  return {
    ingest: tracker.ingest,
    queries: tracker.queries,
    access: tracker.access,
    subscriptions,
    feed: tracker.feed,
    streamMaxSeconds: tracker.streamMaxSeconds,
    readsRequireKey: tracker.readsRequireKey,
    onUnexpectedError: (error) => tracker.logger.error('unexpected error', { error }),
    ...extra,
  };
}

/** The app (API and pages) over a tracker's services; `extra` carries what differs between hosts. */
export function createTrackerApp(tracker: Tracker, subscriptions: AppDeps['subscriptions'], extra: Extra = {}) {
  return createApp(trackerAppDeps(tracker, subscriptions, extra));
}

/**
 * Lambda: configuration read once, clients built once; ingest outcomes counted and logged when
 * `metrics` is given. `build` is `createApp` (API and pages) or `createApiRoutes` (the API alone):
 * passed in, so a bundle holds only the one its entry names.
 */
export function createApiApp(build: (deps: AppDeps) => App, metrics?: Metrics): App {
  const config = loadConfig();
  const tracker = createTracker(config, undefined, undefined, adminKeyFromSecret(config));
  const subscriptions = createNotifications(config, tracker.clients).subscriptions;
  if (!metrics) return build(trackerAppDeps(tracker, subscriptions));
  return build(trackerAppDeps(tracker, subscriptions, {
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
  }));
}

/** The admin key: `TRACKER_ADMIN_KEY` when set (local); on AWS from Secrets Manager, cached for 5 minutes. */
export function adminKeyFromSecret(config: Config): () => Promise<string | undefined> {
  const arn = config.TRACKER_ADMIN_SECRET_ARN;
  if (config.TRACKER_ADMIN_KEY || !arn) return adminKeyFromEnv(config);
  return async () => {
    const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
    return (await getSecret(arn, { maxAge: 300 })) as string | undefined;
  };
}
