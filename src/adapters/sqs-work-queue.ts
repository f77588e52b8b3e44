/** The projector's queue over SQS: one message per subject, sent ten to a request. */
import { type SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { WorkQueue } from '../ports.ts';
import { aws } from './aws-errors.ts';

export function createSqsWorkQueue(sqs: SQSClient, queueUrl: string): WorkQueue {
  return {
    async requestProjection(subjects) {
      for (let i = 0; i < subjects.length; i += 10) {
        const entries = subjects.slice(i, i + 10).map((subject, n) => ({ Id: String(n), MessageBody: JSON.stringify({ subject }) }));
        const out = await aws('SQS SendMessageBatch', () => sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })));
        if (out.Failed?.length) throw new Error(`SQS refused ${out.Failed.length} messages: ${out.Failed[0]?.Message ?? out.Failed[0]?.Code}`);
      }
    },
  };
}
