/**
 * The local emulator layer against the real emulators (DynamoDB Local in java, fauxqs in process)
 * through the real AWS SDK: provisioning from `src/tables.ts`, and the poller honouring
 * visibility timeouts, partial batch failures and the redrive policy as Lambda and SQS do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local.ts';
import { startSqsLocal, type SqsLocal } from '../../local/sqs-local.ts';
import { createQueues, createTables } from '../../local/provision.ts';
import { startPoller } from '../../local/poller.ts';
import { PROJECTOR_QUEUE, TABLES } from '../../src/tables.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const names = { Events: 'test-events', State: 'test-state', Keys: 'test-keys', Notify: 'test-notify' };

let dynamo: DynamoDbLocal;
let sqsLocal: SqsLocal;
let ddb: DynamoDBClient;
let sqs: SQSClient;

beforeAll(async () => {
  [dynamo, sqsLocal] = await Promise.all([startDynamoDbLocal({ inMemory: true }), startSqsLocal()]);
  ddb = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
  sqs = new SQSClient({ endpoint: sqsLocal.endpoint, region: 'us-east-1', credentials, useQueueUrlAsEndpoint: false });
});

afterAll(async () => {
  ddb?.destroy();
  sqs?.destroy();
  await Promise.all([dynamo?.stop(), sqsLocal?.stop()]);
});

/** Polls `probe` until it returns a value; bounded so a failure names what never happened. */
async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

async function queueCounts(url: string) {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

async function sendBodies(url: string, bodies: string[]) {
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: url,
      Entries: bodies.map((body, i) => ({
        Id: String(i),
        MessageBody: body,
        MessageAttributes: { kind: { DataType: 'String', StringValue: `k${i}` } },
      })),
    }),
  );
}

describe('DynamoDB Local + createTables', () => {
  it('creates every table of TABLES with its keys and GSIs, idempotently', async () => {
    await createTables(ddb, names);
    await createTables(ddb, names); // second run is a no-op

    const listed = await ddb.send(new ListTablesCommand({}));
    expect(listed.TableNames).toEqual(expect.arrayContaining(Object.values(names)));

    for (const def of TABLES) {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: names[def.id] }));
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: def.partitionKey, KeyType: 'HASH' },
        { AttributeName: def.sortKey, KeyType: 'RANGE' },
      ]);
      // DynamoDB lists indexes in no particular order: compare them by name.
      const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((gsi) => ({
        name: gsi.IndexName,
        keys: gsi.KeySchema,
        projection: gsi.Projection?.ProjectionType,
      })).sort((a, b) => String(a.name).localeCompare(String(b.name)));
      expect(indexes).toEqual(
        [...def.globalIndexes].sort((a, b) => a.name.localeCompare(b.name)).map((gsi) => ({
          name: gsi.name,
          keys: [
            { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
            { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
          ],
          projection: gsi.projection,
        })),
      );
    }
  });
});

describe('fauxqs + createQueues', () => {
  it('creates each queue with its DLQ, visibility, retention and redrive policy, idempotently', async () => {
    const first = await createQueues(sqs, 'provision');
    const again = await createQueues(sqs, 'provision');
    expect(again).toEqual(first);

    const q = first.Projector;
    expect(q.url).toMatch(/provision-Projector$/);
    expect(q.dlqUrl).toMatch(/provision-Projector-dlq$/);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] }));
    expect(Attributes?.VisibilityTimeout).toBe(String(PROJECTOR_QUEUE.visibilityTimeoutSeconds));
    expect(Attributes?.MessageRetentionPeriod).toBe(String(PROJECTOR_QUEUE.retentionDays * 86_400));
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: q.dlqArn,
      maxReceiveCount: PROJECTOR_QUEUE.maxReceiveCount,
    });
  });

  it('applies the visibility timeout override', async () => {
    const { Projector } = await createQueues(sqs, 'override', { visibilityTimeoutSeconds: 1 });
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: Projector.url, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(Attributes?.VisibilityTimeout).toBe('1');
  });
});

