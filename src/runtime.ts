/**
 * Builds the tracker's parts from configuration: SDK clients once, adapters around them, services
 * around the adapters. Lambda entries and the local stack both start here; they differ only in
 * endpoints (from config) and in who invokes the consumers.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from './config.ts';
import { createDynamoEventLog } from './adapters/dynamodb-event-log.ts';
import { createDynamoProjectionStore } from './adapters/dynamodb-projection-store.ts';
import { createSqsWorkQueue } from './adapters/sqs-work-queue.ts';
import { createDynamoNotifyWatermarks } from './adapters/dynamodb-notify-store.ts';
import { createDynamoKeyStore, createDynamoRateLimiter } from './adapters/dynamodb-key-store.ts';
import { createAccess } from './services/access.ts';
import { createIngest } from './services/ingest.ts';
import { createProjector } from './services/projector.ts';
import { createQueries } from './services/queries.ts';
import { createFeed } from './services/feed.ts';
import { createNotifyReconciler, createReconciler } from './services/reconciler.ts';
import type { Clock } from './ports.ts';

export const systemClock: Clock = { now: () => new Date() };

export function createClients(config: Config) {
  const local = config.DYNAMODB_ENDPOINT !== undefined;
  const credentials = local ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined;
  const dynamodb = new DynamoDBClient({
    region: config.AWS_REGION,
    ...(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {}),
    ...(credentials ? { credentials } : {}),
  });
  const sqs = new SQSClient({
    region: config.AWS_REGION,
    ...(config.SQS_ENDPOINT ? { endpoint: config.SQS_ENDPOINT } : {}),
    ...(credentials ? { credentials } : {}),
  });
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  return { dynamodb, doc, sqs };
}

export type Clients = ReturnType<typeof createClients>;

/**
 * Every service over configuration and clients. `adminKey` is where the deployment's admin key comes
 * from: by default `TRACKER_ADMIN_KEY` (local); the API entries pass `adminKeyFromSecret` (AWS), so
 * the consumers' bundles do not carry the Secrets Manager client.
 */
export function createTracker(
  config: Config,
  clients: Clients = createClients(config),
  clock: Clock = systemClock,
  adminKey: () => Promise<string | undefined> = adminKeyFromEnv(config),
) {
  const logger = new Logger({ serviceName: 'gpu-policy-tracker' });
  const log = createDynamoEventLog(clients.doc, config.EVENTS_TABLE);
  const store = createDynamoProjectionStore(clients.doc, config.STATE_TABLE);
  const queue = createSqsWorkQueue(clients.sqs, config.PROJECTOR_QUEUE_URL, config.NOTIFIER_QUEUE_URL);
  const watermarks = createDynamoNotifyWatermarks(clients.doc, config.NOTIFY_TABLE);
  return {
    clients,
    logger,
    log,
    store,
    queue,
    ingest: createIngest({
      log, queue, clock,
      onEnqueueError: (error, subjects) => logger.warn('enqueue after append failed; the reconciler will repair it', { error, subjects }),
      slowCommitMs: config.FEED_SETTLE_SECONDS * 1000,
      onSlowCommit: (subject, elapsedMs) =>
        logger.error('append committed after the feed settle horizon; a feed reader may have passed it', { subject, elapsedMs }),
    }),
    project: createProjector({ log, store }),
    queries: createQueries({ log, store }),
    feed: createFeed({ log, clock, settleSeconds: config.FEED_SETTLE_SECONDS }),
    streamMaxSeconds: config.STREAM_MAX_SECONDS,
    reconcile: createReconciler({ log, store, queue, clock, graceSeconds: config.RECONCILE_GRACE_SECONDS }),
    reconcileNotifications: createNotifyReconciler({ log, watermarks, queue, clock, graceSeconds: config.RECONCILE_GRACE_SECONDS }),
    access: createAccess({
      keys: createDynamoKeyStore(clients.doc, config.KEYS_TABLE),
      rateLimiter: createDynamoRateLimiter(clients.doc, config.KEYS_TABLE),
      clock,
      adminKey,
    }),
    readsRequireKey: config.TRACKER_READS_REQUIRE_KEY === '1',
  };
}

export type Tracker = ReturnType<typeof createTracker>;

/** The admin key from `TRACKER_ADMIN_KEY` (local); none otherwise. */
export function adminKeyFromEnv(config: Config): () => Promise<string | undefined> {
  const key = config.TRACKER_ADMIN_KEY;
  return async () => key;
}
