/**
 * The small interfaces the services need from storage and messaging. Adapters in `src/adapters/`
 * implement them over DynamoDB and SQS; they take their SDK clients from outside.
 */
import type { StoredEvent } from './domain/event-schema.ts';
import type { KeyState, SubjectState } from './domain/status.ts';
import type { Instant } from './domain/time.ts';
import type { ApiKeyRecord } from './domain/access.ts';
import type { Delivery, DeliveryAttempt, DeliveryState, Subscription } from './domain/webhooks.ts';

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
  /** Feed entries of one hour bucket (`YYYY-MM-DDTHH`) with `after < key < before`, in key order. */
  feedBucket(bucket: string, after: string, before: string, limit: number): Promise<{ key: string; event: StoredEvent }[]>;
  /** `recordedAt` of the first event ever accepted, if any. */
  firstRecordedAt(): Promise<Instant | undefined>;
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
  /**
   * Asks the projector and the notifier to catch up on these subjects (idempotent: asking twice is
   * harmless). One call sends to both, so a retry or the reconciler repairs either lost enqueue.
   */
  requestProjection(subjects: readonly string[]): Promise<void>;
  /** Asks only the notifier to catch up on these subjects. */
  requestNotification(subjects: readonly string[]): Promise<void>;
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

export interface SubscriptionStore {
  create(subscription: Subscription): Promise<void>;
  get(id: string): Promise<Subscription | undefined>;
  listByOwner(owner: string): Promise<Subscription[]>;
  /** Every subscription, active or not (eventually consistent: an index). */
  listAll(): Promise<Subscription[]>;
  remove(id: string): Promise<void>;
  /** Sets `disabled` if still active. */
  disable(id: string, at: string, reason: string): Promise<void>;
}

/** Per-subject watermark of the notifier: the last sequence fanned out to subscriptions. */
export interface NotifyWatermarks {
  get(subjects: readonly string[]): Promise<Map<string, number>>;
  /** Moves the watermark from `from` to `to`; `ConcurrentUpdateError` when it moved meanwhile. */
  advance(subject: string, from: number, to: number): Promise<void>;
}

export interface DeliveryRef {
  subscriptionId: string;
  key: string;
}

/** What an attempt changes: always the attempt count and log; the state, next attempt and due time. */
export interface AttemptRecord {
  attempts: DeliveryAttempt[];
  state: DeliveryState;
  nextAttemptAt: string | null;
  /** When the sweeper must re-enqueue it if no message did (null once final). */
  dueAt: string | null;
}

export interface DeliveryStore {
  /** Creates the delivery unless its key exists; returns what is stored (the existing item, or the new one). */
  create(delivery: Delivery, dueAt: string): Promise<{ created: boolean; delivery: Delivery }>;
  get(ref: DeliveryRef): Promise<Delivery | undefined>;
  /** Newest first; `before` continues after a `next` this returned. */
  list(subscriptionId: string, options: { before?: string; limit: number }): Promise<{ items: Delivery[]; next: string | null }>;
  /**
   * Takes the delivery's next attempt until `until` (and makes `until` its due time): false when it
   * is no longer pending at this attempt, or another worker's lease has not expired.
   */
  claim(delivery: Delivery, now: string, until: string): Promise<boolean>;
  /** Records the claimed attempt if the claim (`delivery.attempt`, round, lease `until`) still stands. */
  record(delivery: Delivery, until: string, record: AttemptRecord): Promise<boolean>;
  /** Starts a new round (a replay) of a delivered or failed delivery, due now; false if it moved meanwhile. */
  reopen(delivery: Delivery, at: string, dueAt: string): Promise<boolean>;
  /** Pending deliveries whose due time is at or before `now`, with the due entry seen. */
  due(now: string, limit: number): Promise<{ ref: DeliveryRef; dueSk: string; webhookId: string }[]>;
  /** Moves a due entry to `dueAt` if it is still `seenDueSk` (the sweeper's mark that it re-enqueued it). */
  postpone(ref: DeliveryRef, seenDueSk: string, webhookId: string, dueAt: string): Promise<boolean>;
}

export interface DeliveryQueue {
  /** One message per delivery, visible after `delaySeconds` (0–900). */
  send(refs: readonly DeliveryRef[], delaySeconds?: number): Promise<void>;
  /** A copy of an exhausted delivery to the dead-letter queue. */
  deadLetter(copy: DeliveryRef & { webhookId: string; reason: string }): Promise<void>;
}

/** Where a checked webhook URL may be reached: the URL and the one address the request must connect to. */
export interface WebhookTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

export interface WebhookUrlGuard {
  /** Resolves the URL's host; `WebhookUrlRefusedError` unless it is https and every address is public. */
  check(url: string): Promise<WebhookTarget>;
}

export interface WebhookResponse {
  statusCode: number;
  retryAfter: string | null;
}

export interface WebhookTransport {
  /** POSTs to the target's address only (no new DNS lookup), never follows redirects; throws on network errors and timeouts. */
  post(target: WebhookTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<WebhookResponse>;
}
