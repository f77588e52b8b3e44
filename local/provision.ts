/**
 * Creates the tables and queues of `src/tables.ts` on the local emulators, from the same
 * definitions the CDK stack uses. Both functions are idempotent: run them on every start.
 */
import {
  CreateTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { QUEUES, TABLES, type QueueDefinition, type TableDefinition } from '../src/tables.ts';

export type TableId = (typeof TABLES)[number]['id'];
export type QueueId = (typeof QUEUES)[number]['id'];

/** Dead-letter queues keep messages as long as SQS allows, so nothing is lost before someone looks. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

/** Creates each table of `TABLES` under its physical name; existing tables are left as they are. */
export async function createTables(client: DynamoDBClient, names: Record<TableId, string>): Promise<void> {
  for (const table of TABLES as readonly TableDefinition[]) {
    const name = names[table.id as TableId];
    try {
      await client.send(new CreateTableCommand(createTableInput(table, name)));
    } catch (err) {
      if (err instanceof ResourceInUseException) continue;
      throw err;
    }
    if (table.ttlAttribute) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
        }),
      );
    }
  }
}

function createTableInput(table: TableDefinition, name: string) {
  const attributes = new Map<string, AttributeDefinition>();
  const define = (attributeName: string) =>
    attributes.set(attributeName, { AttributeName: attributeName, AttributeType: 'S' });
  define(table.partitionKey);
  define(table.sortKey);
  for (const index of table.globalIndexes) {
    define(index.partitionKey);
    define(index.sortKey);
  }
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributes.values()],
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: table.sortKey, KeyType: 'RANGE' as const },
    ],
    // DynamoDB refuses an empty index list: leave it out for tables without indexes.
    ...(table.globalIndexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: table.globalIndexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
              { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: index.projection },
          })),
        }),
  };
}

export interface ProvisionedQueue {
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

export interface CreateQueuesOptions {
  /** Replaces every queue's visibility timeout (tests use 1 s to see redelivery quickly). */
  visibilityTimeoutSeconds?: number;
}

/**
 * Creates `${prefix}-${id}-dlq` and `${prefix}-${id}` for each of `QUEUES`, with the definition's
 * visibility timeout, retention and redrive policy. Attributes are (re)applied on every call, so a
 * second call converges an existing queue to the definition.
 */
export async function createQueues(
  client: SQSClient,
  prefix: string,
  options: CreateQueuesOptions = {},
): Promise<Record<QueueId, ProvisionedQueue>> {
  const result = {} as Record<QueueId, ProvisionedQueue>;
  for (const queue of QUEUES as readonly QueueDefinition[]) {
    const dlq = await ensureQueue(client, `${prefix}-${queue.id}-dlq`, {
      MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS),
    });
    const main = await ensureQueue(client, `${prefix}-${queue.id}`, {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(queue.retentionDays * 24 * 3600),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: queue.maxReceiveCount }),
    });
    result[queue.id as QueueId] = { url: main.url, arn: main.arn, dlqUrl: dlq.url, dlqArn: dlq.arn };
  }
  return result;
}

async function ensureQueue(
  client: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  // Created bare, then configured: CreateQueue with attributes that differ from an existing
  // queue's fails (QueueNameExists), SetQueueAttributes does not.
  const created = await client.send(new CreateQueueCommand({ QueueName: name }));
  const url = created.QueueUrl;
  if (!url) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  await client.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  const described = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = described.Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes ${name} returned no QueueArn`);
  return { url, arn };
}
