/**
 * `npm run bench`: the tracker's benchmarks on its own local stack (a fresh temporary data
 * directory), printed as tables and written to `bench/results.json`. BENCHMARKS.md explains each
 * figure. Speeds are also given as ratios to a baseline measured in the same run, because the
 * machines are shared and noisy.
 *
 *   npm run bench               # full run (under 10 minutes)
 *   npm run bench -- --quick    # the same code paths with tiny counts; writes nothing
 *   npm run bench -- --only scale [--scale 1000,10000]   # only the scale measurement; writes nothing
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { type BundlesFigures, measureBundles } from './bundles.ts';
import { realisticMix } from './events.ts';
import { type HistoryRow, type RecipientsRow, type ScaleRow, measureHistoryGrowth, measureRecipientsGrowth, measureScale } from './growth.ts';
import { startBenchStack } from './harness.ts';
import { type LagFigures, measureLag, startReceiver, subscribe } from './lag.ts';
import { type IngestOptions, type LocalCapacityProbe, calibrate, measureIngest, measureRawPutItems, probeLocalCapacity } from './pipeline.ts';
import { type CostFigures, PRICES, TABLE_SHORT_NAMES, configuredMemoryMb, costOf } from './pricing.ts';
import { type ReadFigures, measureReads } from './reads.ts';
import { round, sig } from './stats.ts';

export interface BenchOptions {
  quick: boolean;
  /** Stored-event levels of the scale measurement (default 1,000, 10,000 and 100,000; e.g. `--scale 1000,10000`). */
  scaleLevels?: number[];
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface BenchResults {
  measuredAt: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string; loadAverage1m: { atStart: number; atEnd: number } };
  durationSeconds: number;
  pipeline: {
    clients: number;
    batchSize: number;
    batchedEventsPerSec: number;
    singleEventsPerSec: number;
    rawPutItemsPerSec: number;
    /** The two raw measurements (before the single run, after the batched run) whose mean is `rawPutItemsPerSec`. */
    rawPutItemsPerSecRuns: [number, number];
    ratio: number;
    singleRatio: number;
    events: { single: number; batched: number };
  };
  cost: {
    assumptions: {
      prices: typeof PRICES;
      memoryMb: Record<string, number>;
      durationsMs: Record<'single' | 'batched' | 'singleWithWebhook', Record<string, number>>;
      dynamodbLocal: LocalCapacityProbe & { putItemModelCheck: { putItems: number; reported: number; modelled: number }; note: string };
      notes: string[];
    };
    single: CostFigures;
    batched: CostFigures;
    /** Single delivery events at the sustainable steady rate of the lag test, each delivered to one webhook subscriber. */
    singleWithWebhook: CostFigures;
  };
  lag: LagFigures & { atSustainableRate: LagFigures };
  reads: ReadFigures;
  bundles: BundlesFigures;
  growth: { recipients: RecipientsRow[]; history: HistoryRow[] };
  scale: ScaleRow[];
  aims: Record<string, { aim: string; value: number | string; met: boolean }>;
}

const SIZES = {
  quick: {
    calibrationEvents: 4, calibrationBatches: 2, singleEvents: 30, batchedEvents: 100, phaseSeconds: 10, rawSeconds: 0.5,
    lagSeconds: 0.3, readSeconds: 0.3, bundleRuns: 1, quietMs: 300,
    growthRecipients: [1, 3], growthEvents: 25, historyPriors: [5, 20], historyEvents: 3, scaleLevels: [30], scaleEvents: 3,
  },
  full: {
    calibrationEvents: 20, calibrationBatches: 4, singleEvents: 2000, batchedEvents: 5000, phaseSeconds: 40, rawSeconds: 5,
    lagSeconds: 20, readSeconds: 4, bundleRuns: 5, quietMs: 1000,
    growthRecipients: [1, 10, 50], growthEvents: 300, historyPriors: [100, 2000], historyEvents: 40, scaleLevels: [1000, 10_000, 100_000], scaleEvents: 40,
  },
} as const;

