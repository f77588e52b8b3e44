/**
 * `npm start` as a user runs it: a child process on a fresh data directory shows the seed scenario
 * at /v1/summary, stops cleanly on SIGTERM with no orphan java, and shows the same status after a
 * restart on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/dynamodb-local.ts';
import { E2E_ADMIN_KEY, eventually, getJson, postEvents } from '../support/http.ts';

const root = resolve(import.meta.dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'tracker-start-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(port: number, seed = '1') {
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), TRACKER_DATA_DIR: dataDir, TRACKER_SEED: seed, TRACKER_ADMIN_KEY: E2E_ADMIN_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${output}`);
    return fetch(`${url}/healthz`).then((r) => (r.ok ? true : undefined), () => undefined);
  }, 90_000, 250);
  return { child, url, output: () => output };
}

/** Java processes whose command line names this data directory. */
async function javaFor(dir: string): Promise<number> {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes('DynamoDBLocal') && line.includes(dir)).length;
}

async function stop(child: ChildProcess) {
  const exited = new Promise<string>((done) => child.once('exit', (code, signal) => done(String(code ?? signal))));
  child.kill('SIGTERM'); // to npm alone: npm forwards it to the tracker, which must stop java itself
  return exited;
}

describe('npm start', () => {
  it('serves the seed scenario, stops cleanly and keeps its data across restarts', async () => {
    const port = await freePort();
    const first = await start(port);
    const summary = await eventually(async () => {
      const res = await getJson(`${first.url}/v1/summary`);
      return res.body.recipients === 5 && res.body.allocated === 260_000 ? res.body : undefined;
    });
    expect(summary.bySector.public.allocated).toBe(50_000);
    expect(summary.bySector.private.allocated).toBe(210_000);
    expect((await getJson(`${first.url}/v1/mous`)).body.items).toHaveLength(5);

    const shipped = await postEvents(first.url, {
      specversion: '1.0', id: 'restart-check-1', source: '/companies/samsung', type: 'delivery.shipped',
      subject: 'recipients/samsung', time: '2026-01-15T10:00:00+09:00',
      data: { shipmentId: 'restart-s1', quantity: 1200, orderId: 'restart-o1', gpuModel: 'NVIDIA B200' },
    }, 'application/cloudevents+json');
    expect(shipped.status).toBe(202);
    const before = await eventually(async () => {
      const res = await getJson(`${first.url}/v1/recipients/samsung`);
      return res.body.shipped === 1200 ? res.body : undefined;
    });

    expect(await javaFor(dataDir)).toBe(1);
    // npm re-raises the signal it forwarded, so it ends by SIGTERM; the tracker itself must have stopped java.
    expect(['0', 'SIGTERM']).toContain(await stop(first.child));
    await eventually(async () => (first.output().includes('SIGTERM: stopping') ? true : undefined), 10_000);
    await eventually(async () => ((await javaFor(dataDir)) === 0 ? true : undefined), 10_000);

    const second = await start(port);
    const after = (await getJson(`${second.url}/v1/recipients/samsung`)).body;
    expect(after).toEqual(before);
    expect(second.output()).not.toContain('seeded');
    await stop(second.child);
  }, 240_000);
});
