/**
 * Read throughput under a bounded closed-loop load (N fetch loops): `GET /v1/recipients/{id}` and
 * `GET /v1/summary`, against `GET /healthz` of the same server as the baseline — a route that
 * returns a constant through the same Hono app, node server and global middleware, but reads
 * nothing (it is outside `/v1`, so no key lookup or rate limit).
 *
 * The three routes are measured in interleaved slices (`slices` rounds of one slice per route, the
 * order rotating each round) rather than one after the other: on a shared machine the load moves
 * within seconds, and a burst then slows all three routes alike instead of whichever ran at that
 * moment, so the ratios move far less from run to run. Each route still gets `seconds` in all.
 */
import { percentile, round } from './stats.ts';

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
  /** Answers ≥ 400 or failed requests, over all routes. */
  errors: number;
}

interface Tally {
  latencies: number[];
  errors: number;
  /** Sum over slices of the slice's requests per second. */
  rpsSum: number;
  slices: number;
}

/**
 * One slice: `concurrency` loops, each sending its next request when the previous answered, until
 * `seconds` have passed. Each loop's rate is its answered requests over the time it was busy (up to
 * its last answer), so no loop's rate includes time spent waiting for the slowest one to finish.
 */
async function slice(concurrency: number, seconds: number, get: () => Promise<Response>, into: Tally): Promise<void> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const rates = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      let answered = 0;
      let last = start;
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await get();
          await res.arrayBuffer();
          if (res.status >= 400) into.errors++;
          else {
            last = performance.now();
            into.latencies.push(last - t);
            answered++;
          }
        } catch {
          into.errors++;
        }
      }
      return answered === 0 ? 0 : answered / ((last - start) / 1000);
    }),
  );
  into.rpsSum += rates.reduce((a, b) => a + b, 0);
  into.slices++;
}

const tally = (): Tally => ({ latencies: [], errors: 0, rpsSum: 0, slices: 0 });
const rpsOf = (t: Tally) => (t.slices === 0 ? 0 : t.rpsSum / t.slices);

export async function measureReads(
  url: string,
  recipientId: string,
  concurrency: number,
  seconds: number,
  options: { slices?: number } = {},
): Promise<ReadFigures> {
  const routes = { baseline: '/healthz', status: `/v1/recipients/${recipientId}`, summary: '/v1/summary' } as const;
  const names = Object.keys(routes) as (keyof typeof routes)[];
  const get = (path: string) => () => fetch(`${url}${path}`);
  // Slices of at least half a second (a closed loop's first answers take one latency to come).
  const slices = Math.max(1, Math.min(options.slices ?? 8, Math.floor(seconds / 0.5)));
  const each = seconds / slices;
  // Warm every route (JIT, connections) before timing.
  for (const name of names) await slice(concurrency, Math.min(0.5, seconds), get(routes[name]), tally());
  const t = { baseline: tally(), status: tally(), summary: tally() };
  for (let i = 0; i < slices; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      await slice(concurrency, each, get(routes[name]), t[name]);
    }
  }
  const rps = (name: keyof typeof t) => round(rpsOf(t[name]), 1);
  const p = (name: keyof typeof t, q: number) => round(percentile(t[name].latencies, q), 1);
  return {
    concurrency,
    secondsEach: seconds,
    statusRps: rps('status'),
    statusP50Ms: p('status', 50),
    statusP99Ms: p('status', 99),
    summaryRps: rps('summary'),
    summaryP99Ms: p('summary', 99),
    baselineRps: rps('baseline'),
    baselineP99Ms: p('baseline', 99),
    baselineRoute: 'GET /healthz (same server, constant body)',
    ratio: round(rpsOf(t.status) / rpsOf(t.baseline), 3),
    summaryRatio: round(rpsOf(t.summary) / rpsOf(t.baseline), 3),
    errors: t.baseline.errors + t.status.errors + t.summary.errors,
  };
}
