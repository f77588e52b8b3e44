/**
 * The Lambda entries themselves (functions/*), driven with the sample API Gateway and SQS events in
 * events/samples/, against DynamoDB Local and fauxqs: what AWS would invoke, minus AWS.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local.ts';
import { createQueues, createTables } from '../../local/provision.ts';
import { startSqsLocal, type SqsLocal } from '../../local/sqs-local.ts';
import { loadConfig } from '../../src/config.ts';
import { createClients } from '../../src/runtime.ts';

const samples = resolve(import.meta.dirname, '..', '..', 'events', 'samples');
const sample = <T>(name: string) => JSON.parse(readFileSync(resolve(samples, name), 'utf8')) as T;

let dynamo: DynamoDbLocal;
let sqsLocal: SqsLocal;
let queueUrl: string;
let clients: ReturnType<typeof createClients>;

beforeAll(async () => {
  [dynamo, sqsLocal] = await Promise.all([startDynamoDbLocal({ inMemory: true }), startSqsLocal()]);
  const env = {
    EVENTS_TABLE: 'lambda-events', STATE_TABLE: 'lambda-state', KEYS_TABLE: 'lambda-keys', PROJECTOR_QUEUE_URL: 'pending',
    NOTIFY_TABLE: 'lambda-notify', NOTIFIER_QUEUE_URL: 'pending', DELIVERY_QUEUE_URL: 'pending', DELIVERY_DLQ_URL: 'pending',
    TRACKER_ADMIN_KEY: 'lambda-test-admin-key-0123456789',
    DYNAMODB_ENDPOINT: dynamo.endpoint, SQS_ENDPOINT: sqsLocal.endpoint, AWS_REGION: 'us-east-1',
  };
  clients = createClients(loadConfig(env));
  await createTables(clients.dynamodb, { Events: env.EVENTS_TABLE, State: env.STATE_TABLE, Keys: env.KEYS_TABLE, Notify: env.NOTIFY_TABLE });
  const queues = await createQueues(clients.sqs, 'lambda');
  queueUrl = queues.Projector.url;
  // The entries read their configuration once, at module load, from the environment.
  Object.assign(process.env, env, { PROJECTOR_QUEUE_URL: queueUrl,
    NOTIFIER_QUEUE_URL: queues.Notifier.url, DELIVERY_QUEUE_URL: queues.Delivery.url, DELIVERY_DLQ_URL: queues.Delivery.dlqUrl, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
});
afterAll(async () => {
  await sqsLocal?.stop();
  await dynamo?.stop();
});

describe('Lambda entries', () => {
  it('api: the API Gateway sample posts its event and a status read follows the projector run', async () => {
    const { handler: api } = await import('../../functions/api/handler.ts');
    const { handler: projector } = await import('../../functions/projector/handler.ts');
    const event = sample<APIGatewayProxyEventV2>('apigw-post-events.json');
    // The sample carries a made-up key: the API refuses it, then accepts the deployment's admin key.
    const refused = (await api(event as never, {} as never)) as { statusCode: number };
    expect(refused.statusCode).toBe(401);
    event.headers.authorization = `Bearer ${process.env.TRACKER_ADMIN_KEY}`;
    const posted = (await api(event as never, {} as never)) as { statusCode: number; body: string };
    expect(posted.statusCode).toBe(202);
    expect(JSON.parse(posted.body).results).toEqual([
      { source: '/companies/samsung', id: 'sample-shipped-sam-shp-sample-001', status: 'accepted', sequence: 1 },
    ]);

    // The API queued the subject; hand what is on the queue to the projector as Lambda would.
    const received = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(received.Messages?.map((m) => JSON.parse(m.Body!))).toEqual([{ subject: 'recipients/samsung' }]);
    const template = sample<SQSEvent>('sqs-projector.json');
    const sqsEvent: SQSEvent = {
      Records: template.Records.map((r) => ({ ...r, body: received.Messages![0]!.Body! })).concat({ ...template.Records[0]!, messageId: 'poison', body: 'not json' }),
    };
    const response = await projector(sqsEvent, {} as never);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'poison' }]);

    const read = (await api({
      ...event, routeKey: 'GET /v1/recipients/{id}', rawPath: '/v1/recipients/samsung', body: undefined,
      requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'GET', path: '/v1/recipients/samsung' } },
    } as never, {} as never)) as { statusCode: number; body: string; headers: Record<string, string> };
    expect(read.statusCode).toBe(200);
    expect(read.headers.etag).toMatch(/^".+"$/);
    expect(JSON.parse(read.body)).toMatchObject({ recipientId: 'samsung', shipped: 500, inTransit: 500, delivered: 0, sequence: 1 });
  });

  it('projector: the SQS sample (one subject up to date, one with no events) succeeds with no failures', async () => {
    const { handler: projector } = await import('../../functions/projector/handler.ts');
    const response = await projector(sample<SQSEvent>('sqs-projector.json'), {} as never);
    expect(response.batchItemFailures).toEqual([]);
  });
});
