/**
 * The reads measurement of `npm run bench` alone, for iterating on the read path (~1 minute):
 * starts the bench stack (bench/harness.ts), stores recipients shaped like those of a full run by
 * the time it measures reads (44 recipients; fewer events each, which changes nothing here: a
 * realistic log's status item stays small however long the log), waits for their projection,
 * then runs `measureReads` `--runs` times and prints each run, the medians and the load average.
 *
 *   node --import tsx bench/reads-only.ts [--runs 3] [--seconds 4] [--slices 8]
 */
import { loadavg } from 'node:os';
import { realisticMix } from './events.ts';
import { startBenchStack } from './harness.ts';
import { type ReadFigures, measureReads } from './reads.ts';
import { median, round } from './stats.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const runs = arg('runs', 3);
const seconds = arg('seconds', 4);
const slices = arg('slices', 8);

const b = await startBenchStack();
try {
  const delivery = (t: string) => t.startsWith('delivery.');
  const lag = realisticMix({ seed: 3, count: 400, recipients: 4, prefix: 'lag', types: delivery });
  const events = [
    ...realisticMix({ seed: 11, count: 20, recipients: 8, prefix: 'cal-single' }),
    ...realisticMix({ seed: 12, count: 100, recipients: 8, prefix: 'cal-batched' }),
    ...realisticMix({ seed: 13, count: 20, recipients: 4, prefix: 'cal-hook', types: delivery }),
    ...realisticMix({ seed: 1, count: 200, recipients: 8, prefix: 'single' }),
    ...realisticMix({ seed: 2, count: 800, recipients: 8, prefix: 'batched' }),
    ...lag,
    ...realisticMix({ seed: 4, count: 80, recipients: 4, prefix: 'steady', types: delivery }),
  ];
  await b.preload(events);
  await b.projected(undefined, 300_000);
  const recipientId = lag[0]!.subject.slice('recipients/'.length);
  const all: ReadFigures[] = [];
  for (let i = 0; i < runs; i++) {
    const load = round(loadavg()[0]!, 2);
    const r = await measureReads(b.url, recipientId, 8, seconds, { slices });
    all.push(r);
    console.log(JSON.stringify({ run: i + 1, load1m: load, statusRps: r.statusRps, baselineRps: r.baselineRps, ratio: r.ratio,
      summaryRps: r.summaryRps, summaryRatio: r.summaryRatio, statusP99Ms: r.statusP99Ms, errors: r.errors }));
  }
  const m = (f: (r: ReadFigures) => number) => median(all.map(f));
  console.log(JSON.stringify({
    median: true, load1m: round(loadavg()[0]!, 2), statusRps: m((r) => r.statusRps), baselineRps: m((r) => r.baselineRps),
    ratio: m((r) => r.ratio), summaryRps: m((r) => r.summaryRps), summaryRatio: m((r) => r.summaryRatio),
  }));
} finally {
  await b.stop();
}
