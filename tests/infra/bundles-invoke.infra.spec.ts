/**
 * The real bundles the synth produces (esbuild output in the CDK out dir), invoked the way Lambda
 * invokes them — API Gateway v2 and SQS events from events/samples — against DynamoDB Local and
 * fauxqs, each in a fresh Node process: they do what the local stack does. And the AWS path of the
 * admin key: the bundled SDK, with the bundles' own credential provider (the Lambda runtime's
 * environment credentials), signs a Secrets Manager call.
 */
import { execFile } from 'node:child_process';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
async function invoke<T>(bundle: string, event: unknown, envOverrides: Record<string, string | undefined> = {}): Promise<T> {
  const out = join(outdir, `out-${Math.random().toString(36).slice(2)}.json`);
  const script = [
    `const { writeFileSync } = await import('node:fs');`,
    `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
    `writeFileSync(process.env.OUT, JSON.stringify(await m.handler(JSON.parse(process.env.EVENT), {})));`,
  ].join(' ');
  await promisify(execFile)(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    env: withoutUndefined({ ...env, ...envOverrides, EVENT: JSON.stringify(event), OUT: out }),
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(readFileSync(out, 'utf8')) as T;
}

function withoutUndefined(vars: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).filter((entry): entry is [string, string] => entry[1] !== undefined));
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
  it('api reads the admin key from Secrets Manager, signing with the environment credentials the Lambda runtime sets', async () => {
    const secretKey = 'bundle-test-secret-admin-key-0123456789';
    const calls: { target: string | undefined; authorization: string | undefined; token: string | undefined; body: string }[] = [];
    // Stands in for Secrets Manager: answers GetSecretValue (JSON 1.1) and records how it was called.
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const header = (name: keyof IncomingHttpHeaders) => req.headers[name] as string | undefined;
        calls.push({ target: header('x-amz-target'), authorization: header('authorization'), token: header('x-amz-security-token'), body });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-AbCdEf', Name: 'admin', SecretString: secretKey, VersionId: 'v1' }));
      });
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    try {
      const post = sample<APIGatewayProxyEventV2>('apigw-post-events.json');
      post.headers.authorization = `Bearer ${secretKey}`;
      const posted = await invoke<{ statusCode: number; body: string }>(bundles.api, post, {
        TRACKER_ADMIN_KEY: undefined,
        TRACKER_ADMIN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-AbCdEf',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        AWS_ACCESS_KEY_ID: 'ASIABUNDLETEST', AWS_SECRET_ACCESS_KEY: 'bundle-test-secret', AWS_SESSION_TOKEN: 'bundle-test-session',
      });
      expect(posted.statusCode, posted.body).toBe(202);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.target).toBe('secretsmanager.GetSecretValue');
      expect(JSON.parse(calls[0]!.body)).toMatchObject({ SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-AbCdEf' });
      expect(calls[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIABUNDLETEST\/\d{8}\/us-east-1\/secretsmanager\/aws4_request/);
      expect(calls[0]!.token).toBe('bundle-test-session');

      // Without the runtime's credentials the bundle says where they were expected, instead of trying a profile or IMDS.
      const refused = await invoke<{ statusCode: number }>(bundles.api, post, {
        TRACKER_ADMIN_KEY: undefined,
        TRACKER_ADMIN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-AbCdEf',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined,
      });
      expect(refused.statusCode).toBeGreaterThanOrEqual(500);
      expect(calls).toHaveLength(1);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});