const CLIENTS = 8;
const BATCH = 25;
const LAG_RATE = 100;

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[bench] ${line}\n`));
  const size = options.quick ? SIZES.quick : SIZES.full;
  const scaleLevels = options.scaleLevels ?? size.scaleLevels;
  const began = performance.now();
  const loadAtStart = loadavg()[0]!;
  const memoryMb = configuredMemoryMb();
  const phase = (name: string) => log(`${name} (${round((performance.now() - began) / 1000, 0)} s)`);

  phase('bundles: building with the stack\'s esbuild settings and timing cold imports');
  const bundles = await measureBundles({ runs: size.bundleRuns });

  phase('starting the local stack (DynamoDB Local on a fresh data directory, SQS emulator, API, pollers)');
  const b = await startBenchStack();
  const receiver = await startReceiver();
  let stopped = false;
  try {
    const capacityProbe = await probeLocalCapacity(b.probe);
    const base: IngestOptions = { batchSize: 1, clients: CLIENTS, memoryMb, quietMs: size.quietMs };

    phase(`pipeline: raw PutItem ceiling, ${CLIENTS} loops for ${size.rawSeconds} s (again after the pipeline runs)`);
    const sample = realisticMix({ seed: 1, count: 10, recipients: 1, prefix: 'sample' })[5]!;
    const rawBefore = await measureRawPutItems(b.probe, CLIENTS, size.rawSeconds, sample);

    phase('calibration: Lambda durations, one request at a time');
    const calSingle = await calibrate(b, realisticMix({ seed: 11, count: size.calibrationEvents, recipients: 8, prefix: 'cal-single' }), base);
    const calBatched = await calibrate(
      b, realisticMix({ seed: 12, count: size.calibrationBatches * BATCH, recipients: 8, prefix: 'cal-batched' }), { ...base, batchSize: BATCH },
    );
    let unsubscribe = await subscribe(b, receiver.url, ['delivery.*']);
    const deliveryEvents = (seed: number, count: number, recipients: number, prefix: string) =>
      realisticMix({ seed, count, recipients, prefix, types: (t) => t.startsWith('delivery.') });
    const calHook = await calibrate(b, deliveryEvents(13, size.calibrationEvents, 4, 'cal-hook'), base);
    await unsubscribe();
    const single: IngestOptions = { ...base, durationsMs: calSingle, maxSeconds: size.phaseSeconds };
    const batchedOptions: IngestOptions = { ...base, batchSize: BATCH, durationsMs: calBatched, maxSeconds: size.phaseSeconds };

    phase(`pipeline: up to ${size.singleEvents} events (or ${size.phaseSeconds} s) one by one from ${CLIENTS} clients`);
    const singleRun = await measureIngest(b, realisticMix({ seed: 1, count: size.singleEvents, recipients: 8, prefix: 'single' }), single);
    phase(`pipeline: up to ${size.batchedEvents} events (or ${size.phaseSeconds} s) in batches of ${BATCH} from ${CLIENTS} clients`);
    const batchedRun = await measureIngest(
      b, realisticMix({ seed: 2, count: size.batchedEvents, recipients: 8, prefix: 'batched' }), batchedOptions,
    );
    phase('pipeline: raw PutItem ceiling again');
    const rawAfter = await measureRawPutItems(b.probe, CLIENTS, size.rawSeconds, sample);
    // The ceiling is measured before and after the pipeline runs; their mean is the baseline.
    const rawPutItemsPerSec = round((rawBefore + rawAfter) / 2, 1);

    phase(`lag: ${LAG_RATE} delivery events/s for ${size.lagSeconds} s, one webhook subscriber on 127.0.0.1`);
    unsubscribe = await subscribe(b, receiver.url, ['delivery.*']);
    const lagEvents = deliveryEvents(3, Math.round(LAG_RATE * size.lagSeconds), 4, 'lag');
    const { apiTotalMs: _a, accepted: _n, ...lagAt100 } = await measureLag(b, receiver, lagEvents, LAG_RATE);
    await b.settle(size.quietMs);
    // What this machine sustains: half the single-event throughput measured above (at most 100/s).
    const sustainable = Math.max(1, Math.min(LAG_RATE, Math.floor(singleRun.eventsPerSec / 2)));
    phase(`lag: ${sustainable} delivery events/s (half the measured single throughput) for ${size.lagSeconds} s`);
    const steadyEvents = deliveryEvents(4, Math.max(3, Math.round(sustainable * size.lagSeconds)), 4, 'steady');
    const steadyBefore = b.meter.snapshot();
    const { apiTotalMs: steadyApiMs, accepted: steadyAccepted, ...steady } = await measureLag(b, receiver, steadyEvents, sustainable);
    await b.settle(size.quietMs);
    const singleWithWebhook = costOf({
      events: steadyAccepted, apiRequests: steadyAccepted, apiTotalMs: steadyApiMs, usage: b.meter.since(steadyBefore), memoryMb,
      durationsMs: calHook, tableNames: TABLE_SHORT_NAMES,
    });
    await unsubscribe();
    const lag = { ...lagAt100, atSustainableRate: steady };

    phase(`reads: ${CLIENTS} closed loops, ${size.readSeconds} s per route`);
    const recipientId = lagEvents[0]!.subject.slice('recipients/'.length);
    const reads = await measureReads(b.url, recipientId, CLIENTS, size.readSeconds);

    phase(`growth: ${size.growthEvents} batched events over ${size.growthRecipients.join(' / ')} recipients`);
    const recipientsGrowth = await measureRecipientsGrowth(b, size.growthRecipients, size.growthEvents, batchedOptions);
    phase(`growth: ${size.historyEvents} single events to a recipient with ${size.historyPriors.join(' / ')} prior events`);
    const history = await measureHistoryGrowth(b, receiver, size.historyPriors, size.historyEvents, {
      ...single, clients: 4, readSeconds: size.readSeconds, durationsMs: calHook,
    });
    // The scale measurement stores up to 100,000 events: on a stack of its own, in memory, where
    // DynamoDB Local spends about half as much per stored item (BENCHMARKS.md, `scale`).
    await receiver.close();
    await b.stop();
    stopped = true;
    phase('scale: starting a second local stack, DynamoDB Local in memory');
    const scaleStack = await startBenchStack({ inMemory: true });
    let scale: ScaleRow[];
    try {
      phase(`scale: ${size.scaleEvents} events to a fresh recipient with ${scaleLevels.join(' / ')} events stored`);
      scale = await measureScale(scaleStack, scaleLevels, size.scaleEvents, { ...single, clients: 4, readSeconds: size.readSeconds, log });
    } finally {
      await scaleStack.stop();
    }
    phase('done');

    const results: BenchResults = {
      measuredAt: new Date().toISOString(),
      quick: options.quick,
      machine: machine(loadAtStart),
      durationSeconds: 0,
      pipeline: {
        clients: CLIENTS,
        batchSize: BATCH,
        batchedEventsPerSec: batchedRun.eventsPerSec,
        singleEventsPerSec: singleRun.eventsPerSec,
        rawPutItemsPerSec,
        rawPutItemsPerSecRuns: [rawBefore, rawAfter],
        ratio: sig(batchedRun.eventsPerSec / rawPutItemsPerSec, 3),
        singleRatio: sig(singleRun.eventsPerSec / rawPutItemsPerSec, 3),
        events: { single: singleRun.events, batched: batchedRun.events },
      },
      cost: {
        assumptions: {
          prices: PRICES,
          memoryMb,
          durationsMs: { single: calSingle, batched: calBatched, singleWithWebhook: calHook },
          dynamodbLocal: {
            ...capacityProbe,
            putItemModelCheck: { ...b.meter.modelCheck },
            note:
              'DynamoDB Local reports a one-item transaction at 2x (as AWS bills) but a transaction of several items as if each distinct ' +
              'item size were written once, so transactional write units are computed from each request (bench/capacity.ts): ' +
              '2 units per started KB of each item, plus index entries at the standard rate; everything else is as DynamoDB Local reports it ' +
              '(the same size model agrees with it on every PutItem: putItemModelCheck)',
          },
          notes: [
            'awsRequests = DynamoDB + SQS requests made by the tracker (SDK middleware); API Gateway requests and Lambda invocations are priced apart',
            'Lambda invocations = API requests + consumer batches (a ReceiveMessage that returned messages = one invocation of the handler)',
            'Lambda durations are calibrated one request at a time (API: client-side POST time; consumers: receive to delete of a batch), rounded up to 1 ms; DynamoDB Local answers far slower than DynamoDB, so they are upper bounds',
            'left out as fixed costs that do not scale with events: empty SQS long polls (Lambda pollers), the reconciler (every minute on AWS), the retry sweeper\'s queries of the due index',
            'wru/rru are AWS-billed units: transactional writes at 2x; eventually consistent reads at 0.5 per 4 KB',
          ],
        },
        single: singleRun.cost,
        batched: batchedRun.cost,
        singleWithWebhook,
      },
      lag,
      reads,
      bundles,
      growth: { recipients: recipientsGrowth, history },
      scale,
      aims: {},
    };
    results.aims = aimsOf(results);
    results.durationSeconds = round((performance.now() - began) / 1000, 1);
    return results;
  } finally {
    if (!stopped) {
      await receiver.close();
      await b.stop();
    }
  }
}

function machine(loadAtStart: number): BenchResults['machine'] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage1m: { atStart: round(loadAtStart, 2), atEnd: round(loadavg()[0]!, 2) },
  };
}

function aimsOf(r: BenchResults): BenchResults['aims'] {
  const maxBytes = Math.max(...Object.values(r.bundles.functions).map((f) => f.bytes));
  const maxInit = Math.max(...Object.values(r.bundles.functions).map((f) => f.initMs));
  return {
    pipelineRatio: { aim: 'batched / raw PutItem >= 0.5', value: r.pipeline.ratio, met: r.pipeline.ratio >= 0.5 },
    usdSingle: { aim: '<= $5.00 per million events, single', value: r.cost.single.usdPerMillion, met: r.cost.single.usdPerMillion <= 5 },
    usdBatched: { aim: '<= $3.00 per million events, batched', value: r.cost.batched.usdPerMillion, met: r.cost.batched.usdPerMillion <= 3 },
    readsRatio: { aim: 'status rps / baseline rps >= 0.3', value: r.reads.ratio, met: r.reads.ratio >= 0.3 },
    bundleBytes: { aim: 'every bundle <= 250 KB', value: maxBytes, met: maxBytes <= 250 * 1024 },
    bundleInit: { aim: 'every initMs <= 150', value: maxInit, met: maxInit <= 150 },
  };
}

/** The printed tables. */
export function report(r: BenchResults, print: (line: string) => void = console.log): void {
  const table = (title: string, rows: Record<string, unknown>[]) => {
    print(`\n${title}`);
    const cols = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    const cell = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? ''));
    const widths = cols.map((c) => Math.max(c.length, ...rows.map((row) => cell(row[c]).length)));
    print(cols.map((c, i) => c.padEnd(widths[i]!)).join('  '));
    for (const row of rows) print(cols.map((c, i) => cell(row[c]).padEnd(widths[i]!)).join('  '));
  };
  print(`GPU Policy Tracker benchmarks — ${r.measuredAt}${r.quick ? ' (quick: tiny counts, figures not meaningful)' : ''}`);
  print(`machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}; load average ${r.machine.loadAverage1m.atStart} → ${r.machine.loadAverage1m.atEnd}; run took ${r.durationSeconds} s`);
  const p = r.pipeline;
  table('pipeline (POST → projected status, 8 clients)', [
    { measure: 'batched (25/request)', eventsPerSec: p.batchedEventsPerSec, 'ratio to raw PutItem': p.ratio },
    { measure: 'single', eventsPerSec: p.singleEventsPerSec, 'ratio to raw PutItem': p.singleRatio },
    { measure: `raw DynamoDB Local PutItem (mean of ${p.rawPutItemsPerSecRuns.join(' and ')})`, eventsPerSec: p.rawPutItemsPerSec, 'ratio to raw PutItem': 1 },
  ]);
  const costRow = (name: string, c: CostFigures) => ({
    mode: name, usdPerMillion: c.usdPerMillion, awsReq: c.awsRequestsPerEvent, wru: c.wruPerEvent, 'of which tx': c.transactionalWruPerEvent,
    rru: c.rruPerEvent, lambdaInv: c.lambdaInvocationsPerEvent, dominates: c.dominates,
  });
  table('cost per event (AWS list prices)', [
    costRow('single', r.cost.single), costRow('batched', r.cost.batched), costRow('single + 1 webhook', r.cost.singleWithWebhook),
  ]);
  table('cost per event by table (wru / rru)', (['single', 'batched', 'singleWithWebhook'] as const).map((m) => ({
    mode: m, ...Object.fromEntries(Object.keys(r.cost[m].wruByTable).map((t) => [t, `${r.cost[m].wruByTable[t]} / ${r.cost[m].rruByTable[t]}`])),
  })));
  table('requests per event by command', (['single', 'batched', 'singleWithWebhook'] as const).map((m) => ({
    mode: m, ...r.cost[m].requestsByCommand,
  })));
  table('USD per million events by service', (['single', 'batched', 'singleWithWebhook'] as const).map((m) => ({ mode: m, ...r.cost[m].usdPerMillionBreakdown })));
  table('Lambda: invocations per event, mean duration ms, memory MB', (['api', 'projector', 'notifier', 'deliverer'] as const).map((fn) => ({
    function: fn, memoryMb: r.cost.assumptions.memoryMb[fn], single: r.cost.single.invocationsPerEvent[fn], batched: r.cost.batched.invocationsPerEvent[fn],
    'single+webhook': r.cost.singleWithWebhook.invocationsPerEvent[fn],
    'ms single': r.cost.single.durationMs[fn], 'ms batched': r.cost.batched.durationMs[fn], 'ms single+webhook': r.cost.singleWithWebhook.durationMs[fn],
    'loaded ms single': r.cost.single.loadedDurationMs[fn], 'loaded ms batched': r.cost.batched.loadedDurationMs[fn],
    'messages/event single+webhook': fn === 'api' ? '' : r.cost.singleWithWebhook.messagesPerEvent[fn],
  })));
  print('assumptions:');
  print(`  prices: ${JSON.stringify(r.cost.assumptions.prices)}`);
  const d = r.cost.assumptions.dynamodbLocal;
  print(`  DynamoDB Local: a 1.5 KB PutItem ${d.putItemUnits} WRU, alone in a transaction ${d.oneItemTransactionUnits}, three of them in one transaction ${d.threeItemTransactionReportedUnits} (AWS: ${d.threeItemTransactionModelledUnits})`);
  print(`  ${d.note}; PutItem check over the run: ${d.putItemModelCheck.putItems} puts, Local ${d.putItemModelCheck.reported} WRU, model ${d.putItemModelCheck.modelled} WRU`);
  for (const note of r.cost.assumptions.notes) print(`  ${note}`);
  const l = r.lag;
  table(`lag at a steady ${l.ratePerSec} events/s (achieved ${l.achievedPerSec}/s, ${l.skipped} skipped; ms from the accepted POST)`, [
    { to: 'visible status', p50: l.statusP50Ms, p99: l.statusP99Ms, max: l.statusMaxMs, events: l.events },
    { to: 'webhook received', p50: l.webhookP50Ms, p99: l.webhookP99Ms, max: l.webhookMaxMs, events: l.webhooksReceived },
    { to: '(POST round trip)', p50: l.postP50Ms, p99: l.postP99Ms, max: '', events: l.events },
  ]);
  const s = l.atSustainableRate;
  table(`lag at ${s.ratePerSec} events/s, half the measured single throughput (achieved ${s.achievedPerSec}/s, ${s.skipped} skipped)`, [
    { to: 'visible status', p50: s.statusP50Ms, p99: s.statusP99Ms, max: s.statusMaxMs, events: s.events },
    { to: 'webhook received', p50: s.webhookP50Ms, p99: s.webhookP99Ms, max: s.webhookMaxMs, events: s.webhooksReceived },
    { to: '(POST round trip)', p50: s.postP50Ms, p99: s.postP99Ms, max: '', events: s.events },
  ]);
  const rd = r.reads;
  table(`reads (${rd.concurrency} closed loops, ${rd.secondsEach} s each; baseline ${rd.baselineRoute})`, [
    { route: 'GET /v1/recipients/{id}', rps: rd.statusRps, p99Ms: rd.statusP99Ms, 'ratio to baseline': rd.ratio },
    { route: 'GET /v1/summary', rps: rd.summaryRps, p99Ms: rd.summaryP99Ms, 'ratio to baseline': rd.summaryRatio },
    { route: 'GET /healthz (baseline)', rps: rd.baselineRps, p99Ms: rd.baselineP99Ms, 'ratio to baseline': 1 },
  ]);
  table(`bundles (median of ${r.bundles.runs}; bare node start ${r.bundles.emptyProcessMs} ms)`, Object.entries(r.bundles.functions).map(([fn, f]) => ({
    function: fn, kB: round(f.bytes / 1024, 1), initMs: f.initMs, processMs: f.processMs, coldStartRatio: f.coldStartRatio,
    'largest (kB)': Object.entries(f.largest).slice(0, 4).map(([k, v]) => `${k} ${v}`).join(', '),
  })));
  table('growth: batched events spread over more recipients', r.growth.recipients.map((g) => ({
    recipients: g.recipients, wru: g.wruPerEvent, rru: g.rruPerEvent, awsReq: g.awsRequestsPerEvent, usdPerMillion: g.usdPerMillion, eventsPerSec: g.eventsPerSec,
  })));
  table('growth: single events to a recipient with a longer history', r.growth.history.map((g) => ({
    shape: g.shape, prior: g.priorEvents, wru: g.wruPerEvent, rru: g.rruPerEvent, usdPerMillion: g.usdPerMillion,
    'wru+hook': g.withWebhook.wruPerEvent, 'rru+hook': g.withWebhook.rruPerEvent, 'usd+hook': g.withWebhook.usdPerMillion,
    'catchUp wru': g.snapshotCatchUp.wruPerEvent, 'catchUp rru': g.snapshotCatchUp.rruPerEvent,
    statusBytes: g.statusItemBytes, largestKeyBytes: g.largestKeyItemBytes, statusP99Ms: g.statusP99Ms,
  })));
  table('scale: events already stored in the tracker', r.scale.map((s) => ({ ...s })));
  table('aims (issue #8)', Object.entries(r.aims).map(([k, a]) => ({ aim: a.aim, value: a.value, met: a.met ? 'yes' : 'NO', key: k })));
}

/**
 * `--only scale`: the scale measurement alone on its own stack (durations not calibrated, so no
 * dollar figures; the rows are those of the full run), to iterate on it. Prints its table.
 */
export async function runScaleOnly(options: BenchOptions, print: (line: string) => void = console.log): Promise<ScaleRow[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[bench] ${line}\n`));
  const size = options.quick ? SIZES.quick : SIZES.full;
  const levels = options.scaleLevels ?? size.scaleLevels;
  const began = performance.now();
  const loadAtStart = loadavg()[0]!;
  const b = await startBenchStack({ inMemory: true });
  try {
    log(`scale: ${size.scaleEvents} events to a fresh recipient with ${levels.join(' / ')} events stored`);
    const rows = await measureScale(b, levels, size.scaleEvents, {
      batchSize: 1, clients: 4, memoryMb: configuredMemoryMb(), quietMs: size.quietMs, readSeconds: size.readSeconds, log,
    });
    print(`scale only: took ${round((performance.now() - began) / 1000, 1)} s; load average ${round(loadAtStart, 2)} → ${round(loadavg()[0]!, 2)}`);
    print(rows.map((r) => JSON.stringify(r)).join('\n'));
    return rows;
  } finally {
    await b.stop();
  }
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename);
if (isMain && process.argv.includes('--only')) {
  const only = process.argv[process.argv.indexOf('--only') + 1];
  if (only !== 'scale') throw new Error(`--only ${only}: only "--only scale" is supported`);
  const scaleArg = process.argv[process.argv.indexOf('--scale') + 1];
  const scaleLevels = process.argv.includes('--scale') && scaleArg ? scaleArg.split(',').map(Number) : undefined;
  await runScaleOnly({ quick: process.argv.includes('--quick'), ...(scaleLevels ? { scaleLevels } : {}) });
} else if (isMain) {
  const quick = process.argv.includes('--quick');
  const scaleArg = process.argv[process.argv.indexOf('--scale') + 1];
  const scaleLevels = process.argv.includes('--scale') && scaleArg ? scaleArg.split(',').map(Number) : undefined;
  const results = await runBench({ quick, ...(scaleLevels ? { scaleLevels } : {}) });
  report(results);
  if (!quick) {
    const file = resolve(import.meta.dirname, 'results.json');
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwrote ${file}`);
  }
}
