/**
 * The Standard Webhooks retry schedule (CONTRACT §6): the waits, their jitter bounds, the retry
 * scale, `Retry-After` (seconds or HTTP date, capped), and which answers end a notification.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_ATTEMPTS,
  MAX_RETRY_AFTER_MS,
  RETRY_JITTER,
  RETRY_SCHEDULE_MS,
  judgeAttempt,
  parseRetryAfter,
  retryDelayMs,
  wants,
  webhookIdOf,
} from '../../src/domain/webhooks.ts';

const S = 1000, M = 60 * S, H = 60 * M;
const mid = () => 0.5; // no jitter

describe('retryDelayMs', () => {
  it('follows the Standard Webhooks schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h', () => {
    expect(RETRY_SCHEDULE_MS).toEqual([0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H]);
    expect(MAX_ATTEMPTS).toBe(10);
    const waits = Array.from({ length: 9 }, (_, i) => retryDelayMs(i + 1, { scale: 1, random: mid }));
    expect(waits).toEqual(RETRY_SCHEDULE_MS.slice(1));
    const total = waits.reduce((a, b) => a! + b!, 0)!;
    expect(total / H).toBeCloseTo(75.58, 1); // "about 3 days"
  });

  it('has no attempt after the tenth, nor before the first', () => {
    expect(retryDelayMs(10, { scale: 1 })).toBeUndefined();
    expect(retryDelayMs(11, { scale: 1 })).toBeUndefined();
    expect(retryDelayMs(0, { scale: 1 })).toBeUndefined();
  });

  it('keeps every jittered wait within ± 10 % of the schedule, reaching both ends', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempts, r) => {
        const wait = retryDelayMs(attempts, { scale: 1, random: () => r })!;
        const base = RETRY_SCHEDULE_MS[attempts]!;
        expect(wait).toBeGreaterThanOrEqual(Math.floor(base * (1 - RETRY_JITTER)));
        expect(wait).toBeLessThanOrEqual(Math.ceil(base * (1 + RETRY_JITTER)));
      }),
    );
    expect(retryDelayMs(1, { scale: 1, random: () => 0 })).toBe(4_500);
    expect(retryDelayMs(1, { scale: 1, random: () => 0.999999 })).toBe(5_500);
    const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs(2, { scale: 1 })));
    expect(spread.size).toBeGreaterThan(10);
  });

  it('multiplies the final wait by the retry scale', () => {
    expect(retryDelayMs(1, { scale: 0.001, random: mid })).toBe(5);
    expect(retryDelayMs(9, { scale: 0.001, random: mid })).toBe(86_400);
    expect(retryDelayMs(3, { scale: 2, random: mid })).toBe(60 * M);
    expect(retryDelayMs(4, { scale: 0.001, retryAfterMs: 3 * H, random: mid })).toBe(10_800);
  });

  it('waits at least what Retry-After asks, capped at 24 h; a shorter Retry-After does not shorten the schedule', () => {
    expect(retryDelayMs(1, { scale: 1, random: mid, retryAfterMs: 120 * S })).toBe(120 * S);
    expect(retryDelayMs(3, { scale: 1, random: mid, retryAfterMs: 10 * S })).toBe(30 * M);
    expect(retryDelayMs(1, { scale: 1, random: mid, retryAfterMs: 30 * 24 * H })).toBe(MAX_RETRY_AFTER_MS);
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2025-11-01T00:00:00Z');
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Sat, 01 Nov 2025 00:01:30 GMT', 90_000],
    ['Fri, 31 Oct 2025 23:00:00 GMT', 0],
  ])('%j → %i ms', (value, ms) => expect(parseRetryAfter(value, now)).toBe(ms));

  it.each([null, undefined, '', '-5', '1.5', 'soon', '2025-11-01'])('%j → undefined', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('judgeAttempt', () => {
  const ok = (statusCode: number | null, extra = {}) => ({ statusCode, latencyMs: 3, error: null, ...extra });
  it('any 2xx is delivered', () => {
    for (const status of [200, 201, 202, 204, 299]) expect(judgeAttempt(ok(status), 1, { scale: 1 })).toEqual({ state: 'delivered' });
  });
  it('410 ends the notification (and disables the subscription)', () => {
    expect(judgeAttempt(ok(410), 1, { scale: 1 })).toEqual({ state: 'failed', reason: 'gone' });
  });
  it('anything else is retried until the tenth attempt, then exhausted', () => {
    for (const status of [null, 301, 302, 400, 404, 429, 500, 503]) {
      expect(judgeAttempt(ok(status), 1, { scale: 1, random: mid })).toEqual({ state: 'pending', delayMs: 5_000 });
      expect(judgeAttempt(ok(status), 10, { scale: 1, random: mid })).toEqual({ state: 'failed', reason: 'exhausted' });
    }
    expect(judgeAttempt(ok(503, { retryAfterMs: 60_000 }), 1, { scale: 1, random: mid })).toEqual({ state: 'pending', delayMs: 60_000 });
  });
});

describe('subscription matching and webhook ids', () => {
  it('matches types exactly or by prefix.*, and recipients by id (empty: all)', () => {
    const e = { type: 'delivery.shipped', subject: 'recipients/samsung' };
    expect(wants({ types: ['delivery.*'], recipients: [] }, e)).toBe(true);
    expect(wants({ types: ['delivery.shipped'], recipients: ['samsung'] }, e)).toBe(true);
    expect(wants({ types: ['*'], recipients: [] }, e)).toBe(true);
    expect(wants({ types: ['delivery.received'], recipients: [] }, e)).toBe(false);
    expect(wants({ types: ['deliver*'.replace('*', '.*')], recipients: [] }, e)).toBe(false);
    expect(wants({ types: ['delivery.*'], recipients: ['sk-hynix'] }, e)).toBe(false);
    expect(wants({ types: ['mou.*'], recipients: ['samsung'] }, { type: 'mou.signed', subject: 'mous/apec' })).toBe(false);
  });

  it('gives one stable webhook id per (subscription, source, id), of the msg_ form', () => {
    const id = webhookIdOf('sub_1', '/agencies/msit', 'e-1');
    expect(id).toMatch(/^msg_[A-Za-z0-9_-]{43}$/);
    expect(webhookIdOf('sub_1', '/agencies/msit', 'e-1')).toBe(id);
    expect(webhookIdOf('sub_2', '/agencies/msit', 'e-1')).not.toBe(id);
    expect(webhookIdOf('sub_1', '/agencies/msit', 'e-2')).not.toBe(id);
    expect(webhookIdOf('sub_1', '/agencies/msit/e', '1')).not.toBe(webhookIdOf('sub_1', '/agencies/msit', 'e/1'));
  });
});
