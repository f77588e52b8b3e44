/**
 * `npm run bench -- --quick`, in process: the benchmark's every code path with tiny counts, so it
 * cannot rot. Asserts that every figure of `bench/results.json` is there and is a finite number
 * (positive where it must be), never how fast anything was: the machine is shared and noisy.
 */
import { describe, expect, it } from 'vitest';
import { type BenchResults, runBench } from '../../bench/run.ts';

const positive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0;
const nonNegative = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;

function expectFields(what: string, object: object, fields: Record<string, (x: unknown) => boolean>) {
  for (const [field, check] of Object.entries(fields)) {
    const value = (object as Record<string, unknown>)[field];
    expect(check(value), `${what}.${field} = ${JSON.stringify(value)}`).toBe(true);
  }
}

describe('npm run bench -- --quick', () => {
  it('measures every figure of bench/results.json', async () => {
    const r: BenchResults = await runBench({ quick: true, log: () => {} });
    expect(r.quick).toBe(true);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);

    expectFields('pipeline', r.pipeline, {
      batchedEventsPerSec: positive, singleEventsPerSec: positive, rawPutItemsPerSec: positive, ratio: positive,
    });
    expect(r.pipeline.clients).toBe(8);
    expect(r.pipeline.batchSize).toBe(25);

    for (const mode of ['single', 'batched', 'singleWithWebhook'] as const) {
      const c = r.cost[mode];
      expectFields(`cost.${mode}`, c, {
        awsRequestsPerEvent: positive, wruPerEvent: positive, rruPerEvent: positive, transactionalWruPerEvent: positive,
        lambdaInvocationsPerEvent: positive, usdPerMillion: positive,
      });
      expect(c.dominates, `cost.${mode}.dominates`).toMatch(/%/);
      // Authentication and the per-key rate-limit counter are on the measured path, and so is the notifier's watermark.
      expect(c.wruByTable.keys, `cost.${mode}.wruByTable.keys`).toBeGreaterThan(0);
      expect(c.wruByTable.notify, `cost.${mode}.wruByTable.notify`).toBeGreaterThan(0);
      expect(c.wruByTable.events).toBeGreaterThan(0);
      expect(c.wruByTable.state).toBeGreaterThan(0);
      for (const fn of ['api', 'projector', 'notifier'] as const) {
        expect(positive(c.invocationsPerEvent[fn]), `cost.${mode}.invocationsPerEvent.${fn}`).toBe(true);
        expect(positive(c.durationMs[fn]), `cost.${mode}.durationMs.${fn}`).toBe(true);
      }
      for (const v of Object.values(c.usdPerMillionBreakdown)) expect(nonNegative(v)).toBe(true);
    }
    expect(r.cost.single.invocationsPerEvent.api).toBe(1);
    expect(r.cost.batched.invocationsPerEvent.api).toBeLessThan(r.cost.single.invocationsPerEvent.api);
    expect(positive(r.cost.singleWithWebhook.invocationsPerEvent.deliverer)).toBe(true);
    expect(r.cost.assumptions.memoryMb).toMatchObject({ api: 1024, projector: 512 });
    expect(positive(r.cost.assumptions.memoryMb.notifier) && positive(r.cost.assumptions.memoryMb.deliverer)).toBe(true);
    expectFields('cost.assumptions.dynamodbLocal', r.cost.assumptions.dynamodbLocal, {
      putItemUnits: positive, oneItemTransactionUnits: positive, threeItemTransactionReportedUnits: positive, threeItemTransactionModelledUnits: positive,
    });
    expect(r.cost.assumptions.dynamodbLocal.putItemModelCheck.putItems).toBeGreaterThan(0);

    expectFields('lag', r.lag, {
      statusP50Ms: nonNegative, statusP99Ms: nonNegative, webhookP50Ms: nonNegative, webhookP99Ms: nonNegative, events: positive,
    });
    expect(r.lag.ratePerSec).toBe(100);
    expect(r.lag.webhooksReceived).toBe(r.lag.events);
    expectFields('lag.atSustainableRate', r.lag.atSustainableRate, {
      ratePerSec: positive, statusP50Ms: nonNegative, statusP99Ms: nonNegative, webhookP50Ms: nonNegative, webhookP99Ms: nonNegative, events: positive,
    });

    expectFields('reads', r.reads, {
      statusRps: positive, statusP99Ms: positive, summaryRps: positive, baselineRps: positive, ratio: positive,
    });
    expect(r.reads.errors).toBe(0);

    expect(Object.keys(r.bundles.functions)).toEqual(expect.arrayContaining(['api', 'projector', 'notifier', 'deliverer', 'reconciler', 'retry-sweeper', 'stream']));
    for (const [fn, f] of Object.entries(r.bundles.functions)) {
      expectFields(`bundles.functions.${fn}`, f, { bytes: positive, initMs: nonNegative, processMs: positive, coldStartRatio: positive });
    }
    expect(positive(r.bundles.emptyProcessMs) && positive(r.bundles.coldStartRatio)).toBe(true);

    expect(r.growth.recipients.map((g) => g.recipients)).toEqual([1, 3]);
    for (const g of r.growth.recipients) expectFields('growth.recipients[]', g, { wruPerEvent: positive, rruPerEvent: positive, usdPerMillion: positive });
    expect(r.growth.history).toHaveLength(4);
    for (const g of r.growth.history) {
      expectFields('growth.history[]', g, {
        wruPerEvent: positive, rruPerEvent: positive, statusItemBytes: positive, largestKeyItemBytes: positive, statusP99Ms: positive,
      });
      expectFields('growth.history[].withWebhook', g.withWebhook, { wruPerEvent: positive, rruPerEvent: positive });
      expectFields('growth.history[].snapshotCatchUp', g.snapshotCatchUp, { wruPerEvent: positive, rruPerEvent: positive });
    }
    expect(r.scale.map((s) => s.storedEvents)).toEqual([30]);
    for (const s of r.scale) {
      expectFields('scale[]', s, { recipients: positive, wruPerEvent: positive, rruPerEvent: positive, statusP99Ms: positive, loadEventsPerSec: positive });
    }

    expect(Object.keys(r.aims).sort()).toEqual(['bundleBytes', 'bundleInit', 'pipelineRatio', 'readsRatio', 'usdBatched', 'usdSingle']);
    for (const aim of Object.values(r.aims)) expect(typeof aim.met).toBe('boolean');
  }, 300_000);
});
