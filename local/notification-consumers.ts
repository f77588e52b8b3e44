/**
 * The notifier's and the delivery worker's pollers and the retry sweeper's timer, as `npm start`
 * (and the webhook integration tests) run them: the same handlers the Lambda functions run, fed
 * by the poller as the SQS event source mapping would, and the sweeper every second instead of
 * every minute.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createDeliveryHandler } from '../src/consumers/delivery-handler.ts';
import { createNotifierHandler } from '../src/consumers/notifier-handler.ts';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Webhooks } from '../src/runtime-delivery.ts';
import { DELIVERY_QUEUE, NOTIFIER_QUEUE } from '../src/tables.ts';
import { startPoller } from './poller.ts';
import type { ProvisionedQueue } from './provision.ts';

export interface NotificationConsumersOptions {
  sqs: SQSClient;
  webhooks: Pick<Webhooks, 'notify' | 'deliver' | 'sweepRetries'>;
  logger: Pick<Logger, 'error'>;
  queues: { Notifier: ProvisionedQueue; Delivery: ProvisionedQueue };
  /** How often the retry sweeper runs (ms); default 1000. */
  sweepEveryMs?: number;
  /** Parallel polling loops of the delivery queue (each handles a batch in parallel); default 4. */
  deliveryConcurrency?: number;
}

export interface NotificationConsumers {
  stop(): Promise<void>;
}

export function startNotificationConsumers(options: NotificationConsumersOptions): NotificationConsumers {
  const { sqs, webhooks, logger, queues } = options;
  const notifier = startPoller({
    sqs,
    queueUrl: queues.Notifier.url,
    queueArn: queues.Notifier.arn,
    handler: createNotifierHandler(webhooks.notify),
    batchSize: NOTIFIER_QUEUE.batchSize,
    waitTimeSeconds: 1,
    concurrency: 2,
    onError: (error) => logger.error('notifier batch failed', { error }),
  });
  const deliverer = startPoller({
    sqs,
    queueUrl: queues.Delivery.url,
    queueArn: queues.Delivery.arn,
    handler: createDeliveryHandler(webhooks.deliver),
    batchSize: DELIVERY_QUEUE.batchSize,
    waitTimeSeconds: 1,
    concurrency: options.deliveryConcurrency ?? 4,
    onError: (error) => logger.error('delivery batch failed', { error }),
  });
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    webhooks
      .sweepRetries()
      .catch((error: unknown) => logger.error('retry sweep failed', { error }))
      .finally(() => (sweeping = false));
  }, options.sweepEveryMs ?? 1000);

  return {
    async stop() {
      clearInterval(sweeper);
      await Promise.all([notifier.stop(), deliverer.stop()]);
    },
  };
}
