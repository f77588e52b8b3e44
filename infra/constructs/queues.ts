/**
 * The work queues and their dead-letter queues, built from `QUEUES` in `src/tables.ts` (the local
 * poller reads the same definitions), so visibility, retries and retention cannot drift.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUES, type QueueDefinition } from '../../src/tables.ts';
import type { Stage } from '../settings.ts';

export type QueueId = (typeof QUEUES)[number]['id'];

/** AWS's advice for Lambda event sources: visibility at least six times the function's timeout. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;

/** 14 days: the most SQS keeps, so a dead letter can wait over a long weekend and a holiday. */
const DLQ_RETENTION = Duration.days(14);

export interface WorkQueue {
  readonly definition: QueueDefinition;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
}

export interface WorkQueuesProps {
  readonly stage: Stage;
}

export class WorkQueues extends Construct {
  readonly byId: Readonly<Record<QueueId, WorkQueue>>;

  constructor(scope: Construct, id: string, props: WorkQueuesProps) {
    super(scope, id);
    const removalPolicy = props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const byId: Partial<Record<QueueId, WorkQueue>> = {};
    for (const definition of QUEUES) {
      byId[definition.id] = buildQueue(this, definition, removalPolicy);
    }
    this.byId = byId as Record<QueueId, WorkQueue>;
  }
}

function buildQueue(scope: Construct, definition: QueueDefinition, removalPolicy: RemovalPolicy): WorkQueue {
  if (definition.visibilityTimeoutSeconds < VISIBILITY_TO_TIMEOUT_RATIO * definition.consumerTimeoutSeconds) {
    throw new Error(
      `Queue ${definition.id}: visibility ${definition.visibilityTimeoutSeconds}s is below ` +
        `${VISIBILITY_TO_TIMEOUT_RATIO} × the consumer timeout (${definition.consumerTimeoutSeconds}s)`,
    );
  }
  const deadLetterQueue = new Queue(scope, `${definition.id}Dlq`, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: DLQ_RETENTION,
    removalPolicy,
  });
  const queue = new Queue(scope, definition.id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
    retentionPeriod: Duration.days(definition.retentionDays),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
    removalPolicy,
  });
  return { definition, queue, deadLetterQueue };
}
