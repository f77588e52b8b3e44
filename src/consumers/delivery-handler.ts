/**
 * The delivery worker's SQS handler: one webhook attempt per record, records in parallel (each
 * bounded by the attempt timeout), so a slow endpoint holds up no other delivery of the batch.
 * Endpoint failures are recorded outcomes, not record failures; only infrastructure errors (and
 * undecodable messages) fail a record, which then comes back after the visibility timeout.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import type { WebhookDelivery } from '../services/webhook-delivery.ts';

/** Extra fields are allowed: dead-letter copies carry `webhookId` and `reason`, and may be redriven. */
export const DeliveryMessage = z.object({
  subscriptionId: z.string().regex(/^sub_[0-9a-f]{20}$/),
  key: z.string().min(1).max(200),
});

export function createDeliveryHandler(deliver: WebhookDelivery) {
  return async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    const recordHandler = async (record: SQSRecord) => {
      const { subscriptionId, key } = DeliveryMessage.parse(JSON.parse(record.body));
      return deliver({ subscriptionId, key });
    };
    return processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), {
      ...(context ? { context } : {}),
      processInParallel: true,
    });
  };
}
