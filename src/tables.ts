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
 */
export const EVENTS_TABLE = {
  id: 'Events',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'KEYS_ONLY' }],
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

export const TABLES = [EVENTS_TABLE, STATE_TABLE, KEYS_TABLE] as const;

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

export const QUEUES = [PROJECTOR_QUEUE] as const;

/** Number of GSI partitions the subject list is spread over (keeps the index from one hot key). */
export const SUBJECT_SHARDS = 8;

const SEQ_WIDTH = 10;

export const keys = {
  log: (subject: string, sequence: number) => ({ pk: `S#${subject}`, sk: padSequence(sequence) }),
  logPartition: (subject: string) => `S#${subject}`,
  head: (subject: string) => ({ pk: `S#${subject}`, sk: 'HEAD' }),
  eventId: (source: string, id: string) => ({ pk: `E#${JSON.stringify([source, id])}`, sk: 'ID' }),
  subjectShard: (subject: string) => `SUBJECTS#${shardOf(subject)}`,
  status: (subject: string) => ({ pk: statusPartition(subject), sk: 'STATUS' }),
  statusPartition,
  stateKey: (subject: string, key: string) => ({ pk: statusPartition(subject), sk: `K#${key}` }),
  apiKey: (keyId: string) => ({ pk: 'KEYS', sk: keyId }),
  rateWindow: (keyId: string, windowStart: number) => ({ pk: `RATE#${keyId}`, sk: String(windowStart) }),
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
  let h = 0x811c9dc5;
  for (let i = 0; i < subject.length; i++) {
    h ^= subject.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % SUBJECT_SHARDS;
}
