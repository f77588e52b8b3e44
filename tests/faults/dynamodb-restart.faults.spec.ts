/**
 * Scenario `dynamodb-restart`: DynamoDB Local is killed (`kill -9` of its java, then with SIGTERM)
 * and started again on the same data directory and port while clients post, the projector, notifier
 * and deliverer work and the feed is tailed. Requests in flight at the kill may or may not have been
 * applied; clients retry what failed. Nothing may be lost or counted twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../support/random-events.ts';
import { ADMIN_KEY, type FaultStack, removeDir, seedFor, sleep, startFaultStack, tempDir } from './harness.ts';
import { beginScenario, finishScenario } from './scenario.ts';
import { runLoad, scenarioEvents } from './workload.ts';

const SEED = seedFor(9004);
const dataDir = tempDir('ddb-restart');
let fx: FaultStack | undefined;
afterAll(async () => {
  await fx?.stop();
  removeDir(dataDir);
});

describe('DynamoDB Local restarted under load', () => {
  it(`loses nothing when DynamoDB goes away and comes back (seed ${SEED})`, async () => {
    // Visibility 3 s: a message survives an outage of a few seconds before its 5th receive sends it to the DLQ.
    fx = await startFaultStack(SEED, { dataDir, visibilityTimeoutSeconds: 3 });
    const { stack } = fx;
    const url = () => stack.url;
    const random = rng(SEED);
    const events = scenarioEvents(SEED, 500, 8, 'ddb', random);
    const run = await beginScenario(url, ['ddb-r0', 'ddb-r1', 'ddb-r2']);

    const restarts: { signal: string; atEvent: number; downMs: number }[] = [];
    let restarting: Promise<void> | undefined;
    // Early in the load: a notification sent just before a kill and not recorded waits for its lease (60 s).
    const plan = [
      { after: 0.2, signal: 'SIGKILL' as const },
      { after: 0.45, signal: 'SIGTERM' as const },
    ];
    const load = await runLoad({
      url, key: ADMIN_KEY, timeoutMs: 10_000, ledger: run.ledger, events, random, clients: 6, batch: [1, 10], duplicateShare: 0.3,
      onTick: (posted) => {
        const next = plan[restarts.length];
        if (restarting || !next || posted < events.length * next.after) return;
        const started = Date.now();
        restarting = stack.restartDynamoDb({ signal: next.signal, downMs: 500 }).then(() => {
          restarts.push({ signal: next.signal, atEvent: posted, downMs: Date.now() - started });
          restarting = undefined;
        });
      },
    });
    while (restarting) await restarting;
    await sleep(0);

    const { summary, report } = await finishScenario(run, {
      scenario: 'dynamodb-restart',
      description: 'DynamoDB Local killed (SIGKILL at 20% of the load, SIGTERM at 45%) and restarted on the same data directory; visibility 3 s',
      seed: SEED,
      faultsInjected: restarts.length,
      faults: { restarts, loggedErrors: fx.logs.error, logMessages: fx.logs.messages },
      extra: { loadMs: load.durationMs },
    });
    expect(restarts).toHaveLength(plan.length);
    expect(report.problems).toEqual([]);
    // An unreachable DynamoDB is a 503 (retry as is), not an unexpected error.
    expect(fx.logs.messages['unexpected error'] ?? 0).toBe(0);
    expect(Object.keys(run.ledger.failures).filter((cause) => cause === '500')).toEqual([]);
    expect([summary.lost, summary.countedTwice, summary.diverged]).toEqual([0, 0, 0]);
  }, 420_000);
});
