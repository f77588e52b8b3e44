/**
 * The three Lambda functions and what triggers them, each granted only what it uses:
 * - api: the Hono app behind the HTTP API; appends events (TransactWriteItems on Events), reads
 *   State, manages API keys and rate-limit counters (Keys), enqueues catch-up work for the
 *   projector, reads the admin key's secret.
 * - projector: consumes the Projector queue; reads Events, writes State.
 * - reconciler: every minute, finds subjects whose projection or notifications lag (Events gsi1 vs
 *   State and the Notify watermarks) and re-enqueues them.
 * - notifier: consumes the Notifier queue; reads Events, writes deliveries and watermarks (Notify),
 *   sends one message per new delivery to the Delivery queue.
 * - deliverer: consumes the Delivery queue; signs and POSTs webhooks, records attempts (Notify),
 *   re-sends delayed retries to its queue and exhausted deliveries to its dead-letter queue.
 * - retrySweeper: every minute, re-enqueues deliveries whose due time passed (waits over 15 min).
 * Every function gets every resource name, since `src/config.ts` requires them at start;
 * the IAM grants, not the environment, decide what each may touch.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { CfnTable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Policy } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DELIVERY_QUEUE, EVENTS_TABLE, KEYS_TABLE, NOTIFIER_QUEUE, NOTIFY_TABLE, PROJECTOR_QUEUE, STATE_TABLE } from '../../src/tables.ts';
import type { Stage } from '../settings.ts';
import type { TableId } from './tables.ts';
import type { QueueId, WorkQueue } from './queues.ts';
import { TrackerFunction } from './tracker-function.ts';

/** Seconds a subject's head may lead its projection before the reconciler re-enqueues it. */
export const RECONCILE_GRACE_SECONDS = 30;

export interface TrackerFunctionsProps {
  readonly stage: Stage;
  readonly tables: Readonly<Record<TableId, Table>>;
  readonly queues: Readonly<Record<QueueId, WorkQueue>>;
  readonly adminKey: ISecret;
  readonly logRetention: RetentionDays;
}

export class TrackerFunctions extends Construct {
  readonly api: TrackerFunction;
  readonly projector: TrackerFunction;
  readonly reconciler: TrackerFunction;
  readonly reconcileSchedule: Rule;
  readonly notifier: TrackerFunction;
  readonly deliverer: TrackerFunction;
  readonly retrySweeper: TrackerFunction;
  /** `GET /v1/stream` behind a response-streaming Function URL (HTTP APIs cannot stream). */
  readonly stream: TrackerFunction;
  readonly streamUrl: FunctionUrl;
  readonly sweepSchedule: Rule;

