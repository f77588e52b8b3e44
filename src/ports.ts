/**
 * The small interfaces the services need from storage and messaging. Adapters in `src/adapters/`
 * implement them over DynamoDB and SQS; they take their SDK clients from outside.
 */
import type { StoredEvent } from './domain/event-schema.ts';
import type { KeyState, SubjectState } from './domain/status.ts';
import type { Instant } from './domain/time.ts';
import type { ApiKeyRecord } from './domain/access.ts';

/** What the log remembers of an `(source, id)` for idempotency. */
export interface IdRecord {
  hash: string;
  subject: string;
  sequence: number;
  type: string;
}

export interface SubjectHead {
  sequence: number;
  recordedAt: Instant;
}

/** Consecutive events of one subject, appended right after `expectedSequence`. */
export interface AppendGroup {
  subject: string;
  expectedSequence: number;
  events: { event: StoredEvent; hash: string }[];
}

export interface EventLog {
  /** Id records by `targetOf(source, id)`, read consistently. */
  findIds(ids: readonly { source: string; id: string }[]): Promise<Map<string, IdRecord>>;
  /** Current heads by subject (absent: no event yet), read consistently. */
  heads(subjects: readonly string[]): Promise<Map<string, SubjectHead>>;
  /** Writes all groups in one transaction; `ConcurrentUpdateError` when a head or id moved meanwhile. */
  append(groups: readonly AppendGroup[]): Promise<void>;
  /** A subject's events with `sequence > after`, in sequence order, read consistently. */
  read(subject: string, options: { after: number; limit: number }): Promise<StoredEvent[]>;
  /** Every subject that has at least one event. */
  subjects(): Promise<string[]>;
}

export interface ProjectionStore {
  load(subject: string): Promise<SubjectState | undefined>;
  loadKeys(subject: string, keys: readonly string[]): Promise<Map<string, KeyState>>;
  loadAllKeys(subject: string): Promise<Map<string, KeyState>>;
  /** Writes state and changed keys atomically if the stored watermark is still `expectedSeq`. */
  commit(state: SubjectState, expectedSeq: number, changed: readonly KeyState[]): Promise<void>;
  list(kind: 'recipients' | 'mous'): Promise<SubjectState[]>;
}

export interface WorkQueue {
  /** Asks the projector to catch up on these subjects (idempotent: asking twice is harmless). */
  requestProjection(subjects: readonly string[]): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface KeyStore {
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Fails if the id exists (ids are random; a clash is retried by the caller). */
  create(record: ApiKeyRecord): Promise<void>;
  list(): Promise<ApiKeyRecord[]>;
  /** Sets `revokedAt` if not yet revoked; returns the record, or undefined when unknown. */
  revoke(id: string, at: string): Promise<ApiKeyRecord | undefined>;
}

export interface RateLimiter {
  /** Counts one request in the current window; the count after it. */
  hit(keyId: string, windowStart: number, expiresAt: number): Promise<number>;
}
