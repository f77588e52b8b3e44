/**
 * The whole tracker on one machine: DynamoDB Local, the SQS emulator, the API and the consumers,
 * built from the same definitions (src/tables.ts) and handlers as the AWS stack. `npm start` and the
 * end-to-end tests both start it from here.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createTrackerApp } from '../src/api-runtime.ts';
import { loadConfig } from '../src/config.ts';
import { createProjectorHandler } from '../src/consumers/projector-handler.ts';
import { validateEvent, type TrackerEvent } from '../src/domain/event-schema.ts';
import { createClients, createTracker, type Tracker } from '../src/runtime.ts';
import { createWebhooks } from '../src/runtime-delivery.ts';
import { PROJECTOR_QUEUE } from '../src/tables.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { startNotificationConsumers } from './notification-consumers.ts';
import { startPoller } from './poller.ts';
import { createQueues, createTables } from './provision.ts';
import { startSqsLocal } from './sqs-local.ts';

export interface LocalStackOptions {
  /** Keeps DynamoDB data here across restarts; in memory when omitted (tests). */
  dataDir?: string;
  port?: number;
  seed?: '0' | '1' | 'demo';
  /** Overrides the queues' visibility timeout (tests use short ones to see redelivery). */
  visibilityTimeoutSeconds?: number;
  /** How often the reconciler runs, and the grace it allows (seconds). */
  reconcileEverySeconds?: number;
  reconcileGraceSeconds?: number;
  log?: (line: string) => void;
  /** The admin key (CONTRACT §7: `TRACKER_ADMIN_KEY`, or generated into the data directory). */
  adminKey?: string;
  /** Reads need a key too. */
  readsRequireKey?: boolean;
  /** `TRACKER_ALLOW_PRIVATE_WEBHOOKS`: webhook URLs may be `http://` and loopback (local use only). */
  allowPrivateWebhooks?: boolean;
  /** `TRACKER_WEBHOOK_RETRY_SCALE`: factor on every webhook retry delay. */
  webhookRetryScale?: number;
}

