/**
 * Metrics and structured logs of the Lambda functions (Powertools for AWS Lambda). Services stay
 * free of it: the entries wrap what the services return. Metrics are flushed as CloudWatch EMF at
 * the end of every invocation; the local stack does not emit them.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { IngestResult } from './services/ingest.ts';

export type MetricName =
  | 'EventsAccepted'
  | 'EventsDuplicate'
  | 'EventsConflict'
  | 'EventsRejected'
  | 'EventsProjected'
  | 'WebhooksDelivered'
  | 'WebhooksRetrying'
  | 'WebhooksFailed';

export function createMetrics(): Metrics {
  return new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'GpuPolicyTracker', serviceName: 'gpu-policy-tracker' });
}

export function count(metrics: Metrics, name: MetricName, value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/** Counts ingest outcomes and logs each accepted event with its id and subject. */
export function observeIngest(metrics: Metrics, logger: Logger, results: readonly IngestResult[], subjects: readonly string[]): void {
  const by = (status: IngestResult['status']) => results.filter((r) => r.status === status).length;
  count(metrics, 'EventsAccepted', by('accepted'));
  count(metrics, 'EventsDuplicate', by('duplicate'));
  count(metrics, 'EventsConflict', by('conflict'));
  results.forEach((r, i) => {
    if (r.status === 'accepted') logger.info('event accepted', { eventId: r.id, source: r.source, subject: subjects[i], sequence: r.sequence });
  });
}

/** A Lambda handler that publishes the metrics stored during each invocation. */
export function publishingMetrics<A extends unknown[], R>(metrics: Metrics, handler: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => {
    try {
      return await handler(...args);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
