/**
 * What the CDK stack deploys, asserted on the synthesized template: each function's IAM
 * statements, environment, runtime and triggers; queues, tables and alarms against the
 * definitions in `src/tables.ts`; cdk-nag with no unacknowledged finding; bundle budgets.
 * The functions are bundled for real (esbuild, as `cdk synth` does).
 */
import { type CfnElement, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackerFunction } from '../../infra/constructs/tracker-function.ts';
import { createTrackerApp, type TrackerApp } from '../../infra/tracker-app.ts';
import type { TrackerStack } from '../../infra/tracker-stack.ts';
import { loadConfig } from '../../src/config.ts';
import { DELIVERY_QUEUE, EVENTS_TABLE, NOTIFIER_QUEUE, NOTIFY_TABLE, PROJECTOR_QUEUE, QUEUES, STATE_TABLE, TABLES } from '../../src/tables.ts';
import { BUNDLE_BUDGET_BYTES } from './bundle-budgets.ts';
import { LAMBDA_ENV, LAMBDA_RUNTIME_GLOBALS } from '../support/lambda-env.ts';
import { runtimeImports } from './bundle-imports.ts';
import { type Statement, allows, resourceName } from './iam-statements.ts';

const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

interface Synth extends TrackerApp {
  readonly template: Template;
  readonly outdir: string;
}

const outdirs: string[] = [];

function newOutdir(): string {
  const outdir = mkdtempSync(join(tmpdir(), 'tracker-cdk-'));
  outdirs.push(outdir);
  return outdir;
}

