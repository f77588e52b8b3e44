/**
 * Read throughput under a bounded closed-loop load (N fetch loops for a fixed time each):
 * `GET /v1/recipients/{id}` and `GET /v1/summary`, against `GET /healthz` of the same server as
 * the baseline — a route that returns a constant through the same Hono app, node server and
 * global middleware, but reads nothing (it is outside `/v1`, so no key lookup or rate limit).
 * The baseline runs before and after the measured routes; its rate is the mean of the two.
 */
import { type ClosedLoopResult, closedLoop, round } from './stats.ts';

export interface ReadFigures {
  concurrency: number;
  secondsEach: number;
  statusRps: number;
  statusP50Ms: number;
  statusP99Ms: number;
  summaryRps: number;
  summaryP99Ms: number;
  baselineRps: number;
  baselineP99Ms: number;
  baselineRoute: string;
  ratio: number;
  summaryRatio: number;
  /** Answers ≥ 400 or failed requests, over all four runs. */
  errors: number;
}

export async function measureReads(url: string, recipientId: string, concurrency: number, seconds: number): Promise<ReadFigures> {
  const get = (path: string) => () => fetch(`${url}${path}`);
  const run = (path: string) => closedLoop(concurrency, seconds, get(path));
  // Warm every route once (JIT, connections) before timing.
  await closedLoop(concurrency, Math.min(0.5, seconds), get('/healthz'));
  await closedLoop(concurrency, Math.min(0.5, seconds), get(`/v1/recipients/${recipientId}`));
  const base1 = await run('/healthz');
  const status = await run(`/v1/recipients/${recipientId}`);
  const summary = await run('/v1/summary');
  const base2 = await run('/healthz');
  const baseline: ClosedLoopResult = {
    ...base1,
    requests: base1.requests + base2.requests,
    errors: base1.errors + base2.errors,
    rps: round((base1.rps + base2.rps) / 2, 1),
    p99Ms: Math.max(base1.p99Ms, base2.p99Ms),
  };
  return {
    concurrency,
    secondsEach: seconds,
    statusRps: status.rps,
    statusP50Ms: status.p50Ms,
    statusP99Ms: status.p99Ms,
    summaryRps: summary.rps,
    summaryP99Ms: summary.p99Ms,
    baselineRps: baseline.rps,
    baselineP99Ms: baseline.p99Ms,
    baselineRoute: 'GET /healthz (same server, constant body)',
    ratio: round(status.rps / baseline.rps, 3),
    summaryRatio: round(summary.rps / baseline.rps, 3),
    errors: baseline.errors + status.errors + summary.errors,
  };
}
