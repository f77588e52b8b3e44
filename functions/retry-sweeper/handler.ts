/** Lambda entry of the retry sweeper, run every minute by a schedule: due webhook retries → delivery queue. Wiring only. */
import { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig } from '../../src/config.ts';
import { createClients } from '../../src/runtime.ts';
import { createNotifications } from '../../src/runtime-notifications.ts';

const config = loadConfig();
const webhooks = createNotifications(config, createClients(config));
const logger = new Logger({ serviceName: 'gpu-policy-tracker' });

export const handler = async () => {
  const report = await webhooks.sweepRetries();
  if (report.enqueued > 0) logger.info('re-enqueued due webhook deliveries', { ...report });
  return report;
};
