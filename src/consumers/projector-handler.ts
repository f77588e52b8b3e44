/**
 * The projector's SQS handler: Powertools' `BatchProcessor` with partial batch responses. Messages
 * name a subject; each subject in a batch is projected once, however many messages name it, so a
 * busy recipient costs one run (one status write) per batch. A message that cannot be decoded fails
 * alone and reaches the dead-letter queue after `maxReceiveCount` receives.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import type { Projector } from '../services/projector.ts';

export const ProjectionRequest = z.strictObject({
  subject: z.string().regex(/^(recipients|mous)\/[a-z0-9][a-z0-9-]{1,63}$/),
});

export function createProjectorHandler(project: Projector) {
  return async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    const runs = new Map<string, ReturnType<Projector>>();
    const recordHandler = async (record: SQSRecord) => {
      const { subject } = ProjectionRequest.parse(JSON.parse(record.body));
      let run = runs.get(subject);
      if (!run) runs.set(subject, (run = project(subject)));
      return run;
    };
    // A processor per invocation: it holds the batch's state, and the local poller may overlap invocations.
    return processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), context ? { context } : {});
  };
}
