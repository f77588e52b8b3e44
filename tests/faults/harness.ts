/**
 * What every fault scenario shares: seeds that can be replayed, the local stack in process (with the
 * fault middleware on its SDK clients and its logger counted instead of printed) or `npm start` as a
 * child process (for `kill -9` and memory), and the summary each scenario writes to
 * `test-results/faults/<scenario>.json`, merged into `test-results/faults-summary.json`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../local/dynamodb-local.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';
import { attachFaults, type FaultInjector, type FaultPlan } from './fault-middleware.ts';
import type { OracleReport } from './oracle.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const ADMIN_KEY = 'faults-admin-key-0123456789abcdef';

/** The scenario's seed: `FAULT_SEED` replays a failed run (the seed is printed in every summary). */
export function seedFor(defaultSeed: number): number {
  const fromEnv = Number(process.env.FAULT_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : defaultSeed;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `tracker-faults-${name}-`));
}

export interface LogCounts {
  error: number;
  warn: number;
  /** Distinct messages with their counts. */
  messages: Record<string, number>;
}

export interface FaultStack {
  stack: LocalStack;
  faults: FaultInjector;
  logs: LogCounts;
  stop(): Promise<void>;
}

/** The local stack in this process, the fault middleware on its clients (no random faults until `setPlan`/`enable`). */
export async function startFaultStack(seed: number, options: LocalStackOptions = {}, plan: Partial<FaultPlan> = {}): Promise<FaultStack> {
  const stack = await startLocalStack({
    seed: '0',
    adminKey: ADMIN_KEY,
    allowPrivateWebhooks: true,
    webhookRetryScale: 0.001,
    reconcileEverySeconds: 2,
    reconcileGraceSeconds: 2,
    ...options,
  });
  const logs: LogCounts = { error: 0, warn: 0, messages: {} };
  const logger = stack.tracker.logger as unknown as Record<'error' | 'warn', (message: string, ...rest: unknown[]) => void>;
  for (const level of ['error', 'warn'] as const) {
    logger[level] = (message: string) => {
      logs[level]++;
      logs.messages[message] = (logs.messages[message] ?? 0) + 1;
    };
  }
  const faults = attachFaults(stack.tracker.clients, seed, plan);
  return {
    stack,
    faults,
    logs,
    async stop() {
      faults.detach();
      await stack.stop();
    },
  };
}

export interface ChildStack {
  url: string;
  child: ChildProcess;
  output(): string;
  /** `kill -9` of the whole process group: npm, node and DynamoDB Local's java. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** `npm start` as a user runs it, in its own process group, on `dataDir` and `port`. */
export async function startChildStack(dataDir: string, port: number, env: Record<string, string> = {}): Promise<ChildStack> {
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      TRACKER_DATA_DIR: dataDir,
      TRACKER_SEED: '0',
      TRACKER_ADMIN_KEY: ADMIN_KEY,
      TRACKER_ALLOW_PRIVATE_WEBHOOKS: '1',
      TRACKER_WEBHOOK_RETRY_SCALE: '0.001',
      POWERTOOLS_LOG_LEVEL: 'CRITICAL',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}: ${output}`);
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`npm start did not answer in 120 s: ${output}`);
    }
    await sleep(250);
  }
  return {
    url,
    child,
    output: () => output,
    async kill9() {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
      // The group's other members (node, java) die with it; wait until none is left.
      for (let i = 0; i < 100 && groupMembers(child.pid!).length > 0; i++) await sleep(100);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  rssKb: number;
  command: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const rss = /VmRSS:\s+(\d+)/.exec(status);
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.push({ pid: Number(name), ppid: Number(fields[1]), pgid: Number(fields[2]), rssKb: rss ? Number(rss[1]) : 0, command });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

export function groupMembers(pgid: number): Proc[] {
  return processes().filter((p) => p.pgid === pgid);
}

/** Resident memory of a process tree (MB), split into node and java. */
export function treeRss(rootPid: number): { node: number; java: number; total: number } {
  const all = processes();
  const tree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) if (!tree.has(p.pid) && tree.has(p.ppid)) (tree.add(p.pid), (grew = true));
  }
  let node = 0;
  let java = 0;
  for (const p of all) {
    if (!tree.has(p.pid)) continue;
    if (p.command.includes('java')) java += p.rssKb;
    else if (p.command.includes('local/start.ts')) node += p.rssKb;
  }
  return { node: Math.round(node / 1024), java: Math.round(java / 1024), total: Math.round((node + java) / 1024) };
}

export interface ScenarioSummary {
  scenario: string;
  description: string;
  seed: number;
  ranAt: string;
  eventsPosted: number;
  eventsAcknowledged: number;
  postRequests: number;
  failedPostRequests: number;
  faultsInjected: number;
  faults: Record<string, unknown>;
  lost: number;
  countedTwice: number;
  diverged: number;
  convergeMs: Record<string, number>;
  oracle?: Omit<OracleReport, 'problems'> & { problems: string[] };
  extra?: Record<string, unknown>;
}

const RESULTS = join(ROOT, 'test-results');

/** Writes the scenario's summary and re-merges every scenario's into `test-results/faults-summary.json`. */
export function writeSummary(summary: ScenarioSummary): void {
  const dir = join(RESULTS, 'faults');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${summary.scenario}.json`), `${JSON.stringify(summary, null, 2)}\n`);
  const all = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ScenarioSummary);
  writeFileSync(join(RESULTS, 'faults-summary.json'), `${JSON.stringify(all, null, 2)}\n`);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export { freePort };
