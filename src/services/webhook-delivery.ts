/**
 * The delivery worker: one attempt of one notification per queue message (CONTRACT §6, Standard
 * Webhooks). It reads the delivery, claims its next attempt (a conditional write with a lease, so a
 * redelivered or duplicated message sends nothing), re-checks the URL (SSRF guard, DNS resolved
 * again), signs and POSTs the stored body with the same `webhook-id` as every other attempt, and
 * records the outcome under its claim: delivered on any 2xx; `410` disables the subscription;
 * otherwise the next attempt follows the schedule (jitter, `Retry-After`, × the retry scale).
 *
 * Waits up to 15 minutes ride on an SQS delayed message; every pending delivery also sits in the
 * `due` index (at its next attempt for longer waits, a little after it otherwise), which the retry
 * sweeper turns back into messages, so a three-day schedule survives restarts and lost messages.
 * After the last attempt the delivery is `failed` and a copy goes to the dead-letter queue.
 */
import { performance } from 'node:perf_hooks';
import { Webhook } from 'standardwebhooks';
import {
  type AttemptResult,
  type Delivery,
  type DeliveryAttempt,
  MAX_ATTEMPTS,
  type Subscription,
  type Verdict,
  judgeAttempt,
  parseRetryAfter,
} from '../domain/webhooks.ts';
import { WebhookUrlRefusedError } from '../errors.ts';
import type { AttemptRecord, Clock, DeliveryQueue, DeliveryRef, DeliveryStore, SubscriptionStore, WebhookTransport, WebhookUrlGuard } from '../ports.ts';
import { REPAIR_GRACE_MS, dueAfter } from './notifier.ts';

/** Per attempt (Standard Webhooks recommends a short timeout; the contract's is 15 s). */
export const ATTEMPT_TIMEOUT_MS = 15_000;
/** How long a claimed attempt is a worker's: above the timeout plus DNS and the writes around it. */
export const LEASE_MS = 60_000;
/** SQS `DelaySeconds` stops here; longer waits are held by the `due` index alone. */
export const MAX_QUEUE_DELAY_MS = 900_000;
/** A message this close before the attempt's time waits for it (SQS delays are whole seconds). */
const EARLY_TOLERANCE_MS = 1_000;
/** The delivery log keeps the latest attempts (replays add rounds). */
const MAX_LOGGED_ATTEMPTS = 50;

export interface WebhookDeliveryDeps {
  deliveries: DeliveryStore;
  subscriptions: SubscriptionStore;
  deliveryQueue: DeliveryQueue;
  guard: WebhookUrlGuard;
  transport: WebhookTransport;
  clock: Clock;
  /** `TRACKER_WEBHOOK_RETRY_SCALE`. */
  retryScale: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

export type DeliveryOutcome =
  /** Nothing to do: already final, not yet due, or another worker holds the attempt. */
  | 'skipped'
  | 'delivered'
  | 'retrying'
  | 'failed'
  /** Sent, but the claim had expired and another worker took over: not recorded. */
  | 'unrecorded';

export function createWebhookDelivery(deps: WebhookDeliveryDeps) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const timeoutMs = deps.timeoutMs ?? ATTEMPT_TIMEOUT_MS;

  return async function deliver(ref: DeliveryRef): Promise<DeliveryOutcome> {
    const delivery = await deps.deliveries.get(ref);
    if (!delivery || delivery.state !== 'pending') return 'skipped';
    const wait = delivery.nextAttemptAt ? Date.parse(delivery.nextAttemptAt) - deps.clock.now().getTime() : 0;
    // Early: a stale message of an earlier attempt; the delayed message or the due index brings this one.
    if (wait > EARLY_TOLERANCE_MS) return 'skipped';
    if (wait > 0) await sleep(wait);

    const start = deps.clock.now();
    const until = dueAfter(start, LEASE_MS);
    if (!(await deps.deliveries.claim(delivery, start.toISOString(), until))) return 'skipped';

    const subscription = await deps.subscriptions.get(delivery.subscriptionId);
    const attempt = delivery.attempt + 1;
    let result: AttemptResult;
    let verdict: Verdict | { state: 'failed'; reason: 'cancelled' };
    if (!subscription || subscription.status !== 'active') {
      const why = subscription ? `the subscription is disabled (${subscription.disabledReason ?? 'disabled'})` : 'the subscription was deleted';
      result = { statusCode: null, latencyMs: 0, error: `not sent: ${why}` };
      verdict = { state: 'failed', reason: 'cancelled' };
    } else {
      result = await attemptOnce(subscription, delivery, start);
      verdict = judgeAttempt(result, attempt, { scale: deps.retryScale, ...(deps.random ? { random: deps.random } : {}) });
    }

    const end = deps.clock.now();
    const logged: DeliveryAttempt = { attempt, round: delivery.round, at: start.toISOString(), ...result };
    const attempts = [...delivery.attempts, logged].slice(-MAX_LOGGED_ATTEMPTS);
    let record: AttemptRecord;
    if (verdict.state === 'pending') {
      const nextAttemptAt = dueAfter(end, verdict.delayMs);
      const viaQueue = verdict.delayMs <= MAX_QUEUE_DELAY_MS;
      record = { attempts, state: 'pending', nextAttemptAt, dueAt: viaQueue ? dueAfter(end, verdict.delayMs + REPAIR_GRACE_MS) : nextAttemptAt };
    } else {
      record = { attempts, state: verdict.state, nextAttemptAt: null, dueAt: null };
    }

    // Side effects of a final verdict go before the record: a crash between them repeats them, never loses them.
    if (verdict.state === 'failed' && verdict.reason === 'gone' && subscription) {
      await deps.subscriptions.disable(subscription.id, end.toISOString(), 'the endpoint answered 410 Gone');
    }
    if (verdict.state === 'failed' && verdict.reason === 'exhausted') {
      await deps.deliveryQueue.deadLetter({
        ...ref,
        webhookId: delivery.webhookId,
        reason: `failed ${MAX_ATTEMPTS} attempts; last: ${result.statusCode ?? result.error}`,
      });
    }
    if (!(await deps.deliveries.record(delivery, until, record))) return 'unrecorded';
    if (verdict.state === 'pending' && verdict.delayMs <= MAX_QUEUE_DELAY_MS) {
      // Lost here, the due index repairs it after the grace.
      await deps.deliveryQueue.send([ref], verdict.delayMs / 1000);
    }
    return verdict.state === 'pending' ? 'retrying' : verdict.state;
  };

  /** Checks the URL again (fresh DNS), signs and POSTs; failures are results, not exceptions. */
  async function attemptOnce(subscription: Subscription, delivery: Delivery, at: Date): Promise<AttemptResult> {
    const t0 = performance.now();
    const elapsed = () => Math.round(performance.now() - t0);
    try {
      const target = await deps.guard.check(subscription.url);
      const headers = {
        'webhook-id': delivery.webhookId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(subscription.secret).sign(delivery.webhookId, at, delivery.payload),
      };
      const response = await deps.transport.post(target, headers, delivery.payload, timeoutMs);
      const retryAfterMs = parseRetryAfter(response.retryAfter, deps.clock.now());
      const status = response.statusCode;
      return {
        statusCode: status,
        latencyMs: elapsed(),
        error: status >= 300 && status < 400 ? 'redirects are not followed' : null,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    } catch (error) {
      const message = error instanceof WebhookUrlRefusedError ? `not sent: ${error.message}` : describe(error);
      return { statusCode: null, latencyMs: elapsed(), error: message };
    }
  }
}

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return [e.code, e.message].filter(Boolean).join(': ').slice(0, 300) || 'request failed';
}
