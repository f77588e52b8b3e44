/**
 * Scenario `flood`: `npm start` as a child process takes a steady rate, then ten times that rate for
 * 30 s, then the steady rate again, from 32 concurrent clients (each waits for its answer, retries
 * 5xx/429/timeouts as is). The tracker may slow down (higher latency, a backlog in the queues) but must
 * lose nothing, count nothing twice, notify every subscriber, and keep its memory bounded: the resident
 * memory of the node process and of DynamoDB Local's java is sampled every 500 ms.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../support/random-events.ts';
import { ADMIN_KEY, type ChildStack, freePort, removeDir, seedFor, startChildStack, tempDir, treeRss, writeSummary } from './harness.ts';
import { beginScenario, finishScenario } from './scenario.ts';
import { percentile, runLoad, scenarioEvents } from './workload.ts';

const SEED = seedFor(9007);
const STEADY = 8; // events per second
const FLOOD = 10 * STEADY;
const PHASES = [
  { name: 'steady', untilS: 10, rate: STEADY },
  { name: 'flood', untilS: 40, rate: FLOOD },
  { name: 'steady after', untilS: 50, rate: STEADY },
] as const;
const dataDir = tempDir('flood');
let stack: ChildStack | undefined;
afterAll(async () => {
  await stack?.stop();
  removeDir(dataDir);
});

describe('flood', () => {
  it(`takes 10 × the steady rate for 30 s, slower but losing nothing, memory bounded (seed ${SEED})`, async () => {
    stack = await startChildStack(dataDir, await freePort());
    const url = () => stack!.url;
    const random = rng(SEED);
    const planned = PHASES.reduce((n, p, i) => n + p.rate * (p.untilS - (i === 0 ? 0 : PHASES[i - 1]!.untilS)), 0);
    const events = scenarioEvents(SEED, planned, 12, 'fl', random);
    const run = await beginScenario(url, ['fl-r0', 'fl-r1', 'fl-r2']);

    const rss: { at: number; node: number; java: number; total: number }[] = [];
    const started = Date.now();
    const baseline = treeRss(stack.child.pid!);
    const sampler = setInterval(() => rss.push({ at: Date.now() - started, ...treeRss(stack!.child.pid!) }), 500);
    // One load per phase, each offering its rate for its share of the events: a phase the tracker cannot
    // keep up with simply takes longer (its achieved rate is reported).
    const phaseStats: Record<string, unknown>[] = [];
    let offset = 0;
    for (const [i, p] of PHASES.entries()) {
      const seconds = p.untilS - (i === 0 ? 0 : PHASES[i - 1]!.untilS);
      const slice = events.slice(offset, offset + p.rate * seconds);
      offset += slice.length;
      const t0 = Date.now();
      const stats = await runLoad({
        url, key: ADMIN_KEY, timeoutMs: 30_000, ledger: run.ledger, events: slice, random, clients: p.rate === FLOOD ? 32 : 4,
        batch: [1, 10], duplicateShare: 0.1, rate: () => p.rate,
      });
      const ms = stats.latencies.map((l) => l.ms);
      phaseStats.push({
        phase: p.name, seconds, offeredPerS: p.rate, events: slice.length, tookMs: Date.now() - t0,
        achievedPerS: Math.round((slice.length / ((Date.now() - t0) / 1000)) * 10) / 10,
        requests: ms.length, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), maxMs: Math.max(...ms),
      });
    }
    const load = { durationMs: Date.now() - started };
    let finished;
    try {
      finished = await finishScenario(run, {
        scenario: 'flood',
        description: `npm start child: ${STEADY} events/s for 10 s, ${FLOOD} events/s (10×) for 30 s, ${STEADY} events/s for 10 s; 32 clients`,
        seed: SEED,
        faultsInjected: 0,
        faults: { steadyRate: STEADY, floodRate: FLOOD, floodSeconds: 30 },
        convergeTimeoutMs: 300_000,
      });
    } finally {
      clearInterval(sampler);
    }
    const { summary, report } = finished;

    const peak = rss.reduce((m, s) => (s.total > m.total ? s : m), { at: 0, node: 0, java: 0, total: 0 });
    const peakNode = Math.max(...rss.map((s) => s.node));
    const peakJava = Math.max(...rss.map((s) => s.java));
    const end = rss[rss.length - 1]!;
    summary.extra = {
      ...summary.extra,
      loadMs: load.durationMs,
      phases: phaseStats,
      rssMb: { baseline, peakNode, peakJava, peakTotal: peak.total, peakAtMs: peak.at, atEnd: end },
    };
    writeSummary(summary);

    expect(report.problems).toEqual([]);
    expect([summary.lost, summary.countedTwice, summary.diverged]).toEqual([0, 0, 0]);
    expect(summary.eventsAcknowledged).toBe(planned);
    // Bounded: the node process stays well under a gigabyte; java is capped by -Xmx256m.
    expect(peakNode).toBeLessThan(1024);
    expect(peakJava).toBeLessThan(1024);
  }, 480_000);
});
