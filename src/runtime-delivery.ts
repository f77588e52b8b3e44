/**
 * Builds the webhook delivery worker (signs with `standardwebhooks`, POSTs through the SSRF guard):
 * only the deliverer function bundles this. `createWebhooks` puts every webhook part together for
 * one process (the local stack and the tests).
 */
import type { Config } from './config.ts';
import { createDynamoDeliveryStore, createDynamoSubscriptionStore } from './adapters/dynamodb-notify-store.ts';
import { createHttpWebhookTransport } from './adapters/http-webhook-transport.ts';
import { createSqsDeliveryQueue } from './adapters/sqs-delivery-queue.ts';
import { createWebhookUrlGuard } from './adapters/webhook-url-guard.ts';
import type { Clock } from './ports.ts';
import { type Clients, systemClock } from './runtime.ts';
import { createNotifications } from './runtime-notifications.ts';
import { createWebhookDelivery } from './services/webhook-delivery.ts';

/** The delivery worker (signs with `standardwebhooks`; only the deliverer bundles it). */
export function createDeliverer(config: Config, clients: Clients, clock: Clock = systemClock) {
  return createWebhookDelivery({
    deliveries: createDynamoDeliveryStore(clients.doc, config.NOTIFY_TABLE),
    subscriptions: createDynamoSubscriptionStore(clients.doc, config.NOTIFY_TABLE),
    deliveryQueue: createSqsDeliveryQueue(clients.sqs, config.DELIVERY_QUEUE_URL, config.DELIVERY_DLQ_URL),
    guard: createWebhookUrlGuard({ allowPrivate: config.TRACKER_ALLOW_PRIVATE_WEBHOOKS === '1' }),
    transport: createHttpWebhookTransport(),
    clock,
    retryScale: config.TRACKER_WEBHOOK_RETRY_SCALE,
  });
}

/** Every webhook part: the local stack and the tests run all of them in one process. */
export function createWebhooks(config: Config, clients: Clients, clock: Clock = systemClock) {
  return { ...createNotifications(config, clients, clock), deliver: createDeliverer(config, clients, clock) };
}

export type Webhooks = ReturnType<typeof createWebhooks>;
