/**
 * Alarms and the dashboard. Alarms: any message in a dead-letter queue, any function error or
 * throttle, any API 5xx, API p99 latency over the configured limit, and projector work waiting
 * too long. With an SNS topic ARN in context, every alarm notifies it.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { WorkQueue } from './queues.ts';
import { METRICS_NAMESPACE } from './tracker-function.ts';
import type { MetricName } from '../../src/telemetry.ts';

/** How long projector work may wait before the tracker's status pages are called stale. */
const QUEUE_AGE_ALARM = Duration.minutes(5);
const PERIOD = Duration.minutes(1);

export interface TrackerMonitoringProps {
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly queues: readonly WorkQueue[];
  readonly tables: readonly Table[];
  readonly apiStage: HttpStage;
  readonly apiP99LatencyAlarmMs: number;
  readonly alarmTopicArn?: string;
}

export class TrackerMonitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: TrackerMonitoringProps) {
    super(scope, id);
    const topic = props.alarmTopicArn ? Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) : undefined;
    const alarm = (alarmId: string, description: string, metric: IMetric, threshold: number, datapoints = 1) => {
      const created = new Alarm(this, alarmId, {
        metric,
        alarmDescription: description,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: datapoints,
        datapointsToAlarm: datapoints,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (topic) {
        created.addAlarmAction(new SnsAction(topic));
        created.addOkAction(new SnsAction(topic));
      }
      this.alarms.push(created);
      return created;
    };

    for (const { definition, queue, deadLetterQueue } of props.queues) {
      alarm(
        `${definition.id}DlqNotEmpty`,
        `${definition.id} dead-letter queue holds messages: work failed ${definition.maxReceiveCount} times. ` +
          'Inspect them, fix the cause, then redrive from the SQS console.',
        deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
        0,
      );
      alarm(
        `${definition.id}QueueBacklog`,
        `${definition.id} queue work has waited over ${QUEUE_AGE_ALARM.toMinutes()} minutes: its consumer is failing or too slow.`,
        queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
        QUEUE_AGE_ALARM.toSeconds(),
        3,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, `The ${name} function failed (uncaught error or timeout).`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), 0);
      alarm(`${name}Throttles`, `The ${name} function was throttled (concurrency limit).`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), 0);
    }
    const api5xx = props.apiStage.metricServerError({ period: PERIOD, statistic: 'Sum' });
    const apiP99 = props.apiStage.metricLatency({ period: PERIOD, statistic: 'p99' });
    alarm('Api5xx', 'The HTTP API answered 5xx (function error, timeout or throttling).', api5xx, 0);
    alarm(
      'ApiP99Latency',
      `The HTTP API's p99 latency stayed above ${props.apiP99LatencyAlarmMs} ms for 3 minutes.`,
      apiP99,
      props.apiP99LatencyAlarmMs,
      3,
    );

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const fnLabel = (name: string) => ({ label: name });
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '# GPU Policy Tracker', width: 24, height: 1 }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests and errors',
        left: [
          props.apiStage.metricCount({ period: PERIOD, statistic: 'Sum', label: 'requests' }),
          props.apiStage.metricClientError({ period: PERIOD, statistic: 'Sum', label: '4xx' }),
          api5xx.with({ label: '5xx' }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'API latency (ms)',
        left: [
          props.apiStage.metricLatency({ period: PERIOD, statistic: 'p50', label: 'p50' }),
          apiP99.with({ label: 'p99' }),
          props.apiStage.metricIntegrationLatency({ period: PERIOD, statistic: 'p99', label: 'integration p99' }),
        ],
        width: 12,
      }),
    );
    const entries = Object.entries(props.functions);
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Function invocations',
        left: entries.map(([name, fn]) => fn.metricInvocations({ period: PERIOD, statistic: 'Sum', ...fnLabel(name) })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Function errors and throttles',
        left: entries.flatMap(([name, fn]) => [
          fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: `${name} errors` }),
          fn.metricThrottles({ period: PERIOD, statistic: 'Sum', label: `${name} throttles` }),
        ]),
        width: 8,
      }),
      new GraphWidget({
        title: 'Function duration p99 (ms)',
        left: entries.map(([name, fn]) => fn.metricDuration({ period: PERIOD, statistic: 'p99', ...fnLabel(name) })),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Queues: visible messages',
        left: props.queues.flatMap(({ definition, queue, deadLetterQueue }) => [
          queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: definition.id }),
          deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: 'Maximum',
            label: `${definition.id} DLQ`,
          }),
        ]),
        width: 12,
      }),
      new GraphWidget({
        title: 'Queues: age of oldest message (s)',
        left: props.queues.map(({ definition, queue }) =>
          queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum', label: definition.id }),
        ),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'DynamoDB consumed capacity',
        left: props.tables.map((t) => t.metricConsumedReadCapacityUnits({ period: PERIOD, label: `${t.node.id} read` })),
        right: props.tables.map((t) => t.metricConsumedWriteCapacityUnits({ period: PERIOD, label: `${t.node.id} write` })),
        width: 12,
      }),
      new GraphWidget({
        // Failed conditions are how concurrent appends to one subject lose the race and retry.
        title: 'DynamoDB conditional check failures',
        left: props.tables.map((t) =>
          t.metric('ConditionalCheckFailedRequests', { period: PERIOD, statistic: 'Sum', label: t.node.id }),
        ),
        width: 12,
      }),
    );
    // The functions' own metrics (Powertools, EMF; names in src/telemetry.ts).
    const own = (name: MetricName) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: 'gpu-policy-tracker' }, statistic: 'Sum', period: PERIOD });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Events: accepted, duplicate, conflict, rejected, projected',
        left: (['EventsAccepted', 'EventsDuplicate', 'EventsConflict', 'EventsRejected', 'EventsProjected'] as const).map(own),
        width: 12,
      }),
      new GraphWidget({
        title: 'Webhooks: delivered, retrying, failed',
        left: (['WebhooksDelivered', 'WebhooksRetrying', 'WebhooksFailed'] as const).map(own),
        width: 12,
      }),
    );
  }
}
