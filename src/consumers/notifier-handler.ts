/**
 * The notifier's SQS handler: Powertools' `BatchProcessor` with partial batch responses. Messages
 * name a subject (the projector's message, sent by the same enqueue); each subject in a batch is
 * fanned out once, however many messages name it. A message that cannot be decoded fails alone.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Notifier } from '../services/notifier.ts';
import { ProjectionRequest } from './projector-handler.ts';

export function createNotifierHandler(notify: Notifier['notify']) {
  return async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    const runs = new Map<string, ReturnType<Notifier['notify']>>();
    const recordHandler = async (record: SQSRecord) => {
      const { subject } = ProjectionRequest.parse(JSON.parse(record.body));
      let run = runs.get(subject);
      if (!run) runs.set(subject, (run = notify(subject)));
      return run;
    };
    return processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), context ? { context } : {});
  };
}
