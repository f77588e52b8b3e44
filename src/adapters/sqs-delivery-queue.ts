/**
 * The delivery queue over SQS: one `{subscriptionId, key}` message per webhook attempt, optionally
 * delayed (SQS allows at most 15 minutes), and explicit copies of exhausted deliveries to its
 * dead-letter queue, where the DLQ alarm sees them.
 */
import { type SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { DeliveryQueue } from '../ports.ts';
import { aws } from './aws-errors.ts';

export const MAX_SQS_DELAY_SECONDS = 900;

export function createSqsDeliveryQueue(sqs: SQSClient, queueUrl: string, deadLetterUrl: string): DeliveryQueue {
  return {
    async send(refs, delaySeconds = 0) {
      const delay = Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.floor(delaySeconds)));
      for (let i = 0; i < refs.length; i += 10) {
        const entries = refs.slice(i, i + 10).map((ref, n) => ({
          Id: String(n),
          MessageBody: JSON.stringify({ subscriptionId: ref.subscriptionId, key: ref.key }),
          ...(delay > 0 ? { DelaySeconds: delay } : {}),
        }));
        const out = await aws('SQS SendMessageBatch (delivery)', () => sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })));
        if (out.Failed?.length) throw new Error(`SQS refused ${out.Failed.length} messages: ${out.Failed[0]?.Message ?? out.Failed[0]?.Code}`);
      }
    },

    async deadLetter(copy) {
      await aws('SQS SendMessage (delivery DLQ)', () => sqs.send(new SendMessageCommand({ QueueUrl: deadLetterUrl, MessageBody: JSON.stringify(copy) })));
    },
  };
}
