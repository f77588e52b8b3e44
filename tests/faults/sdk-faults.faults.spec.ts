/**
 * Scenario `sdk-faults`: a share of every DynamoDB and SQS call of the tracker (API, projector,
 * notifier, deliverer, sweeper, reconciler, pollers) fails with throttling, 5xx or a timeout, is
 * slowed, or answers a BatchGetItem only in part; half the 5xx and timeouts happen after the call was
 * applied (the response is lost). Queues redeliver after 1 s. Nothing may be lost or counted twice.
 *
 * One window is left out: the deliverer's calls between claiming an attempt and recording it (the
 * claim, the subscription read, the record). Any failure there leaves the attempt leased, and the
 * notification waits for the lease (60 s) to be sent again: scenario `crash-points` covers it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../support/random-events.ts';
import { type Call, on } from './fault-middleware.ts';
import { ADMIN_KEY, type FaultStack, seedFor, startFaultStack } from './harness.ts';
import { beginScenario, finishScenario } from './scenario.ts';
import { runLoad, scenarioEvents } from './workload.ts';

const SEED = seedFor(9001);
let fx: FaultStack | undefined;
afterAll(async () => fx?.stop());

describe('sdk faults', () => {
  it(`loses nothing and counts nothing twice under throttling, 5xx, timeouts and slow calls (seed ${SEED})`, async () => {
    fx = await startFaultStack(SEED, { visibilityTimeoutSeconds: 1 });
    const url = () => fx!.stack.url;
    const random = rng(SEED);
    const events = scenarioEvents(SEED, 500, 8, 'sdk', random);
    const run = await beginScenario(url, ['sdk-r0', 'sdk-r1', 'sdk-r2']);

    const leasedWindow = (c: Call) => on.deliveryClaim(c) || on.deliveryRecord(c) || (c.command === 'GetItemCommand' && String(c.input?.Key?.pk).startsWith('SUB#'));
    fx.faults.setPlan({
      rate: 0.08,
      eligible: (c) => !leasedWindow(c),
      kinds: { throughput: 2, throttling: 2, '5xx': 2, timeout: 1, slow: 2, unprocessed: 1, conflict: 1 },
      afterShare: 0.5,
      slowMs: [20, 400],
      timeoutMs: 300,
    });
    const load = await runLoad({ url, key: ADMIN_KEY, timeoutMs: 8_000, ledger: run.ledger, events, random, clients: 8, batch: [1, 12], duplicateShare: 0.3 });
    fx.faults.enable(false);

    const { summary, report } = await finishScenario(run, {
      scenario: 'sdk-faults',
      description: '8% of DynamoDB and SQS calls fail (throughput, throttling, 5xx, timeout; half of 5xx/timeouts after the call was applied), are slowed, or answer BatchGetItem in part; visibility 1 s',
      seed: SEED,
      faultsInjected: fx.faults.stats.injected,
      faults: { ...fx.faults.stats, loggedErrors: fx.logs.error, loggedWarnings: fx.logs.warn, logMessages: fx.logs.messages },
      extra: { loadMs: load.durationMs },
    });
    expect(report.problems).toEqual([]);
    expect([summary.lost, summary.countedTwice, summary.diverged]).toEqual([0, 0, 0]);
    expect(summary.eventsAcknowledged).toBe(summary.eventsPosted);
    expect(fx.faults.stats.injected).toBeGreaterThan(100);
    expect(fx.faults.stats.afterCall).toBeGreaterThan(10);
    // Faults reach every part: the API (failed posts), the consumers and the periodic jobs.
    expect(summary.failedPostRequests).toBeGreaterThan(0);
    for (const part of ['projector batch failed', 'notifier batch failed', 'reconcile failed']) expect(fx.logs.messages[part] ?? 0, part).toBeGreaterThan(0);
    expect(fx.logs.messages['unexpected error'] ?? 0).toBe(0);
  }, 420_000);
});
