/**
 * SQS handlers whose messages name a subject (`{"subject": "recipients/samsung"}`, sent by ingest
 * to the projector and notifier queues): Powertools' `BatchProcessor` with partial batch responses.
 * Each subject in a batch runs once, however many messages name it, so a busy recipient costs one
 * run per batch. A message that cannot be decoded fails alone and reaches the dead-letter queue
 * after `maxReceiveCount` receives.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';

export const SubjectMessage = z.strictObject({
  subject: z.string().regex(/^(recipients|mous)\/[a-z0-9][a-z0-9-]{1,63}$/),
});

export function createSubjectBatchHandler(run: (subject: string) => Promise<unknown>) {
  return async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    const runs = new Map<string, Promise<unknown>>();
    const recordHandler = async (record: SQSRecord) => {
      const { subject } = SubjectMessage.parse(JSON.parse(record.body));
      let pending = runs.get(subject);
      if (!pending) runs.set(subject, (pending = run(subject)));
      return pending;
    };
    // A processor per invocation: it holds the batch's state, and the local poller may overlap invocations.
    return processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), context ? { context } : {});
  };
}