export interface LocalStack {
  url: string;
  tracker: Tracker;
  queueUrls: { projector: string; projectorDlq: string; notifier: string; notifierDlq: string; delivery: string; deliveryDlq: string };
  /**
   * Stops DynamoDB Local (`signal`, default SIGTERM; SIGKILL for a crash) and starts it again on the
   * same port and data directory after `downMs`; everything else keeps running and sees the outage.
   * Only with `dataDir` (in-memory tables would be lost). For fault tests.
   */
  restartDynamoDb(options?: { signal?: NodeJS.Signals; downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/** Physical table names of the local stack. */
export const LOCAL_TABLES = { Events: 'tracker-events', State: 'tracker-state', Keys: 'tracker-keys', Notify: 'tracker-notify' } as const;

/**
 * `$TRACKER_DATA_DIR/stack.json` while a stack runs on that directory: its process id and endpoints, so
 * that tools (`npm run rebuild`) can use the running DynamoDB Local instead of starting a second one.
 */
export interface StackMarker {
  pid: number;
  url: string;
  dynamodbEndpoint: string;
  tables: typeof LOCAL_TABLES;
}
export const stackMarkerFile = (dataDir: string) => join(dataDir, 'stack.json');

export const EVENTS_DIR = resolve(import.meta.dirname, '..', 'events');

/** Reads the JSON arrays (or single events) of a folder under events/, in file name order. */
export function readEventFiles(folder: string): TrackerEvent[] {
  const dir = join(EVENTS_DIR, folder);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((file) => {
      const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown;
      return (Array.isArray(parsed) ? parsed : [parsed]).map((input, i) => {
        const result = validateEvent(input, i);
        if (!result.ok) throw new Error(`${folder}/${file}: ${JSON.stringify(result.errors)}`);
        return result.event;
      });
    });
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const storage = options.dataDir ? { dbPath: join(options.dataDir, 'dynamodb') } : { inMemory: true };
    let dynamo = await startDynamoDbLocal(storage);
    stops.push(() => dynamo.stop());
    const sqsLocal = await startSqsLocal();
    stops.push(() => sqsLocal.stop());
    log(`DynamoDB Local on ${dynamo.endpoint}, SQS emulator on ${sqsLocal.endpoint}`);

    const names = LOCAL_TABLES;
    const bootstrap = createClients(loadConfig({
      EVENTS_TABLE: names.Events, STATE_TABLE: names.State, KEYS_TABLE: names.Keys, PROJECTOR_QUEUE_URL: 'pending',
      NOTIFY_TABLE: names.Notify, NOTIFIER_QUEUE_URL: 'pending', DELIVERY_QUEUE_URL: 'pending', DELIVERY_DLQ_URL: 'pending',
      DYNAMODB_ENDPOINT: dynamo.endpoint, SQS_ENDPOINT: sqsLocal.endpoint,
    }));
    await createTables(bootstrap.dynamodb, names);
    const queues = await createQueues(bootstrap.sqs, 'tracker', {
      ...(options.visibilityTimeoutSeconds ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds } : {}),
    });
    const config = loadConfig({
      EVENTS_TABLE: names.Events,
      STATE_TABLE: names.State,
      KEYS_TABLE: names.Keys,
      PROJECTOR_QUEUE_URL: queues.Projector.url,
      NOTIFY_TABLE: names.Notify,
      NOTIFIER_QUEUE_URL: queues.Notifier.url,
      DELIVERY_QUEUE_URL: queues.Delivery.url,
      DELIVERY_DLQ_URL: queues.Delivery.dlqUrl,
      TRACKER_ALLOW_PRIVATE_WEBHOOKS: options.allowPrivateWebhooks ? '1' : '0',
      TRACKER_WEBHOOK_RETRY_SCALE: String(options.webhookRetryScale ?? 1),
      TRACKER_READS_REQUIRE_KEY: options.readsRequireKey ? '1' : '0',
      ...(options.adminKey ? { TRACKER_ADMIN_KEY: options.adminKey } : {}),
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      SQS_ENDPOINT: sqsLocal.endpoint,
      RECONCILE_GRACE_SECONDS: String(options.reconcileGraceSeconds ?? 5),
    });
    const tracker = createTracker(config, bootstrap);
    const webhooks = createWebhooks(config, bootstrap);

    const poller = startPoller({
      sqs: bootstrap.sqs,
      queueUrl: queues.Projector.url,
      queueArn: queues.Projector.arn,
      handler: createProjectorHandler(tracker.project),
      batchSize: PROJECTOR_QUEUE.batchSize,
      waitTimeSeconds: 1,
      concurrency: 2,
      onError: (error) => tracker.logger.error('projector batch failed', { error }),
    });
    stops.push(() => poller.stop());
    const notifications = startNotificationConsumers({ sqs: bootstrap.sqs, webhooks, logger: tracker.logger, queues });
    stops.push(() => notifications.stop());

    // Messages in the emulator do not survive a restart: catch up every subject now, then periodically.
    await tracker.queue.requestProjection(await tracker.log.subjects());
    // Likewise every pending webhook delivery (otherwise the sweeper resends it only after the repair
    // grace, 2 min): one early or still leased is skipped by the worker and stays in the due index.
    const pending = await webhooks.stores.deliveries.due('9999-12-31T23:59:59.999Z', 10_000);
    await webhooks.deliveryQueue.send(pending.map((d) => d.ref));
    const every = (options.reconcileEverySeconds ?? 5) * 1000;
    const timer = setInterval(() => {
      tracker.reconcile().catch((error: unknown) => tracker.logger.error('reconcile failed', { error }));
      tracker.reconcileNotifications().catch((error: unknown) => tracker.logger.error('notify reconcile failed', { error }));
    }, every);
    stops.push(async () => clearInterval(timer));

    const seed = options.seed ?? '0';
    if (seed !== '0' && (await tracker.log.subjects()).length === 0) {
      const events = [...readEventFiles('seed'), ...(seed === 'demo' ? readEventFiles('demo') : [])];
      for (let i = 0; i < events.length; i += 100) await tracker.ingest(events.slice(i, i + 100));
      log(`seeded ${events.length} events (${seed === 'demo' ? 'announced facts + illustrative demo' : 'announced facts'})`);
    }

    let ready = false;
    const app = createTrackerApp(tracker, webhooks.subscriptions, { ready: () => ready });
    const server = await new Promise<ReturnType<typeof serve>>((done) => {
      const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: '127.0.0.1' }, () => done(s));
    });
    stops.push(() => new Promise<void>((done) => server.close(() => done())));
    const { port } = server.address() as AddressInfo;
    if (options.dataDir) {
      const marker: StackMarker = { pid: process.pid, url: `http://127.0.0.1:${port}`, dynamodbEndpoint: dynamo.endpoint, tables: names };
      writeFileSync(stackMarkerFile(options.dataDir), `${JSON.stringify(marker, null, 2)}\n`);
      stops.push(async () => rmSync(stackMarkerFile(options.dataDir!), { force: true }));
    }
    ready = true;

    return {
      url: `http://127.0.0.1:${port}`,
      tracker,
      queueUrls: {
        projector: queues.Projector.url, projectorDlq: queues.Projector.dlqUrl,
        notifier: queues.Notifier.url, notifierDlq: queues.Notifier.dlqUrl, delivery: queues.Delivery.url, deliveryDlq: queues.Delivery.dlqUrl,
      },
      async restartDynamoDb({ signal = 'SIGTERM', downMs = 0 } = {}) {
        if (!options.dataDir) throw new Error('restartDynamoDb needs a dataDir: in-memory tables would be lost');
        if (signal !== 'SIGTERM') process.kill(dynamo.pid, signal);
        await dynamo.stop();
        await new Promise((r) => setTimeout(r, downMs));
        dynamo = await startDynamoDbLocal({ ...storage, port: dynamo.port });
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
