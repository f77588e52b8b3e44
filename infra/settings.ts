/**
 * Deployment settings, read once from CDK context (`cdk.json` defaults, `-c key=value` overrides)
 * and validated with zod, so a typo in a `-c` flag fails the synth with a message naming it.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import * as z from 'zod';

const RETENTION_DAYS = new Set<number>(Object.values(RetentionDays).filter((v) => typeof v === 'number'));

const SettingsSchema = z.object({
  /** `prod` keeps data on stack deletion (RETAIN) and turns on table deletion protection. */
  stage: z.enum(['dev', 'prod']).default('dev'),
  /** Default-stage throttling of the HTTP API, requests per second (steady) and burst. */
  apiThrottleRateLimit: z.coerce.number().positive().default(50),
  apiThrottleBurstLimit: z.coerce.number().int().positive().default(100),
  /** Retention of every log group (functions and API access logs); a CloudWatch-supported value. */
  logRetentionDays: z.coerce
    .number()
    .int()
    .refine((d) => RETENTION_DAYS.has(d), 'not a retention CloudWatch Logs supports (1, 3, 5, 7, 14, 30, 60, 90, …)')
    .default(30),
  /** API p99 latency (ms) above which the latency alarm fires. */
  apiP99LatencyAlarmMs: z.coerce.number().int().positive().default(3000),
  /** Existing SNS topic every alarm notifies; unset: alarms only show in CloudWatch. */
  alarmTopicArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:/, 'must be an SNS topic ARN')
    .optional(),
});

export type TrackerSettings = z.infer<typeof SettingsSchema>;
export type Stage = TrackerSettings['stage'];

const KEYS = Object.keys(SettingsSchema.shape) as (keyof TrackerSettings)[];

export function readSettings(node: Node): TrackerSettings {
  const raw = Object.fromEntries(KEYS.map((key) => [key, emptyToUndefined(node.tryGetContext(key))]));
  const parsed = SettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid CDK context: ${detail}`);
  }
  return parsed.data;
}

function emptyToUndefined(value: unknown): unknown {
  return value === '' || value === null ? undefined : value;
}
