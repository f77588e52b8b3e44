/**
 * The catch-up queues over SQS: one `{subject}` message per subject, sent ten to a request, to the
 * projector's queue and the notifier's. Both get the same messages from the same call, so whatever
 * repairs a lost enqueue (a client's retry, the reconciler) repairs both.
 */
import { type SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { WorkQueue } from '../ports.ts';
import { aws } from './aws-errors.ts';

export function createSqsWorkQueue(sqs: SQSClient, queueUrl: string, notifierQueueUrl: string): WorkQueue {
  async function send(url: string, subjects: readonly string[]): Promise<void> {
    for (let i = 0; i < subjects.length; i += 10) {
      const entries = subjects.slice(i, i + 10).map((subject, n) => ({ Id: String(n), MessageBody: JSON.stringify({ subject }) }));
      const out = await aws('SQS SendMessageBatch', () => sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries })));
      if (out.Failed?.length) throw new Error(`SQS refused ${out.Failed.length} messages: ${out.Failed[0]?.Message ?? out.Failed[0]?.Code}`);
    }
  }

  return {
    async requestProjection(subjects) {
      await Promise.all([send(queueUrl, subjects), send(notifierQueueUrl, subjects)]);
    },
    async requestNotification(subjects) {
      await send(notifierQueueUrl, subjects);
    },
  };
}
