/** Small numeric helpers of the benchmark. */

/** Nearest-rank percentile (p in 0–100) of `xs`; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (xs: readonly number[]) => percentile(xs, 50);

export const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Rounds to `significant` significant digits (for ratios and per-event figures of any size). */
export function sig(x: number, significant = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const digits = Math.max(0, significant - 1 - Math.floor(Math.log10(Math.abs(x))));
  return round(x, Math.min(digits, 8));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface ClosedLoopResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Bounded closed-loop load: `concurrency` loops, each sending its next request when the previous
 * one has answered, for `seconds`. Every response body is read in full.
 */
export async function closedLoop(concurrency: number, seconds: number, request: () => Promise<Response>): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await request();
          await res.arrayBuffer();
          if (res.status >= 400) errors++;
          else latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return {
    requests: latencies.length,
    errors,
    seconds: round(elapsed, 2),
    rps: round(latencies.length / elapsed, 1),
    p50Ms: round(percentile(latencies, 50), 1),
    p99Ms: round(percentile(latencies, 99), 1),
  };
}