  constructor(scope: Construct, id: string, props: TrackerFunctionsProps) {
    super(scope, id);
    const events = props.tables[EVENTS_TABLE.id];
    const state = props.tables[STATE_TABLE.id];
    const apiKeys = props.tables[KEYS_TABLE.id];
    const projectorQueue = props.queues[PROJECTOR_QUEUE.id];
    const notify = props.tables[NOTIFY_TABLE.id];
    const notifierQueue = props.queues[NOTIFIER_QUEUE.id];
    const deliveryQueue = props.queues[DELIVERY_QUEUE.id];
    const common = {
      logRetention: props.logRetention,
      removalPolicy: props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    };
    const environment = {
      EVENTS_TABLE: events.tableName,
      STATE_TABLE: state.tableName,
      KEYS_TABLE: apiKeys.tableName,
      PROJECTOR_QUEUE_URL: projectorQueue.queue.queueUrl,
      NOTIFY_TABLE: notify.tableName,
      NOTIFIER_QUEUE_URL: notifierQueue.queue.queueUrl,
      DELIVERY_QUEUE_URL: deliveryQueue.queue.queueUrl,
      DELIVERY_DLQ_URL: deliveryQueue.deadLetterQueue.queueUrl,
    };

    this.api = new TrackerFunction(this, 'Api', {
      ...common,
      name: 'api',
      description: 'GPU Policy Tracker HTTP API (Hono behind API Gateway HTTP API)',
      // Under the HTTP API's 30 s integration limit, so the client sees our error, not a gateway one.
      timeout: Duration.seconds(25),
      memorySize: 1024,
      environment: { ...environment, TRACKER_ADMIN_SECRET_ARN: props.adminKey.secretArn },
    });
    events.grantReadWriteData(this.api.fn);
    state.grantReadData(this.api.fn);
    // API keys (create, list, revoke) and per-key rate-limit counters.
    apiKeys.grantReadWriteData(this.api.fn);
    projectorQueue.queue.grantSendMessages(this.api.fn);
    props.adminKey.grantRead(this.api.fn);
    // Subscriptions (create, list, delete), the delivery log, replay (creates deliveries, enqueues them).
    notify.grantReadWriteData(this.api.fn);
    notifierQueue.queue.grantSendMessages(this.api.fn);
    deliveryQueue.queue.grantSendMessages(this.api.fn);

    this.projector = new TrackerFunction(this, 'Projector', {
      ...common,
      name: 'projector',
      description: 'GPU Policy Tracker projector: folds each subject\'s new events into its status',
      timeout: Duration.seconds(PROJECTOR_QUEUE.consumerTimeoutSeconds),
      memorySize: 512,
      environment,
    });
    events.grantReadData(this.projector.fn);
    state.grantReadWriteData(this.projector.fn);
    this.projector.fn.addEventSource(
      new SqsEventSource(projectorQueue.queue, {
        batchSize: PROJECTOR_QUEUE.batchSize,
        maxBatchingWindow: Duration.seconds(PROJECTOR_QUEUE.maxBatchingWindowSeconds),
        maxConcurrency: PROJECTOR_QUEUE.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );

    this.reconciler = new TrackerFunction(this, 'Reconciler', {
      ...common,
      name: 'reconciler',
      description: 'GPU Policy Tracker reconciler: re-enqueues subjects whose projection lags the log',
      // Finishes before the next minute's run starts.
      timeout: Duration.seconds(50),
      memorySize: 256,
      environment: { ...environment, RECONCILE_GRACE_SECONDS: String(RECONCILE_GRACE_SECONDS) },
    });
    events.grantReadData(this.reconciler.fn);
    state.grantReadData(this.reconciler.fn);
    projectorQueue.queue.grantSendMessages(this.reconciler.fn);
    notify.grant(this.reconciler.fn, 'dynamodb:BatchGetItem'); // notify watermarks
    notifierQueue.queue.grantSendMessages(this.reconciler.fn);
    this.reconcileSchedule = new Rule(this, 'ReconcileSchedule', {
      description: 'Runs the GPU Policy Tracker reconciler every minute',
      schedule: Schedule.rate(Duration.minutes(1)),
      // A missed run is made up by the next one a minute later: no retries to pile up.
      targets: [new LambdaFunction(this.reconciler.fn, { retryAttempts: 0 })],
    });

    this.notifier = new TrackerFunction(this, 'Notifier', {
      ...common,
      name: 'notifier',
      description: 'GPU Policy Tracker notifier: fans each subject\'s new events out to matching webhook subscriptions',
      timeout: Duration.seconds(NOTIFIER_QUEUE.consumerTimeoutSeconds),
      memorySize: 512,
      environment,
    });
    events.grantReadData(this.notifier.fn);
    // Subscriptions (index query), watermarks (batch get, conditional update), deliveries (conditional put, get).
    notify.grant(this.notifier.fn, 'dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    deliveryQueue.queue.grantSendMessages(this.notifier.fn);
    this.notifier.fn.addEventSource(sqsSource(notifierQueue));

    this.deliverer = new TrackerFunction(this, 'Deliverer', {
      ...common,
      name: 'deliverer',
      description: 'GPU Policy Tracker webhook delivery: one signed POST attempt per message, retries scheduled',
      timeout: Duration.seconds(DELIVERY_QUEUE.consumerTimeoutSeconds),
      memorySize: 512,
      environment,
    });
    // Reads a delivery and its subscription, claims and records attempts, disables a subscription on 410.
    notify.grant(this.deliverer.fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    deliveryQueue.queue.grantSendMessages(this.deliverer.fn);
    deliveryQueue.deadLetterQueue.grantSendMessages(this.deliverer.fn);
    this.deliverer.fn.addEventSource(sqsSource(deliveryQueue));

    this.retrySweeper = new TrackerFunction(this, 'RetrySweeper', {
      ...common,
      name: 'retry-sweeper',
      description: 'GPU Policy Tracker retry sweeper: re-enqueues webhook deliveries whose due time has passed',
      timeout: Duration.seconds(50),
      memorySize: 256,
      environment,
    });
    notify.grant(this.retrySweeper.fn, 'dynamodb:Query', 'dynamodb:UpdateItem');
    deliveryQueue.queue.grantSendMessages(this.retrySweeper.fn);
    this.sweepSchedule = new Rule(this, 'SweepSchedule', {
      description: 'Runs the GPU Policy Tracker webhook retry sweeper every minute',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.retrySweeper.fn, { retryAttempts: 0 })],
    });

    // Server-Sent Events need response streaming, which API Gateway HTTP APIs do not offer: the
    // stream gets its own function behind a Function URL. Reads are public by contract (AuthType
    // NONE); the app still checks keys when TRACKER_READS_REQUIRE_KEY is set. Each response lasts
    // 14 min, under the 15 min Lambda limit; clients resume with Last-Event-ID.
    this.stream = new TrackerFunction(this, 'Stream', {
      ...common,
      name: 'stream',
      description: 'GPU Policy Tracker live stream (Server-Sent Events over Lambda response streaming)',
      timeout: Duration.minutes(15),
      memorySize: 512,
      environment: { ...environment, STREAM_MAX_SECONDS: '840', TRACKER_ADMIN_SECRET_ARN: props.adminKey.secretArn },
    });
    events.grantReadData(this.stream.fn);
    apiKeys.grantReadWriteData(this.stream.fn); // key lookups and rate-limit counters of keyed readers
    props.adminKey.grantRead(this.stream.fn);
    this.streamUrl = this.stream.fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE, invokeMode: InvokeMode.RESPONSE_STREAM });

    // Keys has no index, so no wildcard.
    acknowledgeTableIndexWildcards(this.api, [events, state, notify]);
    acknowledgeTableIndexWildcards(this.projector, [events, state]);
    acknowledgeTableIndexWildcards(this.reconciler, [events, state, notify]);
    acknowledgeTableIndexWildcards(this.notifier, [events, notify]);
    acknowledgeTableIndexWildcards(this.deliverer, [notify]);
    acknowledgeTableIndexWildcards(this.retrySweeper, [notify]);
    acknowledgeTableIndexWildcards(this.stream, [events]);
  }
}

