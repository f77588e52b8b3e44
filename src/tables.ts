/**
 * Table and queue definitions, written once and used by the code, the local stack and the CDK
 * stack (`infra/`), so keys and queue settings can never drift apart.
 *
 * Key builders live here too: building a key is separate from sending a request, so the key
 * design is unit-tested without a network.
 */

export interface TableDefinition {
  /** Logical name; the physical name comes from configuration (`EVENTS_TABLE`, `STATE_TABLE`). */
  readonly id: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly globalIndexes: readonly {
    readonly name: string;
    readonly partitionKey: string;
    readonly sortKey: string;
    readonly projection: 'KEYS_ONLY' | 'ALL';
  }[];
  /** Attribute holding an epoch-seconds expiry, where items expire. */
  readonly ttlAttribute?: string;
}

/**
 * The event log (source of truth). Items:
 * - log item   pk `S#{subject}`            sk `{sequence, 10 digits}`  the event as posted + sequence, recordedAt
 * - head item  pk `S#{subject}`            sk `HEAD`                   last sequence of the subject (gap-free counter)
 * - id item    pk `E#["{source}","{id}"]`  sk `ID`                     content hash, subject, sequence: idempotency
 * The head carries `gsi1pk = SUBJECTS#{shard}` / `gsi1sk = subject` (KEYS_ONLY, written only when the
 * subject is first seen) so the reconciler can list every subject without a scan.
 * Log items carry `gsi2pk = FEED#{hour of recordedAt}` / `gsi2sk = {recordedAt}#{subject}#{sequence}`:
 * the `feed` index, every accepted event in acceptance order, one partition per hour.
 */
export const EVENTS_TABLE = {
  id: 'Events',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [
    { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'KEYS_ONLY' },
    { name: 'feed', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'ALL' },
  ],
} as const satisfies TableDefinition;

/**
 * Projections (derived, rebuildable from the log). Items:
 * - status item  pk `R#{recipientId}` | `M#{mouId}`  sk `STATUS`  folded state, `appliedSeq` watermark
 * - key item     pk `R#{recipientId}`                sk `K#{kind}#{key}`  candidates of one program, order or shipment
 * Status items carry `gsi1pk = recipients | mous` / `gsi1sk = id` (ALL) for listing and national totals.
 */
export const STATE_TABLE = {
  id: 'State',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' }],
} as const satisfies TableDefinition;

/**
 * API keys and rate-limit windows. Items:
 * - key     pk `KEYS`             sk `{keyId}`        name, role, scopes, SHA-256 of the secret, revokedAt
 * - window  pk `RATE#{keyId}`     sk `{window start}`  request count in a one-minute window; expires (TTL)
 * Keys are few and read through a short per-process cache, so one partition serves them all.
 */
export const KEYS_TABLE = {
  id: 'Keys',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [],
  ttlAttribute: 'expiresAt',
} as const satisfies TableDefinition;

/**
 * Subscriptions and webhook notifications (CONTRACT §6). Items:
 * - subscription  pk `SUB#{id}`               sk `SUB`                  owner key id, url, types, recipients, secret, status
 * - watermark     pk `NW#{subject}`           sk `NW`                   `seq`: last sequence of the subject fanned out
 * - snapshot      pk `NS#R#{recipientId}` | `NS#M#{mouId}`  sk `STATUS` / `K#{kind}#{key}`: the notifier's
 *                 own projection (same items as the State table's), at or behind the watermark, from
 *                 which the status after each fanned-out event is folded without reading the log from 1
 * - delivery      pk `DLV#{subscriptionId}`   sk `{recordedAt}#{webhookId}`  payload, state, attempts, next attempt
 * Indexes: `owner` (`ownerPk = OWNER#{keyId}`, `ownerSk = {createdAt}#{id}`) lists a key's
 * subscriptions; `all` (`allPk = SUBS`, `allSk = id`) lists every subscription for the notifier and
 * admins; `due` (sparse, KEYS_ONLY: `duePk = DUE#{shard}`, `dueSk = {due time}#{webhookId}`) holds
 * every pending delivery with the time by which it must be (re)tried, and is swept every minute.
 */
export const NOTIFY_TABLE = {
  id: 'Notify',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [
    { name: 'owner', partitionKey: 'ownerPk', sortKey: 'ownerSk', projection: 'ALL' },
    { name: 'all', partitionKey: 'allPk', sortKey: 'allSk', projection: 'ALL' },
    { name: 'due', partitionKey: 'duePk', sortKey: 'dueSk', projection: 'KEYS_ONLY' },
  ],
} as const satisfies TableDefinition;

export const TABLES = [EVENTS_TABLE, STATE_TABLE, KEYS_TABLE, NOTIFY_TABLE] as const;

export interface QueueDefinition {
  readonly id: string;
  /** Seconds; at least 6 × the consumer's timeout, as AWS recommends for Lambda event sources. */
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  /** The consumer's batch settings (the local poller uses the same). */
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly consumerTimeoutSeconds: number;
  readonly maxConcurrency: number;
}

