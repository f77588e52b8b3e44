/**
 * The whole tracker on AWS: tables and queues from `src/tables.ts`, the admin key's secret, the
 * three functions, the HTTP API, alarms and a dashboard. Environment-agnostic: the account and
 * region come from the deploying credentials, so `cdk synth` needs none.
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TrackerApi } from './constructs/api.ts';
import { AdminKey } from './constructs/admin-key.ts';
import { TrackerFunctions } from './constructs/functions.ts';
import { TrackerMonitoring } from './constructs/monitoring.ts';
import { WorkQueues } from './constructs/queues.ts';
import { TrackerTables } from './constructs/tables.ts';
import type { TrackerSettings } from './settings.ts';

export interface TrackerStackProps extends StackProps {
  readonly settings: TrackerSettings;
}

export class TrackerStack extends Stack {
  readonly tables: TrackerTables;
  readonly queues: WorkQueues;
  readonly adminKey: AdminKey;
  readonly functions: TrackerFunctions;
  readonly api: TrackerApi;
  readonly monitoring: TrackerMonitoring;

  constructor(scope: Construct, id: string, props: TrackerStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const { stage } = settings;
    const removalPolicy = stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    Tags.of(this).add('project', 'gpu-policy-tracker');
    Tags.of(this).add('stage', stage);

    this.tables = new TrackerTables(this, 'Tables', { stage });
    this.queues = new WorkQueues(this, 'Queues', { stage });
    this.adminKey = new AdminKey(this, 'AdminKey', { stage });
    this.functions = new TrackerFunctions(this, 'Functions', {
      stage,
      tables: this.tables.byId,
      queues: this.queues.byId,
      adminKey: this.adminKey.secret,
      logRetention: settings.logRetentionDays,
    });
    this.api = new TrackerApi(this, 'Api', {
      handler: this.functions.api.fn,
      throttle: { rateLimit: settings.apiThrottleRateLimit, burstLimit: settings.apiThrottleBurstLimit },
      logRetention: settings.logRetentionDays,
      removalPolicy,
    });
    this.monitoring = new TrackerMonitoring(this, 'Monitoring', {
      functions: {
        Api: this.functions.api.fn,
        Projector: this.functions.projector.fn,
        Reconciler: this.functions.reconciler.fn,
        Notifier: this.functions.notifier.fn,
        Deliverer: this.functions.deliverer.fn,
        RetrySweeper: this.functions.retrySweeper.fn,
        Stream: this.functions.stream.fn,
      },
      queues: Object.values(this.queues.byId),
      tables: Object.values(this.tables.byId),
      apiStage: this.api.stage,
      apiP99LatencyAlarmMs: settings.apiP99LatencyAlarmMs,
      ...(settings.alarmTopicArn ? { alarmTopicArn: settings.alarmTopicArn } : {}),
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the tracker API', value: this.api.stage.url });
    new CfnOutput(this, 'StreamUrl', {
      description: 'Base URL for GET /v1/stream (Server-Sent Events over Lambda response streaming)',
      value: this.functions.streamUrl.url,
    });
    new CfnOutput(this, 'AdminKeySecretArn', {
      description: 'Secrets Manager secret holding the admin key (aws secretsmanager get-secret-value --secret-id <arn>)',
      value: this.adminKey.secret.secretArn,
    });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}
