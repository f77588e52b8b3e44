/**
 * The real bundles the synth produces (esbuild output in the CDK out dir), invoked the way Lambda
 * invokes them — API Gateway v2 and SQS events from events/samples — against DynamoDB Local and
 * fauxqs, each in a fresh Node process: they do what the local stack does.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrackerApp } from '../../infra/tracker-app.ts';
import type { TrackerFunction } from '../../infra/constructs/tracker-function.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local.ts';
import { createQueues, createTables } from '../../local/provision.ts';
import { startSqsLocal, type SqsLocal } from '../../local/sqs-local.ts';
import { loadConfig } from '../../src/config.ts';
import { createClients } from '../../src/runtime.ts';
import { resourceName } from './iam-statements.ts';

const root = resolve(import.meta.dirname, '..', '..');
const sample = <T>(name: string) => JSON.parse(readFileSync(join(root, 'events', 'samples', name), 'utf8')) as T;
const ADMIN_KEY = 'bundle-test-admin-key-0123456789';

let outdir: string;
let bundles: Record<'api' | 'projector', string>;
let dynamo: DynamoDbLocal;
let sqsLocal: SqsLocal;
let env: Record<string, string>;
let clients: ReturnType<typeof createClients>;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'tracker-bundles-'));
  const context = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
  const { stack } = createTrackerApp({ outdir, context });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Properties: { Code: { S3Key: unknown } } }>;
  const bundleOf = (fn: TrackerFunction) => {
    const logicalId = stack.resolve(stack.getLogicalId(fn.fn.node.defaultChild as CfnElement)) as string;
    const key = resourceName(resources[logicalId]!.Properties.Code.S3Key);
    return join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
  };
  bundles = { api: bundleOf(stack.functions.api), projector: bundleOf(stack.functions.projector) };

  [dynamo, sqsLocal] = await Promise.all([startDynamoDbLocal({ inMemory: true }), startSqsLocal()]);
  const names = { Events: 'b-events', State: 'b-state', Keys: 'b-keys', Notify: 'b-notify' };
  clients = createClients(loadConfig({
    EVENTS_TABLE: names.Events, STATE_TABLE: names.State, KEYS_TABLE: names.Keys, NOTIFY_TABLE: names.Notify,
    PROJECTOR_QUEUE_URL: 'x', NOTIFIER_QUEUE_URL: 'x', DELIVERY_QUEUE_URL: 'x', DELIVERY_DLQ_URL: 'x',
    DYNAMODB_ENDPOINT: dynamo.endpoint, SQS_ENDPOINT: sqsLocal.endpoint,
  }));
  await createTables(clients.dynamodb, names);
  const queues = await createQueues(clients.sqs, 'bundles');
  env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    EVENTS_TABLE: names.Events, STATE_TABLE: names.State, KEYS_TABLE: names.Keys, NOTIFY_TABLE: names.Notify,
    PROJECTOR_QUEUE_URL: queues.Projector.url, NOTIFIER_QUEUE_URL: queues.Notifier.url,
    DELIVERY_QUEUE_URL: queues.Delivery.url, DELIVERY_DLQ_URL: queues.Delivery.dlqUrl,
    DYNAMODB_ENDPOINT: dynamo.endpoint, SQS_ENDPOINT: sqsLocal.endpoint,
    TRACKER_ADMIN_KEY: ADMIN_KEY, POWERTOOLS_SERVICE_NAME: 'gpu-policy-tracker',
  };
}, 240_000);

afterAll(async () => {
  await sqsLocal?.stop();
  await dynamo?.stop();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/**
 * Runs `handler(event, {})` of a bundle in a fresh Node process, as the Lambda runtime would.
 * Asynchronously: the SQS emulator runs in this process and must keep answering meanwhile.
 */
async function invoke<T>(bundle: string, event: unknown): Promise<T> {
  const out = join(outdir, `out-${Math.random().toString(36).slice(2)}.json`);
  const script = [
    `const { writeFileSync } = await import('node:fs');`,
    `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
    `writeFileSync(process.env.OUT, JSON.stringify(await m.handler(JSON.parse(process.env.EVENT), {})));`,
  ].join(' ');
  await promisify(execFile)(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    env: { ...env, EVENT: JSON.stringify(event), OUT: out },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(readFileSync(out, 'utf8')) as T;
}

describe('the synthesized bundles', () => {
  it('api accepts the sample post, projector folds it, api serves the status — as the local stack does', async () => {
    const post = sample<APIGatewayProxyEventV2>('apigw-post-events.json');
    post.headers.authorization = `Bearer ${ADMIN_KEY}`;
    const posted = await invoke<{ statusCode: number; body: string }>(bundles.api, post);
    expect(posted.statusCode).toBe(202);
    expect(JSON.parse(posted.body).results[0]).toMatchObject({ status: 'accepted', sequence: 1 });

    const received = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: env.PROJECTOR_QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(received.Messages?.map((m) => JSON.parse(m.Body!))).toEqual([{ subject: 'recipients/samsung' }]);
    const template = sample<SQSEvent>('sqs-projector.json');
    const batch: SQSEvent = { Records: [{ ...template.Records[0]!, body: received.Messages![0]!.Body! }, { ...template.Records[1]!, body: '{not json' }] };
    const projected = await invoke<{ batchItemFailures: { itemIdentifier: string }[] }>(bundles.projector, batch);
    expect(projected.batchItemFailures).toEqual([{ itemIdentifier: template.Records[1]!.messageId }]);

    const read = await invoke<{ statusCode: number; body: string }>(bundles.api, {
      ...post, routeKey: 'GET /v1/recipients/{id}', rawPath: '/v1/recipients/samsung', body: undefined,
      headers: { host: post.headers.host },
      requestContext: { ...post.requestContext, http: { ...post.requestContext.http, method: 'GET', path: '/v1/recipients/samsung' } },
    });
    expect(read.statusCode).toBe(200);
    expect(JSON.parse(read.body)).toMatchObject({ recipientId: 'samsung', shipped: 500, inTransit: 500, delivered: 0, sequence: 1 });
  });
});