/** Work for the projector: `{ "subject": "recipients/samsung" }`, meaning "catch up on this subject". */
export const PROJECTOR_QUEUE = {
  id: 'Projector',
  visibilityTimeoutSeconds: 180,
  maxReceiveCount: 5,
  retentionDays: 14,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
  consumerTimeoutSeconds: 30,
  maxConcurrency: 10,
} as const satisfies QueueDefinition;

/**
 * Work for the notifier: the same `{ "subject" }` message as the projector's, sent by the same
 * enqueue, meaning "fan out this subject's events after its notify watermark".
 */
export const NOTIFIER_QUEUE = {
  id: 'Notifier',
  visibilityTimeoutSeconds: 360,
  maxReceiveCount: 5,
  retentionDays: 14,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
  consumerTimeoutSeconds: 60,
  maxConcurrency: 5,
} as const satisfies QueueDefinition;

/**
 * One message per webhook attempt: `{ "subscriptionId", "key" }` (the delivery item's sort key),
 * possibly delayed (SQS `DelaySeconds`, at most 15 minutes). Records of a batch are sent in
 * parallel, each bounded by a 15 s timeout, so one slow endpoint never holds up another.
 */
export const DELIVERY_QUEUE = {
  id: 'Delivery',
  visibilityTimeoutSeconds: 360,
  maxReceiveCount: 5,
  retentionDays: 14,
  batchSize: 10,
  maxBatchingWindowSeconds: 0,
  consumerTimeoutSeconds: 60,
  maxConcurrency: 20,
} as const satisfies QueueDefinition;

export const QUEUES = [PROJECTOR_QUEUE, NOTIFIER_QUEUE, DELIVERY_QUEUE] as const;

/** Number of GSI partitions the subject list is spread over (keeps the index from one hot key). */
export const SUBJECT_SHARDS = 8;

/** Number of partitions of the `due` index of deliveries (the sweeper queries each). */
export const DUE_SHARDS = 8;

const SEQ_WIDTH = 10;

export const keys = {
  log: (subject: string, sequence: number) => ({ pk: `S#${subject}`, sk: padSequence(sequence) }),
  logPartition: (subject: string) => `S#${subject}`,
  head: (subject: string) => ({ pk: `S#${subject}`, sk: 'HEAD' }),
  eventId: (source: string, id: string) => ({ pk: `E#${JSON.stringify([source, id])}`, sk: 'ID' }),
  subjectShard: (subject: string) => `SUBJECTS#${shardOf(subject)}`,
  /** Feed bucket of a recordedAt instant (`2026-11-30T09:15:00.123000000Z` → `FEED#2026-11-30T09`). */
  feedBucket: (recordedAt: string) => `FEED#${recordedAt.slice(0, 13)}`,
  feedSort: (recordedAt: string, subject: string, sequence: number) => `${recordedAt}#${subject}#${padSequence(sequence)}`,
  status: (subject: string) => ({ pk: statusPartition(subject), sk: 'STATUS' }),
  statusPartition,
  stateKey: (subject: string, key: string) => ({ pk: statusPartition(subject), sk: `K#${key}` }),
  /** Partition of the notifier's snapshot of a subject (NOTIFY table): status and key items as in State. */
  notifySnapshotPartition: (subject: string) => `NS#${statusPartition(subject)}`,
  apiKey: (keyId: string) => ({ pk: 'KEYS', sk: keyId }),
  rateWindow: (keyId: string, windowStart: number) => ({ pk: `RATE#${keyId}`, sk: String(windowStart) }),
  subscription: (id: string) => ({ pk: `SUB#${id}`, sk: 'SUB' }),
  subscriptionOwner: (owner: string, createdAt: string, id: string) => ({ ownerPk: `OWNER#${owner}`, ownerSk: `${createdAt}#${id}` }),
  subscriptionOwnerPartition: (owner: string) => `OWNER#${owner}`,
  subscriptionList: (id: string) => ({ allPk: 'SUBS', allSk: id }),
  notifyWatermark: (subject: string) => ({ pk: `NW#${subject}`, sk: 'NW' }),
  delivery: (subscriptionId: string, key: string) => ({ pk: `DLV#${subscriptionId}`, sk: key }),
  deliveryPartition: (subscriptionId: string) => `DLV#${subscriptionId}`,
  /** Sort key of a delivery: the event's `recordedAt` instant, then the webhook id (time order, unique). */
  deliveryKey: (recordedAt: string, webhookId: string) => `${recordedAt}#${webhookId}`,
  /** `due` index entry: `dueAt` is an ISO instant (fixed width), so string order is time order. */
  due: (webhookId: string, dueAt: string) => ({ duePk: `DUE#${fnv1a(webhookId) % DUE_SHARDS}`, dueSk: `${dueAt}#${webhookId}` }),
} as const;

export function padSequence(sequence: number): string {
  return String(sequence).padStart(SEQ_WIDTH, '0');
}

/** `recipients/x` → `R#x`, `mous/y` → `M#y`. */
function statusPartition(subject: string): string {
  const [kind, id] = subject.split('/');
  return `${kind === 'mous' ? 'M' : 'R'}#${id}`;
}

/** Stable small hash (FNV-1a) of a subject onto a shard number. */
export function shardOf(subject: string): number {
  return fnv1a(subject) % SUBJECT_SHARDS;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
