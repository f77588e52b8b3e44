/**
 * The `tracker` CLI as an agency runs it, configured by TRACKER_URL / TRACKER_KEY, against the
 * local stack (its `main` in process, and `bin/tracker.mjs` as a child process where the process
 * itself matters: exit codes, retries with real waits, Ctrl-C-free `tail --limit`): posting a CSV and re-posting it, a file with
 * a bad row and one with a row the key may not post (row numbers named, nothing else lost), status
 * now and as of a date, keys, subscribe with a delivery log, tail, retries on 503 with
 * `Retry-After`, and the exit codes.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/tracker/main.ts';
import { startLocalStack, type LocalStack } from '../../local/stack.ts';
import { E2E_ADMIN_KEY, eventually, postEvents } from '../support/http.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'tracker.mjs');
const EXAMPLE_CSV = join(ROOT, 'events', 'csv', 'example-naver-cloud.csv');

let stack: LocalStack;
let dir: string;
const servers: Server[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ seed: '1', adminKey: E2E_ADMIN_KEY, allowPrivateWebhooks: true, webhookRetryScale: 0.001 });
  dir = mkdtempSync(join(tmpdir(), 'tracker-cli-'));
});
afterAll(async () => {
  for (const s of servers) s.close();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tracker` in the test process (`main`, as `bin/tracker.mjs` runs it), configured as a user would. */
