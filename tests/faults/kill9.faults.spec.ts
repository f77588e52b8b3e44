/**
 * Scenario `kill-9`: `npm start` runs as a child process (its own process group) on a data directory;
 * under load it is killed with SIGKILL (npm, node and DynamoDB Local's java at once: nothing gets to
 * clean up, the in-process SQS emulator loses every message) and started again on the same data
 * directory and port. Clients keep retrying through the outage; subscribers and a feed reader keep
 * listening. Nothing acknowledged may be lost, nothing counted twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../support/random-events.ts';
import { ADMIN_KEY, type ChildStack, freePort, groupMembers, removeDir, seedFor, startChildStack, tempDir } from './harness.ts';
import { beginScenario, finishScenario } from './scenario.ts';
import { runLoad, scenarioEvents } from './workload.ts';

const SEED = seedFor(9005);
const dataDir = tempDir('kill9');
let current: ChildStack | undefined;
afterAll(async () => {
  await current?.stop();
  removeDir(dataDir);
});

describe('kill -9 of the whole local stack under load', () => {
  it(`restarts on the same data directory and loses nothing (seed ${SEED})`, async () => {
    const port = await freePort();
    current = await startChildStack(dataDir, port);
    const url = () => current!.url;
    const random = rng(SEED);
    const events = scenarioEvents(SEED, 500, 8, 'k9', random);
    const run = await beginScenario(url, ['k9-r0', 'k9-r1', 'k9-r2']);

    const kills: { atEvent: number; leftover: number; restartMs: number }[] = [];
    const plan = [0.25, 0.5];
    let restarting: Promise<void> | undefined;
    const load = await runLoad({
      url, key: ADMIN_KEY, timeoutMs: 8_000, ledger: run.ledger, events, random, clients: 6, batch: [1, 10], duplicateShare: 0.3,
      onTick: (posted) => {
        const at = plan[kills.length];
        if (restarting || at === undefined || posted < events.length * at) return;
        restarting = (async () => {
          const victim = current!;
          const pgid = victim.child.pid!;
          await victim.kill9();
          const leftover = groupMembers(pgid).length;
          const started = Date.now();
          current = await startChildStack(dataDir, port);
          kills.push({ atEvent: posted, leftover, restartMs: Date.now() - started });
          restarting = undefined;
        })();
      },
    });
    while (restarting) await restarting;

    const { summary, report } = await finishScenario(run, {
      scenario: 'kill-9',
      description: '`npm start` child process group killed with SIGKILL at 25% and 50% of the load and restarted on the same data directory (SQS messages lost with it)',
      seed: SEED,
      faultsInjected: kills.length,
      faults: { kills },
      extra: { loadMs: load.durationMs },
    });
    expect(kills).toHaveLength(plan.length);
    expect(kills.map((k) => k.leftover)).toEqual(plan.map(() => 0));
    expect(report.problems).toEqual([]);
    expect([summary.lost, summary.countedTwice, summary.diverged]).toEqual([0, 0, 0]);
  }, 480_000);
});
