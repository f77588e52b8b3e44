/** Lambda entry of the webhook delivery worker: SQS batches → one signed POST attempt per record. Wiring only. */
import { loadConfig } from '../../src/config.ts';
import { createDeliveryHandler } from '../../src/consumers/delivery-handler.ts';
import { createClients } from '../../src/runtime.ts';
import { createDeliverer } from '../../src/runtime-delivery.ts';

const config = loadConfig();
const deliver = createDeliverer(config, createClients(config));

export const handler = createDeliveryHandler(deliver);
