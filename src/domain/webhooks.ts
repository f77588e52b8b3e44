/**
 * Subscriptions and webhook notifications (CONTRACT §6) as plain functions: the subscription
 * request, which events a subscription wants, the webhook id (the same on every retry and replay),
 * the body, and the Standard Webhooks retry schedule with jitter and `Retry-After`.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { matchesPattern } from './access.ts';
import { DateTime, EntityId, type StoredEvent } from './event-schema.ts';
import type { MouEntry, RecipientStatus } from './status.ts';

/** An event type (`delivery.shipped`), a prefix ending in `.*` (`delivery.*`), or `*`. */
export const TypePattern = z
  .string()
  .max(100)
  .regex(/^(\*|[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*(\.\*)?)$/, 'an event type, or a prefix ending in .* (delivery.*)');

export const DEFAULT_TYPES = ['delivery.*'];

export const NewSubscriptionRequest = z.strictObject({
  url: z.string().min(1).max(2048),
  types: z.array(TypePattern).min(1).max(20).default(DEFAULT_TYPES),
  /** Recipient ids; absent or empty: every recipient. */
  recipients: z.array(EntityId).max(100).default([]),
});
export type NewSubscriptionRequest = z.infer<typeof NewSubscriptionRequest>;

export const ReplayRequest = z.strictObject({ since: DateTime });

export type SubscriptionStatus = 'active' | 'disabled';

export interface Subscription {
  id: string;
  /** Id of the API key that made it (`admin` for the deployment's admin key). */
  owner: string;
  url: string;
  types: string[];
  recipients: string[];
  /** `whsec_` + base64 of the signing key; returned once, at creation. */
  secret: string;
  status: SubscriptionStatus;
  createdAt: string;
  disabledAt: string | null;
  disabledReason: string | null;
}

export type SubscriptionView = Omit<Subscription, 'secret'>;
export const subscriptionView = ({ secret: _secret, ...view }: Subscription): SubscriptionView => view;

/** Whether a subscription wants an event: a type pattern matches and, when recipients are listed, its subject is one. */
export function wants(sub: Pick<Subscription, 'types' | 'recipients'>, event: { type: string; subject: string }): boolean {
  if (!sub.types.some((pattern) => matchesPattern(pattern, event.type))) return false;
  return sub.recipients.length === 0 || sub.recipients.some((id) => event.subject === `recipients/${id}`);
}

/** `msg_` + base64url SHA-256 of (subscription, source, id): one id per notification, however often it is sent. */
export function webhookIdOf(subscriptionId: string, source: string, id: string): string {
  return `msg_${createHash('sha256').update(JSON.stringify([subscriptionId, source, id])).digest('base64url')}`;
}

/** The notification body (CONTRACT §6); `timestamp` is when the tracker accepted the event. */
export function webhookBody(event: StoredEvent, status: RecipientStatus | MouEntry | null): string {
  return JSON.stringify({ type: event.type, timestamp: event.recordedAt, data: { event, status } });
}

/**
 * Standard Webhooks schedule: the wait before attempt n + 1 is `RETRY_SCHEDULE_MS[n]`; attempt 1
 * goes at once. Ten attempts over about three days (75 h 35 min before jitter).
 */
export const RETRY_SCHEDULE_MS = [
  0, 5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 14 * 3_600_000, 20 * 3_600_000,
  24 * 3_600_000,
] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length;
/** Each wait is moved by up to ± this fraction, so endpoints that failed together are not retried together. */
export const RETRY_JITTER = 0.1;
/** A `Retry-After` longer than this is capped: one answer cannot park a notification for weeks. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

export interface RetryOptions {
  /** `TRACKER_WEBHOOK_RETRY_SCALE`: factor on the final wait. */
  scale: number;
  /** What the endpoint asked for with `Retry-After`; the wait is at least that (capped). */
  retryAfterMs?: number;
  /** Uniform in [0, 1). */
  random?: () => number;
}

/** Wait (ms) before the next attempt after `attemptsMade` attempts; `undefined` when the schedule is exhausted. */
export function retryDelayMs(attemptsMade: number, options: RetryOptions): number | undefined {
  if (attemptsMade < 1 || attemptsMade >= MAX_ATTEMPTS) return undefined;
  const random = options.random ?? Math.random;
  const base = RETRY_SCHEDULE_MS[attemptsMade]!;
  const jittered = base * (1 + RETRY_JITTER * (2 * random() - 1));
  const asked = Math.min(options.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return Math.round(Math.max(jittered, asked) * options.scale);
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from `now`; `undefined` when absent or malformed. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** What one attempt came to, as recorded in the delivery log. */
export interface AttemptResult {
  /** HTTP status, or null when no response came (refused URL, DNS, connect, timeout). */
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  retryAfterMs?: number;
}

export type Verdict =
  | { state: 'delivered' }
  | { state: 'failed'; reason: 'gone' | 'exhausted' }
  | { state: 'pending'; delayMs: number };

/** The fate of a notification after its attempt number `attempt` (1-based) came to `result`. */
export function judgeAttempt(result: AttemptResult, attempt: number, options: Omit<RetryOptions, 'retryAfterMs'>): Verdict {
  const status = result.statusCode;
  if (status !== null && status >= 200 && status < 300) return { state: 'delivered' };
  if (status === 410) return { state: 'failed', reason: 'gone' };
  const delayMs = retryDelayMs(attempt, { ...options, ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}) });
  return delayMs === undefined ? { state: 'failed', reason: 'exhausted' } : { state: 'pending', delayMs };
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One attempt in the delivery log. */
export interface DeliveryAttempt extends AttemptResult {
  attempt: number;
  /** 1 for the notification, + 1 for each replay of it. */
  round: number;
  at: string;
}

/** One notification of one event to one subscription, with its attempts (the delivery log). */
export interface Delivery {
  subscriptionId: string;
  /** Sort key: `{recordedAt}#{webhookId}`. */
  key: string;
  webhookId: string;
  event: { source: string; id: string; type: string; subject: string; sequence: number; recordedAt: string };
  /** The body, fixed at creation: every attempt and replay sends the same bytes. */
  payload: string;
  state: DeliveryState;
  /** Attempts made in the current round. */
  attempt: number;
  round: number;
  attempts: DeliveryAttempt[];
  nextAttemptAt: string | null;
  /** Set while a worker is sending: no other worker takes the attempt before then. */
  leaseUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryView = Omit<Delivery, 'payload' | 'leaseUntil' | 'key'>;
export const deliveryView = ({ payload: _p, leaseUntil: _l, key: _k, ...view }: Delivery): DeliveryView => view;
