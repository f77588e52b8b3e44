/**
 * One Lambda function as every tracker function is built: an esbuild ESM bundle of a
 * `functions/<name>/handler.ts` entry with the AWS SDK inside (not the runtime's copy), minified
 * with source maps, arm64 on the newest Node runtime, its own log group and its own role that
 * starts with nothing but the right to write that log group. Callers add grants.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { BUNDLE_ALIASES, ESBUILD_TARGET, ESM_REQUIRE_BANNER, MAIN_FIELDS } from '../bundling/esbuild.ts';

/** Newest Node.js runtime aws-cdk-lib offers (cdk-nag AwsSolutions-L1 checks this too). */
export const NODE_RUNTIME = Runtime.NODEJS_24_X;

/** CloudWatch namespace of the Powertools metrics (accepted, duplicate, projected, …). */
export const METRICS_NAMESPACE = 'GpuPolicyTracker';

/** The project root: entries, `package-lock.json` and `tsconfig.json` live there. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface TrackerFunctionProps {
  /** Directory under `functions/`, e.g. `api`; the entry is `functions/<name>/handler.ts`. */
  readonly name: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export class TrackerFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: TrackerFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // An own role instead of the default one: the default attaches the AWS managed
    // AWSLambdaBasicExecutionRole (create and write any log group); this one writes one log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the tracker's ${props.name} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}functions/${props.name}/handler.ts`,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: NODE_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'gpu-policy-tracker',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: ESBUILD_TARGET,
        mainFields: MAIN_FIELDS,
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Stack traces need only the mappings; leaving the sources out keeps the .map file small.
        sourcesContent: false,
        // Bundle the AWS SDK: the version we tested ships, not whatever the runtime carries that day.
        externalModules: [],
        // Lambda-only replacements of SDK parts the runtime makes dead weight (see BUNDLE_ALIASES).
        esbuildArgs: { '--alias': Object.entries(BUNDLE_ALIASES).map(([pkg, file]) => `${pkg}=${file}`) },
        tsconfig: `${PROJECT_ROOT}tsconfig.json`,
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
      },
    });
  }
}
