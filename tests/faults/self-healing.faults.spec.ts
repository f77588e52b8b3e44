/**
 * Scenario `self-healing`: events that were logged but never queued. Half of the samples lose the
 * enqueue after the DynamoDB write (both `SendMessageBatch` calls of the ingest fail, the client still
 * gets its 202); the other half are appended with `tracker.log.append` directly, as a crash right after
 * the transaction would leave them. Nobody retries. The reconciler (every 5 s, grace 5 s: `npm start`'s
 * settings) must find each subject and have it projected and notified within the documented bound
 * (grace + one interval), which this test measures per sample.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredEvent, TrackerEvent } from '../../src/domain/event-schema.ts';
import { contentHash } from '../../src/domain/canonical.ts';
import { formatMillis, instantOf } from '../../src/domain/time.ts';
import { ADMIN_KEY, type FaultStack, seedFor, sleep, startFaultStack, writeSummary } from './harness.ts';
import { checkOracle, getJson, tailFeed, waitConverged } from './oracle.ts';
import { startReceiver, subscribe } from './receiver.ts';
import { Ledger, postUntilAnswered } from './workload.ts';

const SEED = seedFor(9003);
const GRACE_S = 5;
const EVERY_S = 5;
const SAMPLES = 8;
let fx: FaultStack | undefined;
afterAll(async () => fx?.stop());

describe('self-healing', () => {
  it(`repairs lost enqueues within grace + one reconcile interval (seed ${SEED})`, async () => {
    fx = await startFaultStack(SEED, { reconcileEverySeconds: EVERY_S, reconcileGraceSeconds: GRACE_S });
    const { stack, faults } = fx;
    const url = () => stack.url;
    const receiver = await startReceiver();
    const subscription = await subscribe(stack.url, ADMIN_KEY, receiver);
    const tail = tailFeed(url, 400);
    await sleep(20);
    const ledger = new Ledger();

    const samples: { subject: string; how: 'enqueue lost' | 'appended directly'; loggedAt: number; projectedMs?: number; notifiedMs?: number }[] = [];
    const probes: Promise<void>[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const subject = `recipients/heal-${SEED}-${i}`;
      const event: TrackerEvent = {
        specversion: '1.0', id: `heal-${SEED}-${i}`, source: '/companies/alpha', type: 'delivery.shipped', subject,
        time: '2026-03-01T09:00:00+09:00', data: { shipmentId: `s-${i}`, quantity: 100 + i, orderId: 'o-1', gpuModel: 'NVIDIA B200' },
      };
      ledger.add([event]);
      const how = i % 2 === 0 ? 'enqueue lost' : 'appended directly';
      if (how === 'enqueue lost') {
        const mentions = (c: { input: any }) => JSON.stringify(c.input?.Entries ?? []).includes(subject);
        const remove = faults.addRule({ name: 'enqueue lost after the append', when: (c) => c.command === 'SendMessageBatchCommand' && mentions(c), effect: 'fail-before', limit: 2 });
        await postUntilAnswered({ url, key: ADMIN_KEY, timeoutMs: 10_000 }, ledger, [event]);
        remove();
      } else {
        const stored = { ...event, sequence: 1, recordedAt: formatMillis(instantOf(new Date())) } as StoredEvent;
        await stack.tracker.log.append([{ subject, expectedSequence: 0, events: [{ event: stored, hash: contentHash(event) }] }]);
        const entry = ledger.get(event);
        Object.assign(entry, { acked: true, ackedAt: Date.now(), accepted: 1 });
        entry.sequences.add(1);
        ledger.lastAckAt = Date.now();
      }
      const sample = { subject, how, loggedAt: Date.now() } as (typeof samples)[number];
      samples.push(sample);
      probes.push(
        (async () => {
          const deadline = Date.now() + 60_000;
          while ((sample.projectedMs === undefined || sample.notifiedMs === undefined) && Date.now() < deadline) {
            if (sample.projectedMs === undefined) {
              const status = await getJson(`${stack.url}/v1/recipients/${subject.slice('recipients/'.length)}`, 0).catch(() => undefined);
              if (status?.sequence === 1) sample.projectedMs = Date.now() - sample.loggedAt;
            }
            if (sample.notifiedMs === undefined && receiver.received().has(`${event.source} ${event.id}`)) sample.notifiedMs = Date.now() - sample.loggedAt;
            await sleep(100);
          }
        })(),
      );
      // Spread the samples over the reconciler's schedule.
      await sleep(((EVERY_S * 1000) / SAMPLES) * 1.7);
    }
    await Promise.all(probes);

    const converged = await waitConverged({ url, ledger, subscriptions: [subscription], timeoutMs: 60_000, what: 'self-healing', adminKey: ADMIN_KEY });
    await sleep(Math.max(0, ledger.lastAckAt + 6_000 - Date.now()));
    const tailed = await tail.stop();
    const report = await checkOracle({ url: stack.url, ledger, subscriptions: [subscription], tailed, adminKey: ADMIN_KEY });
    await receiver.close();

    const projected = samples.map((s) => s.projectedMs ?? Infinity);
    const notified = samples.map((s) => s.notifiedMs ?? Infinity);
    const counts = ledger.counts();
    writeSummary({
      scenario: 'self-healing',
      description: `lost enqueues (SQS send failed after the write, or log.append without enqueue), nobody retries; reconciler every ${EVERY_S} s, grace ${GRACE_S} s`,
      seed: SEED,
      ranAt: new Date().toISOString(),
      eventsPosted: counts.events,
      eventsAcknowledged: counts.acknowledged,
      postRequests: counts.requests,
      failedPostRequests: counts.failedRequests,
      faultsInjected: SAMPLES,
      faults: { ...faults.stats, lostEnqueues: SAMPLES, enqueueWarnings: fx.logs.messages['enqueue after append failed; the reconciler will repair it'] ?? 0 },
      lost: report.lost,
      countedTwice: report.countedTwice,
      diverged: report.diverged,
      convergeMs: {
        repairMax: Math.max(...projected),
        repairMean: Math.round(projected.reduce((a, b) => a + b, 0) / SAMPLES),
        notifyRepairMax: Math.max(...notified),
        bound: (GRACE_S + EVERY_S) * 1000,
        afterLastSample: converged.settledMs,
      },
      oracle: report,
      extra: { samples },
    });
    expect(report.problems).toEqual([]);
    expect([report.lost, report.countedTwice, report.diverged]).toEqual([0, 0, 0]);
    expect(fx.logs.messages['enqueue after append failed; the reconciler will repair it']).toBe(SAMPLES / 2);
    // Repaired within grace + one interval, plus a little for the projection itself on a busy machine.
    for (const s of samples) {
      expect(s.projectedMs, s.subject).toBeLessThan((GRACE_S + EVERY_S) * 1000 + 5_000);
      expect(s.notifiedMs, s.subject).toBeLessThan((GRACE_S + EVERY_S) * 1000 + 5_000);
      // And not before the grace: nothing else queued it.
      expect(s.projectedMs, s.subject).toBeGreaterThanOrEqual(GRACE_S * 1000 - 1_000);
    }
  }, 240_000);
});
