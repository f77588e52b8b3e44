/**
 * The shape every scenario follows: subscribe receivers, tail the feed, post a seeded workload while
 * faults happen, stop the faults, let the client retry what was never acknowledged, wait for the
 * tracker to converge (timed), then run the oracle and write the summary.
 */
import type { StoredEvent } from '../../src/domain/event-schema.ts';
import { ADMIN_KEY, type ScenarioSummary, sleep, writeSummary } from './harness.ts';
import { checkOracle, type OracleReport, tailFeed, waitConverged } from './oracle.ts';
import { type SubscriptionUnderTest, type Receiver, startReceiver, subscribe } from './receiver.ts';
import { Ledger, retryUnacknowledged } from './workload.ts';

/** The feed serves events older than this (FEED_SETTLE_SECONDS, 5 s by default). */
const FEED_SETTLE_MS = 5_000;

export interface ScenarioRun {
  ledger: Ledger;
  subscriptions: SubscriptionUnderTest[];
  receivers: Receiver[];
  tail: ReturnType<typeof tailFeed>;
  url: () => string;
}

/** Two subscriptions: every delivery event; procurement and received deliveries of a few recipients. */
export async function beginScenario(url: () => string, recipients: string[]): Promise<ScenarioRun> {
  const all = await startReceiver();
  const some = await startReceiver();
  const subscriptions = [
    await subscribe(url(), ADMIN_KEY, all),
    await subscribe(url(), ADMIN_KEY, some, { types: ['procurement.*', 'delivery.received'], recipients }),
  ];
  // A subscription gets events accepted after it was created: let the clock move past it.
  await sleep(20);
  return { ledger: new Ledger(), subscriptions, receivers: [all, some], tail: tailFeed(url, 400), url };
}

export interface FinishOptions {
  scenario: string;
  description: string;
  seed: number;
  faultsInjected: number;
  faults: Record<string, unknown>;
  convergeTimeoutMs?: number;
  extra?: Record<string, unknown>;
}

export interface Finished {
  summary: ScenarioSummary;
  report: OracleReport;
}

/** After the faults stopped: retry, converge, check, write the summary. */
export async function finishScenario(run: ScenarioRun, options: FinishOptions): Promise<Finished> {
  const healStart = Date.now();
  const retried = await retryUnacknowledged({ url: run.url, key: ADMIN_KEY, timeoutMs: 15_000, ledger: run.ledger, giveUpAt: Date.now() + 120_000 });
  const retryMs = Date.now() - healStart;
  const converged = await waitConverged({
    url: run.url,
    ledger: run.ledger,
    subscriptions: run.subscriptions,
    timeoutMs: options.convergeTimeoutMs ?? 240_000,
    what: options.scenario,
    adminKey: ADMIN_KEY,
  });
  // Past the settle horizon of the last write, the feed must hold everything.
  const settleLeft = run.ledger.lastAckAt + FEED_SETTLE_MS + 1_000 - Date.now();
  if (settleLeft > 0) await sleep(settleLeft);
  const tailed: StoredEvent[] = await run.tail.stop();
  await sleep(500); // late duplicates of notifications, if any, arrive before the check
  const report = await checkOracle({ url: run.url(), ledger: run.ledger, subscriptions: run.subscriptions, tailed, adminKey: ADMIN_KEY });
  for (const r of run.receivers) await r.close();

  const counts = run.ledger.counts();
  const summary: ScenarioSummary = {
    scenario: options.scenario,
    description: options.description,
    seed: options.seed,
    ranAt: new Date().toISOString(),
    eventsPosted: counts.events,
    eventsAcknowledged: counts.acknowledged,
    postRequests: counts.requests,
    failedPostRequests: counts.failedRequests,
    faultsInjected: options.faultsInjected,
    faults: options.faults,
    lost: report.lost,
    countedTwice: report.countedTwice,
    diverged: report.diverged,
    // From the moment the faults stopped: the client's retries of unanswered posts, then the pipeline.
    convergeMs: {
      projection: retryMs + converged.projectedMs,
      notifications: retryMs + converged.notifiedMs,
      deliveryLog: retryMs + converged.settledMs,
    },
    oracle: report,
    extra: {
      retriedAfterFaults: retried,
      postFailures: counts.failures,
      submissions: counts.submissions,
      ...options.extra,
    },
  };
  writeSummary(summary);
  return { summary, report };
}
