/**
 * Scenario `rebuild`: after a long randomized run (duplicates, retractions, shuffled order, light SDK
 * faults and 1 s redelivery), the projection rebuilt from the log alone into an empty State table
 * equals the live projection item for item (full scans of both tables). Then `npm run rebuild` (the
 * CLI, on the running stack's data directory) finds nothing to change, repairs a deliberately
 * corrupted projection (a wrong counter, a deleted key item, a stale key item, a status without any
 * event) while new events keep arriving, and the result again equals a fresh rebuild and the fold.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isDeepStrictEqual } from 'node:util';
import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createTables } from '../../local/provision.ts';
import { LOCAL_TABLES } from '../../local/stack.ts';
import { createDynamoEventLog } from '../../src/adapters/dynamodb-event-log.ts';
import { createDynamoRebuildStore } from '../../src/adapters/dynamodb-rebuild-store.ts';
import { equivalentKey, equivalentState } from '../../src/domain/status.ts';
import { createRebuild } from '../../src/services/rebuild.ts';
import { rng } from '../support/random-events.ts';
import { ADMIN_KEY, type FaultStack, ROOT, removeDir, seedFor, sleep, startFaultStack, tempDir, writeSummary } from './harness.ts';
import { checkOracle, waitConverged } from './oracle.ts';
import { Ledger, retryUnacknowledged, runLoad, scenarioEvents } from './workload.ts';

const run = promisify(execFile);
const SEED = seedFor(9006);
const dataDir = tempDir('rebuild');
let fx: FaultStack | undefined;
afterAll(async () => {
  await fx?.stop();
  removeDir(dataDir);
});

type Item = Record<string, unknown>;

async function scan(table: string): Promise<Map<string, Item>> {
  const items = new Map<string, Item>();
  let start: Item | undefined;
  do {
    const out = await fx!.faults.bypass(() => fx!.stack.tracker.clients.doc.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true })));
    for (const item of out.Items ?? []) items.set(`${item.pk}|${item.sk}`, item);
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Items that differ between two scans (the `state` JSON compared as values, not text). */
/**
 * Items of `a` and `b` that differ. Capped candidate lists are compared by what they say (their
 * latest candidates, `equivalentState` / `equivalentKey`, as `npm run rebuild` compares): after
 * retractions a live list may keep fewer candidates than a fresh fold's. Everything else exactly.
 */
function differences(a: Map<string, Item>, b: Map<string, Item>): string[] {
  const out: string[] = [];
  // `rebuild` marks a status rewritten in place (so concurrent projector runs fail their commit).
  const rest = ({ state: _s, rebuild: _b, ...item }: Item) => item;
  const same = (x: Item, y: Item) => {
    const sx = JSON.parse(String(x.state));
    const sy = JSON.parse(String(y.state));
    const says = String(x.sk) === 'STATUS' ? equivalentState(sx, sy) && equivalentState(sy, sx) : equivalentKey(sx, sy) && equivalentKey(sy, sx);
    return says && isDeepStrictEqual(rest(x), rest(y));
  };
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k);
    const y = b.get(k);
    if (!x || !y) out.push(`${k}: only in the ${x ? 'first' : 'second'} table`);
    else if (!same(x, y)) out.push(`${k}: differs`);
  }
  return out;
}

async function cli(...args: string[]): Promise<{ code: number; report: any }> {
  try {
    const { stdout } = await run('npm', ['run', '--silent', 'rebuild', '--', '--data-dir', dataDir, '--json', ...args], { cwd: ROOT, maxBuffer: 16 << 20 });
    return { code: 0, report: JSON.parse(stdout) };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (e.code === 1 && e.stdout) return { code: 1, report: JSON.parse(e.stdout) };
    throw new Error(`npm run rebuild failed: ${e.stderr ?? error}`);
  }
}

