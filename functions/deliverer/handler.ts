/** Lambda entry of the webhook delivery worker: SQS batches → one signed POST attempt per record, with metrics. Wiring only. */
import { loadConfig } from '../../src/config.ts';
import { createDeliveryHandler } from '../../src/consumers/delivery-handler.ts';
import { createClients } from '../../src/runtime.ts';
import { createDeliverer } from '../../src/runtime-delivery.ts';
import { count, createMetrics, publishingMetrics } from '../../src/telemetry.ts';

const config = loadConfig();
const deliver = createDeliverer(config, createClients(config));
const metrics = createMetrics();
const METRIC = { delivered: 'WebhooksDelivered', retrying: 'WebhooksRetrying', failed: 'WebhooksFailed' } as const;

export const handler = publishingMetrics(
  metrics,
  createDeliveryHandler(async (ref) => {
    const outcome = await deliver(ref);
    if (outcome in METRIC) count(metrics, METRIC[outcome as keyof typeof METRIC]);
    return outcome;
  }),
);