async function tracker(args: string[], env: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const stderrStream = { isTTY: false, write: (text: string) => ((stderr += text), true) } as unknown as NodeJS.WriteStream;
  const code = await main(args, {
    out: (text) => (stdout += `${text}\n`),
    err: (text) => (stderr += `${text}\n`),
    env: { TRACKER_URL: stack.url, TRACKER_KEY: E2E_ADMIN_KEY, ...env },
    cwd: dir,
    stderr: stderrStream,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

/** Runs the real command, `bin/tracker.mjs`, in a child process. */
function trackerProcess(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', TRACKER_URL: stack.url, TRACKER_KEY: E2E_ADMIN_KEY, ...env },
      timeout: 60_000,
    }, (error, stdout, stderr) => done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('tracker CLI', () => {
  it('prints help for every command, and exits 2 on a usage error', async () => {
    for (const command of ['', 'post', 'status', 'tail', 'keys', 'subscribe', 'subscriptions', 'deliveries']) {
      const run = await tracker([...(command ? [command] : []), '--help']);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toMatch(/^usage: tracker/);
    }
    expect((await tracker(['post', '--help'])).stdout).toContain('delivery.shipped      shipmentId, quantity, orderId, gpuModel, site?');
    const real = await trackerProcess(['status', '--help']);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^usage: tracker status/);
    expect((await trackerProcess(['launch'])).code).toBe(2);
    expect((await tracker(['launch'])).code).toBe(2);
    expect((await tracker(['post'])).code).toBe(2);
    expect((await tracker(['status', '--rate', '3'])).code).toBe(2);
  });

  it('posts a CSV, and re-posting it changes nothing', async () => {
    const first = await trackerProcess(['post', EXAMPLE_CSV]);
    expect(first.stderr).toContain('posting: 4/4');
    expect(first.stdout).toContain('4 accepted, 0 duplicate, 0 conflict, 0 rejected');
    expect(first.code).toBe(0);
    const again = await tracker(['post', EXAMPLE_CSV, '--json']);
    expect(again.code).toBe(0);
    const summary = JSON.parse(again.stdout) as { accepted: number; duplicate: number; results: { row: string; status: string }[] };
    expect(summary).toMatchObject({ accepted: 0, duplicate: 4 });
    expect(summary.results.map((r) => r.row)).toEqual(['line 2', 'line 3', 'line 4', 'line 5']);

    const status = await eventually(async () => {
      const run = await tracker(['status', 'naver-cloud', '--json']);
      const body = JSON.parse(run.stdout) as { ordered: number; shipped: number; delivered: number };
      return body.shipped === 2000 ? body : undefined;
    }, 30_000, 250);
    expect(status).toMatchObject({ ordered: 3000, shipped: 2000, delivered: 1200 });
  });

  it('reports a bad row with its row number and posts every other row', async () => {
    const csv = file('bad-row.csv', [
      'type,source,recipient,time,orderId,shipmentId,quantity,gpuModel',
      'delivery.shipped,/companies/samsung,samsung,2026-03-01,sam-po-9,sam-ship-91,100,NVIDIA B200',
      'delivery.shipped,/companies/samsung,samsung,2026-03-02,sam-po-9,sam-ship-92,lots,NVIDIA B200',
      'delivery.shipped,/companies/samsung,samsung,2026-03-40,sam-po-9,sam-ship-93,300,NVIDIA B200',
      'delivery.shipped,/companies/samsung,samsung,2026-03-04,sam-po-9,sam-ship-94,400,NVIDIA B200',
    ].join('\n'));
    const run = await tracker(['post', csv]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('2 accepted, 0 duplicate, 0 conflict, 2 rejected');
    expect(run.stdout).toMatch(/bad-row\.csv line 3: rejected\n\s+quantity: 'lots' is not a whole number/);
    expect(run.stdout).toMatch(/bad-row\.csv line 4: rejected\n\s+time: must be an RFC 3339 date-time/);
    // Fixing the rows and posting again adds exactly them.
    writeFileSync(csv, [
      'type,source,recipient,time,orderId,shipmentId,quantity,gpuModel',
      'delivery.shipped,/companies/samsung,samsung,2026-03-01,sam-po-9,sam-ship-91,100,NVIDIA B200',
      'delivery.shipped,/companies/samsung,samsung,2026-03-02,sam-po-9,sam-ship-92,200,NVIDIA B200',
      'delivery.shipped,/companies/samsung,samsung,2026-03-03,sam-po-9,sam-ship-93,300,NVIDIA B200',
      'delivery.shipped,/companies/samsung,samsung,2026-03-04,sam-po-9,sam-ship-94,400,NVIDIA B200',
    ].join('\n'));
    expect((await tracker(['post', csv])).stdout).toContain('2 accepted, 2 duplicate, 0 conflict, 0 rejected');
  });

  it('reports rows the key may not post, and the API’s own refusals, by row; the rest is stored', async () => {
    const made = JSON.parse((await tracker(['keys', 'create', '--name', 'Samsung reporter', '--role', 'reporter', '--sources', '/companies/samsung', '--subjects', 'recipients/samsung', '--types', 'delivery.*', '--json'])).stdout) as { key: string };
    const ndjson = file('mixed.ndjson', [
      { specversion: '1.0', id: 'cli-ok-1', source: '/companies/samsung', type: 'delivery.received', subject: 'recipients/samsung', time: '2026-03-05T09:00:00+09:00', data: { shipmentId: 'sam-ship-91', quantity: 100, orderId: 'sam-po-9', gpuModel: 'NVIDIA B200' } },
      { specversion: '1.0', id: 'cli-not-mine', source: '/companies/sk', type: 'delivery.received', subject: 'recipients/sk-group', time: '2026-03-05T09:00:00+09:00', data: { shipmentId: 'sk-1', quantity: 5, orderId: 'sk-po', gpuModel: 'NVIDIA B200' } },
      { specversion: '1.0', id: 'cli-ok-2', source: '/companies/samsung', type: 'delivery.received', subject: 'recipients/samsung', time: '2026-03-06T09:00:00+09:00', data: { shipmentId: 'sam-ship-92', quantity: 200, orderId: 'sam-po-9', gpuModel: 'NVIDIA B200' } },
    ].map((e) => JSON.stringify(e)).join('\n'));
    const run = await tracker(['post', ndjson], { TRACKER_KEY: made.key });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('2 accepted, 0 duplicate, 0 conflict, 1 rejected');
    expect(run.stdout).toMatch(/mixed\.ndjson line 2 \(cli-not-mine\): rejected\n\s+refused: source: this key may not post for source \/companies\/sk/);

    // A conflict: same (source, id), other content.
    const conflict = file('conflict.json', JSON.stringify({ specversion: '1.0', id: 'cli-ok-1', source: '/companies/samsung', type: 'delivery.received', subject: 'recipients/samsung', time: '2026-03-05T09:00:00+09:00', data: { shipmentId: 'sam-ship-91', quantity: 999, orderId: 'sam-po-9', gpuModel: 'NVIDIA B200' } }));
    const c = await tracker(['post', conflict], { TRACKER_KEY: made.key });
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/0 accepted, 0 duplicate, 1 conflict, 0 rejected[^]*conflict.json item 1 \(cli-ok-1\): conflict/);
  });

  it('prints status now and as of a date', async () => {
    const before = await tracker(['status', '--as-of', '2025-10-30']);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('as of 2025-10-30T23:59:59.999+09:00');
    expect(before.stdout).toMatch(/total\s+0 recipients\s+0/);
    const announced = await tracker(['status', '--as-of', '2025-10-31T23:00:00+09:00']);
    expect(announced.stdout).toMatch(/samsung\s+Samsung\s+private\s+50,000/);
    expect(announced.stdout).toMatch(/total\s+5 recipients\s+260,000/);
    const now = JSON.parse((await tracker(['status', '--json'])).stdout) as { summary: { allocated: number; recipients: number } };
    expect(now.summary).toMatchObject({ allocated: 260_000, recipients: 5 });
    const one = await tracker(['status', 'samsung', '--known-at', '2025-01-01']);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain('404');
    expect((await tracker(['status', '--as-of', 'yesterday'])).code).toBe(1);
  });

  it('manages keys; a revoked key is refused with exit code 4', async () => {
    const made = JSON.parse((await tracker(['keys', 'create', '--name', 'MSIT analyst', '--role', 'subscriber', '--json'])).stdout) as { id: string; key: string };
    const listed = await tracker(['keys', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${made.id}\\s+MSIT analyst\\s+subscriber`));
    expect((await tracker(['subscriptions'], { TRACKER_KEY: made.key })).code).toBe(0);
    expect((await tracker(['keys', 'revoke', made.id])).stdout).toContain(`revoked key ${made.id}`);
    await new Promise((r) => setTimeout(r, 5_500)); // keys are cached for 5 s
    const refused = await tracker(['subscriptions'], { TRACKER_KEY: made.key });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('401');
    expect((await tracker(['keys', 'list', '--retries', '0'], { TRACKER_KEY: '', TRACKER_URL: 'http://example.invalid' })).code).toBe(3);
  });

  it('subscribes a webhook and shows its delivery log', async () => {
    const hits: string[] = [];
    const receiver = await listen(createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hits.push(body);
        res.writeHead(204).end();
      });
    }));
    const sub = await tracker(['subscribe', `${receiver}/hook`, '--types', 'delivery.*', '--recipients', 'hyundai-motor-group', '--json']);
    expect(sub.code).toBe(0);
    const { id, secret } = JSON.parse(sub.stdout) as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    expect((await tracker(['subscriptions'])).stdout).toContain(id);
    await postEvents(stack.url, [{ specversion: '1.0', id: 'cli-hmg-ship-1', source: '/companies/hyundai', type: 'delivery.shipped', subject: 'recipients/hyundai-motor-group', time: '2026-04-01T09:00:00+09:00', data: { shipmentId: 'hmg-1', quantity: 10, orderId: 'hmg-po', gpuModel: 'NVIDIA B200' } }]);
    await eventually(async () => (hits.length > 0 ? true : undefined), 30_000, 200);
    const log = await eventually(async () => {
      const run = await tracker(['deliveries', id]);
      return run.stdout.includes('delivered') ? run : undefined;
    }, 30_000, 500);
    expect(log.stdout).toMatch(/delivery\.shipped cli-hmg-ship-1\s+recipients\/hyundai-motor-group\s+delivered\s+1\s+204/);
    expect((await tracker(['subscriptions', '--delete', id])).code).toBe(0);
    expect((await tracker(['deliveries', id])).code).toBe(1);
  });

  it('tails the live stream', async () => {
    const child = spawn(process.execPath, [BIN, 'tail', '--json', '--limit', '1', '--types', 'delivery.installed'], {
      cwd: dir, env: { PATH: process.env.PATH ?? '', TRACKER_URL: stack.url },
    });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
    await new Promise((r) => setTimeout(r, 1_500));
    await postEvents(stack.url, [
      { specversion: '1.0', id: 'cli-tail-shipped', source: '/companies/sk', type: 'delivery.shipped', subject: 'recipients/sk-group', time: '2026-04-02T09:00:00+09:00', data: { shipmentId: 'sk-t1', quantity: 7, orderId: 'sk-po', gpuModel: 'NVIDIA B200' } },
      { specversion: '1.0', id: 'cli-tail-installed', source: '/companies/sk', type: 'delivery.installed', subject: 'recipients/sk-group', time: '2026-04-03T09:00:00+09:00', data: { shipmentId: 'sk-t1', quantity: 7, orderId: 'sk-po', gpuModel: 'NVIDIA B200' } },
    ]);
    const code = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(-2), 30_000))]);
    child.kill();
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim())).toMatchObject({ id: 'cli-tail-installed', type: 'delivery.installed', sequence: expect.any(Number) });
  });

  it('retries 503 answers after Retry-After, and gives up with exit code 3 when the tracker stays down', async () => {
    let refusals = 2;
    const proxy = await listen(createServer((req, res) => {
      if (req.url === '/v1/events' && refusals > 0) {
        refusals--;
        req.resume();
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/problem+json' }).end('{"title":"Service unavailable","status":503,"detail":"busy"}');
        return;
      }
      const target = new URL(stack.url);
      const forward = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(forward);
    }));
    const json = file('one.json', JSON.stringify([{ specversion: '1.0', id: 'cli-retry-1', source: '/companies/sk', type: 'delivery.received', subject: 'recipients/sk-group', time: '2026-04-04T09:00:00+09:00', data: { shipmentId: 'sk-t1', quantity: 7, orderId: 'sk-po', gpuModel: 'NVIDIA B200' } }]));
    const started = Date.now();
    const run = await trackerProcess(['post', json, '--no-progress'], { TRACKER_URL: proxy });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/retry 1 in 1\.0 s: 503[^]*retry 2 in 1\.0 s: 503/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(run.stdout).toContain('1 accepted');

    const down = await trackerProcess(['post', json, '--retries', '1', '--no-progress'], { TRACKER_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('cannot reach http://127.0.0.1:9');
  });
});