describe('rebuild', () => {
  it(`rebuilds a projection equal to the live one, and repairs a corrupted one (seed ${SEED})`, async () => {
    fx = await startFaultStack(SEED, { dataDir, visibilityTimeoutSeconds: 1 });
    const { stack, faults } = fx;
    const url = () => stack.url;
    const random = rng(SEED);
    const ledger = new Ledger();
    const events = scenarioEvents(SEED, 1200, 12, 'rb', random);

    faults.setPlan({ rate: 0.04, kinds: { throttling: 2, '5xx': 2, timeout: 1, slow: 2, unprocessed: 1, conflict: 1 }, afterShare: 0.5, slowMs: [20, 300], timeoutMs: 300 });
    const load = await runLoad({ url, key: ADMIN_KEY, timeoutMs: 8_000, ledger, events, random, clients: 8, batch: [1, 20], duplicateShare: 0.25 });
    faults.enable(false);
    await retryUnacknowledged({ url, key: ADMIN_KEY, timeoutMs: 15_000, ledger, giveUpAt: Date.now() + 60_000 });
    const converged = await waitConverged({ url, ledger, timeoutMs: 120_000, what: 'rebuild' });
    await sleep(Math.max(0, ledger.lastAckAt + 6_000 - Date.now()));
    const first = await checkOracle({ url: stack.url, ledger });
    const live = await scan(LOCAL_TABLES.State);

    // 1. From the log alone, into an empty table.
    const doc = stack.tracker.clients.doc;
    const fresh = 'tracker-state-rebuilt';
    await faults.bypass(() => createTables(stack.tracker.clients.dynamodb, { ...LOCAL_TABLES, State: fresh }));
    const rebuild = createRebuild({ log: createDynamoEventLog(doc, LOCAL_TABLES.Events), store: createDynamoRebuildStore(doc, fresh) });
    const rebuilt = await faults.bypass(() => rebuild());
    const rebuiltScan = await scan(fresh);
    const freshDiff = differences(live, rebuiltScan);

    // 2. The CLI on the running stack: nothing differs.
    const healthy = await cli('--check');

    // 3. Corrupt the live projection, check, then rebuild in place while new events arrive.
    const victim = ledger.subjects()[0]!;
    const victimPk = `R#${victim.slice('recipients/'.length)}`;
    const status = live.get(`${victimPk}|STATUS`)!;
    const state = JSON.parse(String(status.state));
    state.counters.delivered += 1000;
    const keyItem = [...live.values()].find((i) => i.pk === victimPk && String(i.sk).startsWith('K#'))!;
    await faults.bypass(async () => {
      await doc.send(new PutCommand({ TableName: LOCAL_TABLES.State, Item: { ...status, state: JSON.stringify(state) } }));
      await doc.send(new DeleteCommand({ TableName: LOCAL_TABLES.State, Key: { pk: keyItem.pk, sk: keyItem.sk } }));
      await doc.send(new PutCommand({ TableName: LOCAL_TABLES.State, Item: { pk: victimPk, sk: 'K#ship#ghost', state: JSON.stringify({ key: 'ship#ghost', lists: { shipped: [] } }) } }));
      await doc.send(new PutCommand({ TableName: LOCAL_TABLES.State, Item: { ...status, pk: 'R#rb-ghost', gsi1sk: 'rb-ghost', state: JSON.stringify({ ...state, subject: 'recipients/rb-ghost' }) } }));
    });
    const corrupted = await cli('--check');

    const more = scenarioEvents(SEED + 1, 150, 12, 'rb', random);
    const during = runLoad({ url, key: ADMIN_KEY, timeoutMs: 8_000, ledger, events: more, random, clients: 2, batch: [1, 5], duplicateShare: 0.2 });
    const started = Date.now();
    const repaired = await cli();
    const repairMs = Date.now() - started;
    await during;
    await waitConverged({ url, ledger, timeoutMs: 60_000, what: 'rebuild (after repair)' });
    await sleep(Math.max(0, ledger.lastAckAt + 6_000 - Date.now()));
    const final = await checkOracle({ url: stack.url, ledger });
    const after = await scan(LOCAL_TABLES.State);
    // Compared with a rebuild from the log now (the live table moved on with the new events).
    const fresh2 = 'tracker-state-rebuilt-2';
    await faults.bypass(() => createTables(stack.tracker.clients.dynamodb, { ...LOCAL_TABLES, State: fresh2 }));
    await faults.bypass(() => createRebuild({ log: createDynamoEventLog(doc, LOCAL_TABLES.Events), store: createDynamoRebuildStore(doc, fresh2) })());
    const finalDiff = differences(after, await scan(fresh2));

    const counts = ledger.counts();
    writeSummary({
      scenario: 'rebuild',
      description: '1,200 randomized events (12 recipients, duplicates, retractions, 4% SDK faults, visibility 1 s), rebuilt into an empty table and compared item by item; then a corrupted projection repaired by `npm run rebuild` while 150 more events arrive',
      seed: SEED,
      ranAt: new Date().toISOString(),
      eventsPosted: counts.events,
      eventsAcknowledged: counts.acknowledged,
      postRequests: counts.requests,
      failedPostRequests: counts.failedRequests,
      faultsInjected: faults.stats.injected + 4,
      faults: { ...faults.stats, corruptions: 4 },
      lost: first.lost + final.lost,
      countedTwice: first.countedTwice + final.countedTwice,
      diverged: first.diverged + final.diverged + freshDiff.length + finalDiff.length,
      convergeMs: { projection: converged.projectedMs, rebuildIntoEmptyTable: rebuilt.durationMs, repairInPlace: repairMs },
      oracle: final,
      extra: {
        loadMs: load.durationMs,
        itemsCompared: live.size,
        subjects: rebuilt.subjects,
        eventsFolded: rebuilt.events,
        freshTableDifferences: freshDiff.length,
        healthyCheckDifferences: healthy.report.changed.length + healthy.report.orphans.length,
        corruptionFound: { changed: corrupted.report.changed, orphans: corrupted.report.orphans },
        repaired: { changed: repaired.report.changed, orphans: repaired.report.orphans },
        finalDifferences: finalDiff.length,
      },
    });

    expect(first.problems).toEqual([]);
    expect(live.size).toBeGreaterThan(100);
    expect(freshDiff).toEqual([]);
    expect(healthy.code).toBe(0);
    expect(healthy.report.changed).toEqual([]);
    expect(corrupted.code).toBe(1);
    expect(corrupted.report.orphans).toEqual(['recipients/rb-ghost']);
    expect(corrupted.report.changed).toEqual([expect.objectContaining({ subject: victim, status: true, keysWritten: 1, keysDeleted: 1 })]);
    expect(repaired.code).toBe(0);
    expect(repaired.report.orphans).toEqual(['recipients/rb-ghost']);
    expect(final.problems).toEqual([]);
    expect(finalDiff).toEqual([]);
  }, 420_000);
});