/** An SQS trigger with the batch settings of its definition in `src/tables.ts` and partial batch responses. */
function sqsSource({ queue, definition }: WorkQueue): SqsEventSource {
  return new SqsEventSource(queue, {
    batchSize: definition.batchSize,
    ...(definition.maxBatchingWindowSeconds > 0 ? { maxBatchingWindow: Duration.seconds(definition.maxBatchingWindowSeconds) } : {}),
    maxConcurrency: definition.maxConcurrency,
    reportBatchItemFailures: true,
  });
}

/**
 * CDK's table grants cover a table's indexes as `<table ARN>/index/*`: a wildcard over this one
 * table's own GSIs (from `src/tables.ts`), nothing wider. cdk-nag flags each such resource.
 */
function acknowledgeTableIndexWildcards(fn: TrackerFunction, tables: readonly Table[]): void {
  const policy = fn.role.node.tryFindChild('DefaultPolicy') as Policy | undefined;
  if (!policy) return;
  for (const table of tables) {
    const tableLogicalId: string = Stack.of(table).resolve((table.node.defaultChild as CfnTable).logicalId);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
      reason:
        `CDK table grants include "${table.node.id} table ARN/index/*": the indexes of that one table ` +
        '(defined in src/tables.ts), which the function queries; no other table or account is covered.',
    });
  }
}
