/**
 * The one place that reads the environment. Validated with zod at start; a missing or malformed
 * setting fails fast with a message naming it. Lambda entries call `loadConfig()` once at module load.
 */
import * as z from 'zod';

const ConfigSchema = z.object({
  EVENTS_TABLE: z.string().min(1),
  STATE_TABLE: z.string().min(1),
  KEYS_TABLE: z.string().min(1),
  PROJECTOR_QUEUE_URL: z.string().min(1),
  /** Subscriptions, notify watermarks and webhook deliveries. */
  NOTIFY_TABLE: z.string().min(1),
  /** The notifier's queue: gets the same `{subject}` message as the projector's after every write. */
  NOTIFIER_QUEUE_URL: z.string().min(1),
  /** One message per webhook attempt, and its dead-letter queue (exhausted deliveries are copied there). */
  DELIVERY_QUEUE_URL: z.string().min(1),
  DELIVERY_DLQ_URL: z.string().min(1),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Local only: DynamoDB Local and the SQS emulator. Unset on AWS. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  SQS_ENDPOINT: z.url().optional(),
  /** Seconds a subject's head may be ahead of its projection before the reconciler re-enqueues it. */
  RECONCILE_GRACE_SECONDS: z.coerce.number().int().min(0).default(30),
  /** The admin key itself (local), or the ARN of the secret holding it (AWS). */
  TRACKER_ADMIN_KEY: z.string().min(16).optional(),
  TRACKER_ADMIN_SECRET_ARN: z.string().min(1).optional(),
  /** The feed serves events older than this many seconds (a settled horizon no commit can fall behind). */
  FEED_SETTLE_SECONDS: z.coerce.number().min(0).max(60).default(5),
  /** How long one `GET /v1/stream` response lasts before the client reconnects (0: no limit). */
  STREAM_MAX_SECONDS: z.coerce.number().int().min(0).default(0),
  /** `1`: reads need a key too (a private deployment). Default: reads are public. */
  TRACKER_READS_REQUIRE_KEY: z.enum(['0', '1']).default('0'),
  /** `1` (local use only): webhook URLs may be `http://` and resolve to loopback or private addresses. */
  TRACKER_ALLOW_PRIVATE_WEBHOOKS: z.enum(['0', '1']).default('0'),
  /** Factor on every webhook retry delay (tests and local use shrink the three-day schedule). */
  TRACKER_WEBHOOK_RETRY_SCALE: z.coerce.number().positive().default(1),
});

export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(ConfigSchema, env);
}

/** Parses the environment with a schema, failing fast with every bad setting named. */
function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${detail}`);
  }
  return parsed.data;
}

/** `npm start`'s settings (CONTRACT §7). */
const LocalConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  TRACKER_DATA_DIR: z.string().min(1).default('.data/'),
  TRACKER_SEED: z.enum(['0', '1', 'demo']).default('1'),
  TRACKER_ADMIN_KEY: z.string().min(1).optional(),
  TRACKER_ALLOW_PRIVATE_WEBHOOKS: z.enum(['0', '1']).default('0'),
  TRACKER_WEBHOOK_RETRY_SCALE: z.coerce.number().positive().default(1),
});

export type LocalConfig = z.infer<typeof LocalConfigSchema>;

export function loadLocalConfig(env: Record<string, string | undefined> = process.env): LocalConfig {
  return parseEnv(LocalConfigSchema, env);
}
