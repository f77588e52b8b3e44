/**
 * Builds the notification parts (CONTRACT §6) from configuration and the clients `createClients`
 * made: subscriptions (API), the notifier and the retry sweeper. Kept apart from `runtime.ts` so
 * that the projector and the reconciler do not bundle them; the delivery worker, which signs with
 * `standardwebhooks`, is built by `runtime-delivery.ts` for the same reason.
 */
import type { Config } from './config.ts';
import { createDynamoDeliveryStore, createDynamoNotifyWatermarks, createDynamoSubscriptionStore } from './adapters/dynamodb-notify-store.ts';
import { createDynamoEventLog } from './adapters/dynamodb-event-log.ts';
import { NOTIFY_SNAPSHOT_LAYOUT, createDynamoProjectionStore } from './adapters/dynamodb-projection-store.ts';
import { createSqsDeliveryQueue } from './adapters/sqs-delivery-queue.ts';
import { createWebhookUrlGuard } from './adapters/webhook-url-guard.ts';
import type { Clock } from './ports.ts';
import { type Clients, systemClock } from './runtime.ts';
import { createNotifier } from './services/notifier.ts';
import { createRetrySweeper } from './services/retry-sweeper.ts';
import { createSubscriptions } from './services/subscriptions.ts';

/** Subscriptions, the notifier and the retry sweeper (what the API, the notifier and the sweeper use). */
export function createNotifications(config: Config, clients: Clients, clock: Clock = systemClock) {
  const log = createDynamoEventLog(clients.doc, config.EVENTS_TABLE);
  const subscriptions = createDynamoSubscriptionStore(clients.doc, config.NOTIFY_TABLE);
  const deliveries = createDynamoDeliveryStore(clients.doc, config.NOTIFY_TABLE);
  const watermarks = createDynamoNotifyWatermarks(clients.doc, config.NOTIFY_TABLE);
  const deliveryQueue = createSqsDeliveryQueue(clients.sqs, config.DELIVERY_QUEUE_URL, config.DELIVERY_DLQ_URL);
  const guard = createWebhookUrlGuard({ allowPrivate: config.TRACKER_ALLOW_PRIVATE_WEBHOOKS === '1' });
  const snapshots = createDynamoProjectionStore(clients.doc, config.NOTIFY_TABLE, NOTIFY_SNAPSHOT_LAYOUT);
  const notifier = createNotifier({ log, subscriptions, deliveries, watermarks, snapshots, deliveryQueue, clock });
  return {
    notify: notifier.notify,
    sweepRetries: createRetrySweeper({ deliveries, deliveryQueue, clock }),
    subscriptions: createSubscriptions({ subscriptions, deliveries, guard, notifier, clock }),
    stores: { subscriptions, deliveries, watermarks },
    deliveryQueue,
    guard,
  };
}

export type Notifications = ReturnType<typeof createNotifications>;