afterAll(() => {
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

function synth(context: Record<string, unknown> = {}): Synth {
  const outdir = newOutdir();
  const trackerApp = createTrackerApp({ outdir, context: { ...CDK_CONTEXT, ...context } });
  // Synthesizes the whole app, cdk-nag plugin included: throws on any unacknowledged finding.
  const template = Template.fromStack(trackerApp.stack);
  return { ...trackerApp, template, outdir };
}

const SYNTH_TIMEOUT = 180_000;

describe('tracker stack (dev)', () => {
  let dev: Synth;
  let stack: TrackerStack;
  let template: Template;
  /** `<Logical.Arn>`-style names of the resources, as `resourceName` renders template references. */
  let arn: {
    events: string; state: string; queue: string; dlq: string; secret: string;
    notify: string; notifierQueue: string; deliveryQueue: string; deliveryDlq: string;
  };
  let fns: {
    api: TrackerFunction; projector: TrackerFunction; reconciler: TrackerFunction;
    notifier: TrackerFunction; deliverer: TrackerFunction; 'retry-sweeper': TrackerFunction; stream: TrackerFunction;
  };

  /** Logical ID of a construct's CloudFormation resource. */
  const id = (construct: IConstruct): string =>
    stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement));
  const statementsOf = (fn: TrackerFunction): Statement[] => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: id(fn.role) }]) },
    });
    return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  };
  const functionProps = (fn: TrackerFunction) =>
    template.toJSON().Resources[id(fn.fn)].Properties as Record<string, any>;

  beforeAll(() => {
    dev = synth();
    stack = dev.stack;
    template = dev.template;
    fns = {
      api: stack.functions.api, projector: stack.functions.projector, reconciler: stack.functions.reconciler,
      notifier: stack.functions.notifier, deliverer: stack.functions.deliverer, 'retry-sweeper': stack.functions.retrySweeper,
      stream: stack.functions.stream,
    };
    arn = {
      events: `<${id(stack.tables.byId.Events)}.Arn>`,
      state: `<${id(stack.tables.byId.State)}.Arn>`,
      queue: `<${id(stack.queues.byId.Projector.queue)}.Arn>`,
      dlq: `<${id(stack.queues.byId.Projector.deadLetterQueue)}.Arn>`,
      secret: `<${id(stack.adminKey.secret)}>`,
      notify: `<${id(stack.tables.byId.Notify)}.Arn>`,
      notifierQueue: `<${id(stack.queues.byId.Notifier.queue)}.Arn>`,
      deliveryQueue: `<${id(stack.queues.byId.Delivery.queue)}.Arn>`,
      deliveryDlq: `<${id(stack.queues.byId.Delivery.deadLetterQueue)}.Arn>`,
    };
  }, SYNTH_TIMEOUT);

  describe('IAM: each function may do only what it uses', () => {
    const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
    // TransactWriteItems has no IAM action of its own: each item needs its own action on the table.
    const TRANSACT_APPEND = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];
    const READ = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'];

    it('api appends to Events (TransactWriteItems), reads State and its indexes, never writes State', () => {
      const s = statementsOf(fns.api);
      for (const action of [...TRANSACT_APPEND, ...READ]) expect(allows(s, action, arn.events), action).toBe(true);
      for (const action of READ) expect(allows(s, action, arn.state), action).toBe(true);
      expect(allows(s, 'dynamodb:Query', `${arn.state}/index/${STATE_TABLE.globalIndexes[0]!.name}`)).toBe(true);
      for (const action of WRITE) expect(allows(s, action, arn.state), action).toBe(false);
    });

    it('api sends to the projector queue but does not consume it', () => {
      const s = statementsOf(fns.api);
      expect(allows(s, 'sqs:SendMessage', arn.queue)).toBe(true);
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage']) expect(allows(s, action, arn.queue), action).toBe(false);
      expect(allows(s, 'sqs:SendMessage', arn.dlq)).toBe(false);
    });

    it('api reads the admin key secret; no other function can', () => {
      expect(allows(statementsOf(fns.api), 'secretsmanager:GetSecretValue', arn.secret)).toBe(true);
      for (const fn of [fns.projector, fns.reconciler, fns.notifier, fns.deliverer, fns['retry-sweeper']]) {
        expect(allows(statementsOf(fn), 'secretsmanager:GetSecretValue', arn.secret)).toBe(false);
      }
    });

    it('projector reads Events, writes State, consumes its queue and cannot send to any queue', () => {
      const s = statementsOf(fns.projector);
      for (const action of READ) expect(allows(s, action, arn.events), action).toBe(true);
      for (const action of WRITE) expect(allows(s, action, arn.events), action).toBe(false);
      for (const action of [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem']) {
        expect(allows(s, action, arn.state), action).toBe(true);
      }
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
        expect(allows(s, action, arn.queue), action).toBe(true);
      }
      expect(allows(s, 'sqs:SendMessage', '*')).toBe(false);
      expect(s.some((st) => st.Effect === 'Allow' && [st.Action].flat().includes('sqs:SendMessage'))).toBe(false);
    });

    it('stream reads the feed index of Events, writes no Events or State item and sends to no queue', () => {
      const s = statementsOf(fns.stream);
      expect(allows(s, 'dynamodb:Query', `${arn.events}/index/feed`)).toBe(true);
      for (const action of WRITE) expect(allows(s, action, arn.events)).toBe(false);
      for (const action of [...READ, ...WRITE]) expect(allows(s, action, arn.state)).toBe(false);
      expect(allows(s, 'sqs:SendMessage', arn.queue)).toBe(false);
      expect(allows(s, 'sqs:SendMessage', arn.notifierQueue)).toBe(false);
    });

    it('stream is served by a public Function URL with response streaming and lasts under the 15 min limit', () => {
      template.hasResourceProperties('AWS::Lambda::Url', {
        TargetFunctionArn: { 'Fn::GetAtt': [id(fns.stream.fn), 'Arn'] },
        AuthType: 'NONE',
        InvokeMode: 'RESPONSE_STREAM',
      });
      const props = functionProps(fns.stream);
      expect(props.Timeout).toBe(900);
      expect(Number(props.Environment.Variables.STREAM_MAX_SECONDS)).toBeLessThan(props.Timeout);
    });

    it('reconciler queries the Events gsi1 index, reads State, sends to the queue and writes no table', () => {
      const s = statementsOf(fns.reconciler);
      const gsi1 = EVENTS_TABLE.globalIndexes.find((i) => i.name === 'gsi1');
      expect(gsi1).toBeDefined();
      expect(allows(s, 'dynamodb:Query', `${arn.events}/index/${gsi1!.name}`)).toBe(true);
      for (const action of READ) {
        expect(allows(s, action, arn.events), action).toBe(true);
        expect(allows(s, action, arn.state), action).toBe(true);
      }
      for (const action of WRITE) {
        expect(allows(s, action, arn.events), action).toBe(false);
        expect(allows(s, action, arn.state), action).toBe(false);
      }
      expect(allows(s, 'sqs:SendMessage', arn.queue)).toBe(true);
      expect(allows(s, 'sqs:ReceiveMessage', arn.queue)).toBe(false);
    });

    it('api manages subscriptions (Notify), enqueues for the notifier and, for replays, the delivery queue', () => {
      const s = statementsOf(fns.api);
      for (const action of [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
        expect(allows(s, action, arn.notify), action).toBe(true);
      }
      for (const index of NOTIFY_TABLE.globalIndexes) expect(allows(s, 'dynamodb:Query', `${arn.notify}/index/${index.name}`), index.name).toBe(true);
      expect(allows(s, 'sqs:SendMessage', arn.notifierQueue)).toBe(true);
      expect(allows(s, 'sqs:SendMessage', arn.deliveryQueue)).toBe(true);
      expect(allows(s, 'sqs:SendMessage', arn.deliveryDlq)).toBe(false);
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage']) {
        expect(allows(s, action, arn.notifierQueue), action).toBe(false);
        expect(allows(s, action, arn.deliveryQueue), action).toBe(false);
      }
    });

    it('notifier reads Events, writes Notify, consumes its queue and sends only to the delivery queue', () => {
      const s = statementsOf(fns.notifier);
      for (const action of READ) expect(allows(s, action, arn.events), action).toBe(true);
      for (const action of WRITE) expect(allows(s, action, arn.events), action).toBe(false);
      for (const action of [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem']) expect(allows(s, action, arn.notify), action).toBe(true);
      for (const action of ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan']) expect(allows(s, action, arn.notify), action).toBe(false);
      for (const action of READ) expect(allows(s, action, arn.state), action).toBe(false);
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
        expect(allows(s, action, arn.notifierQueue), action).toBe(true);
      }
      expect(allows(s, 'sqs:SendMessage', arn.deliveryQueue)).toBe(true);
      for (const queue of [arn.queue, arn.notifierQueue, arn.deliveryDlq]) expect(allows(s, 'sqs:SendMessage', queue), queue).toBe(false);
    });

    it('deliverer reads and updates Notify only, consumes the delivery queue, re-sends to it and to its dead-letter queue', () => {
      const s = statementsOf(fns.deliverer);
      for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']) expect(allows(s, action, arn.notify), action).toBe(true);
      for (const action of ['dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:BatchWriteItem']) expect(allows(s, action, arn.notify), action).toBe(false);
      for (const table of [arn.events, arn.state]) for (const action of READ) expect(allows(s, action, table), action).toBe(false);
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage']) expect(allows(s, action, arn.deliveryQueue), action).toBe(true);
      expect(allows(s, 'sqs:SendMessage', arn.deliveryQueue)).toBe(true);
      expect(allows(s, 'sqs:SendMessage', arn.deliveryDlq)).toBe(true);
      expect(allows(s, 'sqs:SendMessage', arn.queue)).toBe(false);
      expect(allows(s, 'sqs:SendMessage', arn.notifierQueue)).toBe(false);
    });

    it('retry sweeper queries the due index, updates Notify and sends to the delivery queue, nothing else', () => {
      const s = statementsOf(fns['retry-sweeper']);
      expect(allows(s, 'dynamodb:Query', `${arn.notify}/index/due`)).toBe(true);
      expect(allows(s, 'dynamodb:UpdateItem', arn.notify)).toBe(true);
      for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem']) expect(allows(s, action, arn.notify), action).toBe(false);
      for (const table of [arn.events, arn.state]) expect(allows(s, 'dynamodb:Query', table)).toBe(false);
      expect(allows(s, 'sqs:SendMessage', arn.deliveryQueue)).toBe(true);
      expect(allows(s, 'sqs:ReceiveMessage', arn.deliveryQueue)).toBe(false);
      expect(allows(s, 'sqs:SendMessage', arn.deliveryDlq)).toBe(false);
    });

    it('reconciler reads notify watermarks and sends to the notifier queue', () => {
      const s = statementsOf(fns.reconciler);
      expect(allows(s, 'dynamodb:BatchGetItem', arn.notify)).toBe(true);
      for (const action of WRITE) expect(allows(s, action, arn.notify), action).toBe(false);
      expect(allows(s, 'sqs:SendMessage', arn.notifierQueue)).toBe(true);
      expect(allows(s, 'sqs:SendMessage', arn.deliveryQueue)).toBe(false);
    });

    it('no statement uses a wildcard action or a "*" resource, and no role has managed policies', () => {
      for (const fn of Object.values(fns)) {
        for (const statement of statementsOf(fn)) {
          expect([statement.Action].flat().filter((a) => a.includes('*'))).toEqual([]);
          expect([statement.Resource].flat()).not.toContain('*');
        }
        const role = template.toJSON().Resources[id(fn.role)].Properties;
        expect(role.ManagedPolicyArns).toBeUndefined();
        expect(role.AssumeRolePolicyDocument.Statement).toEqual([
          expect.objectContaining({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
        ]);
      }
    });

    it('each function writes only its own log group', () => {
      const all = Object.values(fns);
      for (const fn of all) {
        for (const other of all) {
          const logGroup = `<${id(other.logGroup)}.Arn>`;
          expect(allows(statementsOf(fn), 'logs:PutLogEvents', logGroup)).toBe(fn === other);
        }
      }
    });
  });

  describe('functions', () => {
    it('run on the newest Node.js runtime aws-cdk-lib offers, on arm64, with ESM bundles', () => {
      const newest = newestNodeRuntime();
      for (const fn of Object.values(fns)) {
        const props = functionProps(fn);
        expect(props.Runtime).toBe(newest);
        expect(props.Architectures).toEqual(['arm64']);
        expect(props.Handler).toBe('index.handler');
        expect(props.LoggingConfig).toEqual({ LogGroup: { Ref: id(fn.logGroup) } });
      }
    });

    it('get every setting config.ts requires, the service name and source maps', () => {
      for (const fn of Object.values(fns)) {
        const vars = functionProps(fn).Environment.Variables as Record<string, unknown>;
        expect(vars).toMatchObject({
          EVENTS_TABLE: { Ref: id(stack.tables.byId.Events) },
          STATE_TABLE: { Ref: id(stack.tables.byId.State) },
          KEYS_TABLE: { Ref: id(stack.tables.byId.Keys) },
          PROJECTOR_QUEUE_URL: { Ref: id(stack.queues.byId.Projector.queue) },
          NOTIFY_TABLE: { Ref: id(stack.tables.byId.Notify) },
          NOTIFIER_QUEUE_URL: { Ref: id(stack.queues.byId.Notifier.queue) },
          DELIVERY_QUEUE_URL: { Ref: id(stack.queues.byId.Delivery.queue) },
          DELIVERY_DLQ_URL: { Ref: id(stack.queues.byId.Delivery.deadLetterQueue) },
          POWERTOOLS_SERVICE_NAME: 'gpu-policy-tracker',
          POWERTOOLS_METRICS_NAMESPACE: 'GpuPolicyTracker',
          NODE_OPTIONS: '--enable-source-maps',
        });
        // The same schema the function runs at start accepts the environment (tokens stand in as strings).
        const asStrings = Object.fromEntries(
          Object.entries(vars).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved-${k}`]),
        );
        expect(() => loadConfig(asStrings)).not.toThrow();
      }
      const api = functionProps(fns.api).Environment.Variables;
      expect(api.TRACKER_ADMIN_SECRET_ARN).toEqual({ Ref: id(stack.adminKey.secret) });
      const reconciler = functionProps(fns.reconciler).Environment.Variables;
      expect(reconciler.RECONCILE_GRACE_SECONDS).toBe('30');
      expect(functionProps(fns.projector).Environment.Variables.TRACKER_ADMIN_SECRET_ARN).toBeUndefined();
    });

    it('projector consumes its queue with partial batch responses and the batch settings of src/tables.ts', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: id(fns.projector.fn) },
        EventSourceArn: { 'Fn::GetAtt': [id(stack.queues.byId.Projector.queue), 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: PROJECTOR_QUEUE.batchSize,
        MaximumBatchingWindowInSeconds: PROJECTOR_QUEUE.maxBatchingWindowSeconds,
        ScalingConfig: { MaximumConcurrency: PROJECTOR_QUEUE.maxConcurrency },
      });
      expect(functionProps(fns.projector).Timeout).toBe(PROJECTOR_QUEUE.consumerTimeoutSeconds);
    });

    it('notifier and deliverer consume their queues with partial batch responses and the settings of src/tables.ts', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: id(fns.notifier.fn) },
        EventSourceArn: { 'Fn::GetAtt': [id(stack.queues.byId.Notifier.queue), 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: NOTIFIER_QUEUE.batchSize,
        MaximumBatchingWindowInSeconds: NOTIFIER_QUEUE.maxBatchingWindowSeconds,
        ScalingConfig: { MaximumConcurrency: NOTIFIER_QUEUE.maxConcurrency },
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: id(fns.deliverer.fn) },
        EventSourceArn: { 'Fn::GetAtt': [id(stack.queues.byId.Delivery.queue), 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: DELIVERY_QUEUE.batchSize,
        ScalingConfig: { MaximumConcurrency: DELIVERY_QUEUE.maxConcurrency },
      });
      expect(functionProps(fns.notifier).Timeout).toBe(NOTIFIER_QUEUE.consumerTimeoutSeconds);
      expect(functionProps(fns.deliverer).Timeout).toBe(DELIVERY_QUEUE.consumerTimeoutSeconds);
    });

    it('retry sweeper runs every minute', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id(fns['retry-sweeper'].fn), 'Arn'] } })],
      });
    });

    it('reconciler runs every minute', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id(fns.reconciler.fn), 'Arn'] } })],
      });
    });

    it('bundles are minified ESM with the AWS SDK inside, source maps beside, within budget', () => {
      for (const [name, fn] of Object.entries(fns)) {
        const dir = assetDir(dev.outdir, functionProps(fn).Code.S3Key);
        const bundle = readFileSync(join(dir, 'index.mjs'), 'utf8');
        expect(bundle.startsWith('import { createRequire'), `${name}: require banner`).toBe(true);
        // Nothing but Node built-ins is loaded at run time: the AWS SDK is inside, not the runtime's copy.
        const external = runtimeImports(join(dir, 'index.mjs')).filter((path) => !isBuiltin(path));
        expect(external, `${name}: run-time imports`).toEqual([]);
        expect(bundle.includes('smithy.ts.sdk.synthetic'), `${name}: bundles the AWS SDK`).toBe(true);
        // The SDK's default credential chain is replaced by the Lambda runtime's environment credentials.
        expect(bundle.includes('infra/bundling/lambda-credentials.ts'), `${name}: environment credentials`).toBe(true);
        expect(bundle.includes('defaultProvider::fromSSO'), `${name}: no default credential chain`).toBe(false);
        expect(statSync(join(dir, 'index.mjs.map')).size).toBeGreaterThan(0);
        const budget = BUNDLE_BUDGET_BYTES[name as keyof typeof BUNDLE_BUDGET_BYTES];
        expect(Buffer.byteLength(bundle), `${name} bundle bytes (budget ${budget})`).toBeLessThanOrEqual(budget);
      }
    });

    it('bundles load as ES modules in Node and export a handler function', () => {
      for (const [name, fn] of Object.entries(fns)) {
        const file = join(assetDir(dev.outdir, functionProps(fn).Code.S3Key), 'index.mjs');
        const script = `${LAMBDA_RUNTIME_GLOBALS} const m = await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(typeof m.handler);`;
        const out = execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
          env: LAMBDA_ENV,
          encoding: 'utf8',
          timeout: 30_000,
        });
        expect(out, name).toBe('function');
      }
    }, SYNTH_TIMEOUT);
  });

  describe('queues', () => {
    it.each(QUEUES.map((q) => [q.id, q] as const))('%s: encrypted, TLS only, redrive and retention from src/tables.ts', (queueId, def) => {
      const { queue, deadLetterQueue } = stack.queues.byId[queueId];
      const resources = template.toJSON().Resources;
      expect(def.maxReceiveCount).toBeGreaterThanOrEqual(5);
      expect(resources[id(queue)].Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: def.visibilityTimeoutSeconds,
        MessageRetentionPeriod: def.retentionDays * 86_400,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [id(deadLetterQueue), 'Arn'] },
          maxReceiveCount: def.maxReceiveCount,
        },
      });
      expect(resources[id(deadLetterQueue)].Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 86_400,
      });
      for (const q of [queue, deadLetterQueue]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: id(q) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it('projector queue visibility is at least 6 × the projector function timeout', () => {
      const timeout = functionProps(fns.projector).Timeout as number;
      const visibility = template.toJSON().Resources[id(stack.queues.byId.Projector.queue)].Properties.VisibilityTimeout;
      expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
    });
  });

  describe('tables', () => {
    it.each(TABLES.map((t) => [t.id, t] as const))('%s: keys and indexes equal src/tables.ts', (tableId, def) => {
      const props = template.toJSON().Resources[id(stack.tables.byId[tableId])].Properties;
      expect(props.KeySchema).toEqual([
        { AttributeName: def.partitionKey, KeyType: 'HASH' },
        { AttributeName: def.sortKey, KeyType: 'RANGE' },
      ]);
      expect(props.GlobalSecondaryIndexes ?? []).toEqual(
        def.globalIndexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: index.projection },
        })),
      );
      const keyNames = [def.partitionKey, def.sortKey, ...def.globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey])];
      expect(props.AttributeDefinitions).toEqual(
        [...new Set(keyNames)].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      );
      expect(props).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
      const ttl = 'ttlAttribute' in def ? (def.ttlAttribute as string | undefined) : undefined;
      expect(props.TimeToLiveSpecification).toEqual(ttl ? { AttributeName: ttl, Enabled: true } : undefined);
    });

    it('dev tables are deleted with the stack and have no deletion protection', () => {
      for (const table of Object.values(stack.tables.byId)) {
        const resource = template.toJSON().Resources[id(table)];
        expect(resource.DeletionPolicy).toBe('Delete');
        expect(resource.Properties.DeletionProtectionEnabled).toBe(false);
      }
    });
  });

  describe('HTTP API', () => {
    it('sends every route to the api function with payload format 2.0', () => {
      const apiId = id(stack.api.httpApi);
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        ApiId: { Ref: apiId },
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [id(fns.api.fn), 'Arn'] },
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { ApiId: { Ref: apiId }, RouteKey: '$default' });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [id(fns.api.fn), 'Arn'] },
        Principal: 'apigateway.amazonaws.com',
      });
    });

    it('the $default stage throttles as the context says and writes JSON access logs', () => {
      const props = template.toJSON().Resources[id(stack.api.stage)].Properties;
      expect(props).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: CDK_CONTEXT.apiThrottleRateLimit,
          ThrottlingBurstLimit: CDK_CONTEXT.apiThrottleBurstLimit,
        },
        AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [id(stack.api.accessLogs), 'Arn'] } },
      });
      expect(JSON.parse(props.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    });

    it('outputs the API URL', () => {
      template.hasOutput('ApiUrl', { Value: Match.anyValue() });
    });

    it('the admin key is generated by Secrets Manager, never written into the template', () => {
      const props = template.toJSON().Resources[id(stack.adminKey.secret)].Properties;
      expect(props.GenerateSecretString).toBeDefined();
      expect(props.SecretString).toBeUndefined();
    });
  });

  describe('alarms', () => {
    const alarmOn = (namespace: string, metricName: string, dimensions: unknown[], extra: Record<string, unknown> = {}) =>
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: namespace,
        MetricName: metricName,
        Dimensions: dimensions,
        ComparisonOperator: 'GreaterThanThreshold',
        ...extra,
      });

    it.each(QUEUES.map((q) => [q.id] as const))('%s dead-letter queue: any message alarms', (queueId) => {
      const dlq = stack.queues.byId[queueId].deadLetterQueue;
      alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [id(dlq), 'QueueName'] } },
      ], { Threshold: 0 });
    });

    it('every function: any error or throttle alarms', () => {
      for (const fn of Object.values(fns)) {
        for (const metric of ['Errors', 'Throttles']) {
          alarmOn('AWS/Lambda', metric, [{ Name: 'FunctionName', Value: { Ref: id(fn.fn) } }], { Threshold: 0 });
        }
      }
    });

    it('API: any 5xx, and p99 latency over the context limit', () => {
      const dims = [
        { Name: 'ApiId', Value: { Ref: id(stack.api.httpApi) } },
        { Name: 'Stage', Value: '$default' },
      ];
      alarmOn('AWS/ApiGateway', '5xx', dims, { Threshold: 0 });
      alarmOn('AWS/ApiGateway', 'Latency', dims, {
        ExtendedStatistic: 'p99',
        Threshold: CDK_CONTEXT.apiP99LatencyAlarmMs,
      });
    });

    it('the dashboard graphs every function, queue, dead-letter queue, table and the API', () => {
      const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0];
      const body = resourceName(dashboard?.Properties.DashboardBody);
      const shown = [
        ...Object.values(fns).map((fn) => `<${id(fn.fn)}>`),
        ...Object.values(stack.queues.byId).flatMap((q) => [
          `<${id(q.queue)}.QueueName>`,
          `<${id(q.deadLetterQueue)}.QueueName>`,
        ]),
        ...Object.values(stack.tables.byId).map((t) => `<${id(t)}>`),
        `<${id(stack.api.httpApi)}>`,
      ];
      for (const name of shown) expect(body, name).toContain(name);
    });
  });

  describe('cdk-nag (AwsSolutions)', () => {
    it('leaves no finding unacknowledged', () => {
      const report = new AwsSolutionsChecks().validateScope(dev.app);
      expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual([]);
      expect(report.success).toBe(true);
    });

    it('every acknowledgement names an exact AwsSolutions rule, carries a reason and matches a real finding', () => {
      const acknowledged = acknowledgements(dev.app);
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const ack of acknowledged) {
        expect(ack.rule).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
        expect(ack.reason.length, ack.rule).toBeGreaterThan(40);
      }
      // The same app built with acknowledgements ignored: every acknowledgement must cover a real finding.
      const findings = findingsWithoutAcknowledgements();
      for (const ack of acknowledged) {
        const covered = findings.some((f) => f.rule === ack.rule && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
        expect(covered, `${ack.rule} at ${ack.path} acknowledges nothing`).toBe(true);
      }
    }, SYNTH_TIMEOUT);
  });
});

describe('tracker stack (prod)', () => {
  let prod: Synth;
  beforeAll(() => {
    prod = synth({ stage: 'prod' });
  }, SYNTH_TIMEOUT);

  it('tables, queues, logs and the secret survive stack deletion; tables are deletion-protected', () => {
    const resources = prod.template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string; Properties: any }>;
    const kept = ['AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup', 'AWS::SecretsManager::Secret'];
    for (const resource of Object.values(resources).filter((r) => kept.includes(r.Type))) {
      expect(resource.DeletionPolicy, resource.Type).toBe('Retain');
    }
    for (const resource of Object.values(resources).filter((r) => r.Type === 'AWS::DynamoDB::Table')) {
      expect(resource.Properties.DeletionProtectionEnabled).toBe(true);
    }
    expect(prod.stack.stackName).toBe('GpuPolicyTracker-prod');
  });
});

describe('settings', () => {
  it('reject an unknown stage or a malformed number before building anything', () => {
    expect(() => createTrackerApp({ context: { ...CDK_CONTEXT, stage: 'qa' } })).toThrow(/stage/);
    expect(() => createTrackerApp({ context: { ...CDK_CONTEXT, logRetentionDays: '8' } })).toThrow(/logRetentionDays/);
  });
});

function newestNodeRuntime(): string {
  const versions = Object.values(Runtime)
    .filter((r): r is Runtime => r instanceof Runtime)
    .map((r) => /^nodejs(\d+)\.x$/.exec(r.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  return `nodejs${Math.max(...versions)}.x`;
}

function assetDir(outdir: string, s3Key: unknown): string {
  const key = typeof s3Key === 'string' ? s3Key : resourceName(s3Key);
  return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

interface Acknowledgement {
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
}

function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([rule, reason]) => ({
          path: c.node.path,
          rule: rule.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

function findingsWithoutAcknowledgements(): { rule: string; path: string }[] {
  const acknowledge = Validations.prototype.acknowledge;
  Validations.prototype.acknowledge = () => undefined;
  try {
    const { app } = createTrackerApp({ outdir: newOutdir(), context: CDK_CONTEXT });
    return new AwsSolutionsChecks()
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })));
  } finally {
    Validations.prototype.acknowledge = acknowledge;
  }
}
