/** Lambda entry of the notifier: SQS batches → per-subject fan-out to webhook subscriptions. Wiring only. */
import { loadConfig } from '../../src/config.ts';
import { createNotifierHandler } from '../../src/consumers/notifier-handler.ts';
import { createClients } from '../../src/runtime.ts';
import { createNotifications } from '../../src/runtime-notifications.ts';

const config = loadConfig();
const webhooks = createNotifications(config, createClients(config));

export const handler = createNotifierHandler(webhooks.notify);