describe('poller', () => {
  it('delivers messages as SQS events and deletes the handled ones', async () => {
    const { Projector } = await createQueues(sqs, 'deliver');
    const seen: SQSRecord[] = [];
    const bodies = ['{"subject":"recipients/a"}', '{"subject":"recipients/b"}', '{"subject":"mous/c"}'];
    await sendBodies(Projector.url, bodies);

    const poller = startPoller({
      sqs,
      queueUrl: Projector.url,
      batchSize: PROJECTOR_QUEUE.batchSize,
      waitTimeSeconds: 1,
      handler: async (event) => {
        seen.push(...event.Records);
      },
    });
    await eventually('all three messages handled', () => seen.length >= bodies.length);
    await poller.stop();

    expect(seen.map((r) => r.body).sort()).toEqual([...bodies].sort());
    for (const record of seen) {
      expect(record.eventSource).toBe('aws:sqs');
      expect(record.eventSourceARN).toBe(Projector.arn);
      expect(record.awsRegion).toBe('us-east-1');
      expect(record.attributes.ApproximateReceiveCount).toBe('1');
      expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(0);
      expect(record.attributes.SenderId).not.toBe('');
      expect(record.messageAttributes.kind?.dataType).toBe('String');
      expect(record.messageAttributes.kind?.stringValue).toMatch(/^k\d$/);
      expect(record.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(await queueCounts(Projector.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('redelivers only the records reported in batchItemFailures, then moves them to the DLQ', async () => {
    const { Projector } = await createQueues(sqs, 'partial', { visibilityTimeoutSeconds: 1 });
    await sendBodies(Projector.url, ['good-1', 'bad', 'good-2']); // sent before polling: one batch

    const deliveries = new Map<string, string[]>(); // body -> ApproximateReceiveCount per delivery
    const poller = startPoller({
      sqs,
      queueUrl: Projector.url,
      queueArn: Projector.arn,
      batchSize: PROJECTOR_QUEUE.batchSize,
      waitTimeSeconds: 1,
      handler: async (event): Promise<SQSBatchResponse> => {
        for (const r of event.Records) {
          deliveries.set(r.body, [...(deliveries.get(r.body) ?? []), r.attributes.ApproximateReceiveCount]);
        }
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })),
        };
      },
    });

    await eventually('bad redelivered once', () => (deliveries.get('bad')?.length ?? 0) >= 2);
    // Had the good records not been deleted they would have come back with "bad" (same batch, same deadline).
    expect(deliveries.get('good-1')).toEqual(['1']);
    expect(deliveries.get('good-2')).toEqual(['1']);
    expect(deliveries.get('bad')?.slice(0, 2)).toEqual(['1', '2']);

    const dead = await eventually('bad in the DLQ', async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: Projector.dlqUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10 }),
      );
      return out.Messages?.length ? out.Messages : undefined;
    });
    await poller.stop();

    expect(dead.map((m) => m.Body)).toEqual(['bad']);
    expect(deliveries.get('bad')).toHaveLength(PROJECTOR_QUEUE.maxReceiveCount);
    expect(deliveries.get('good-1')).toEqual(['1']);
    expect(await queueCounts(Projector.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('deletes nothing when the handler throws, so the whole batch comes back', async () => {
    const { Projector } = await createQueues(sqs, 'throws', { visibilityTimeoutSeconds: 1 });
    await sendBodies(Projector.url, ['a', 'b']);

    const counts: string[] = [];
    const errors: unknown[] = [];
    let calls = 0;
    const poller = startPoller({
      sqs,
      queueUrl: Projector.url,
      batchSize: PROJECTOR_QUEUE.batchSize,
      waitTimeSeconds: 1,
      onError: (err) => errors.push(err),
      handler: async (event) => {
        counts.push(...event.Records.map((r) => `${r.body}:${r.attributes.ApproximateReceiveCount}`));
        if (++calls === 1) throw new Error('boom');
      },
    });
    await eventually('both redelivered', () => counts.includes('a:2') && counts.includes('b:2'));
    await poller.stop();

    expect(counts.sort()).toEqual(['a:1', 'a:2', 'b:1', 'b:2']);
    expect(errors).toHaveLength(1);
    expect(await queueCounts(Projector.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('treats an unknown itemIdentifier as a whole-batch failure, as Lambda does', async () => {
    const { Projector } = await createQueues(sqs, 'invalid', { visibilityTimeoutSeconds: 1 });
    await sqs.send(new SendMessageCommand({ QueueUrl: Projector.url, MessageBody: 'only' }));

    const counts: string[] = [];
    const poller = startPoller({
      sqs,
      queueUrl: Projector.url,
      batchSize: 1,
      waitTimeSeconds: 1,
      onError: () => {},
      handler: async (event) => {
        counts.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
        return counts.length === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] } : undefined;
      },
    });
    await eventually('redelivered', () => counts.length >= 2);
    await poller.stop();
    expect(counts).toEqual(['1', '2']);
  });

  it('stop() lets pending long polls finish, loses no message and stops receiving', async () => {
    const { Projector } = await createQueues(sqs, 'stop');
    const handled: string[] = [];
    const poller = startPoller({
      sqs,
      queueUrl: Projector.url,
      batchSize: 10,
      concurrency: 3,
      waitTimeSeconds: 2,
      handler: async (event) => {
        handled.push(...event.Records.map((r) => r.body));
      },
    });
    await new Promise((r) => setTimeout(r, 200)); // let the loops enter their long polls
    const stopped = poller.stop();
    await sqs.send(new SendMessageCommand({ QueueUrl: Projector.url, MessageBody: 'during-stop' }));
    await stopped;
    const afterStop = await queueCounts(Projector.url);
    // Received by a pending poll (and then handled and deleted) or still waiting: never hidden.
    expect(afterStop.inFlight).toBe(0);
    expect(handled.length + afterStop.visible).toBe(1);

    await sqs.send(new SendMessageCommand({ QueueUrl: Projector.url, MessageBody: 'after-stop' }));
    expect(await queueCounts(Projector.url)).toEqual({ visible: afterStop.visible + 1, inFlight: 0 });
    expect(handled).not.toContain('after-stop');
  });
});

describe('DynamoDB Local lifecycle', () => {
  it('keeps tables in dbPath across restarts and leaves no java process after stop()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ddb-local-'));
    try {
      const first = await startDynamoDbLocal({ dbPath: dir });
      const client = new DynamoDBClient({ endpoint: first.endpoint, region: 'us-east-1', credentials });
      await createTables(client, names);
      client.destroy();
      await first.stop();
      expect(() => process.kill(first.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));

      const second = await startDynamoDbLocal({ dbPath: dir });
      const again = new DynamoDBClient({ endpoint: second.endpoint, region: 'us-east-1', credentials });
      const listed = await again.send(new ListTablesCommand({}));
      again.destroy();
      await second.stop();
      expect(listed.TableNames?.sort()).toEqual(Object.values(names).sort());
      expect(() => process.kill(second.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which package to install when java is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startDynamoDbLocal({ inMemory: true })).rejects.toThrow(/openjdk-17-jre-headless/);
    } finally {
      process.env.PATH = path;
    }
  });
});
