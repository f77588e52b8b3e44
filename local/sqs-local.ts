/**
 * The in-process SQS emulator (fauxqs) for the local stack and the integration tests.
 *
 * Queue URLs returned by fauxqs look like `http://sqs.us-east-1.localhost:<port>/000000000000/<name>`;
 * that host need not resolve here. Clients therefore set `endpoint` on `SQSClient` (the SDK then
 * sends every request there and keeps the URL only as a parameter) and pass queue URLs exactly as
 * fauxqs returned them: fauxqs looks queues up by the full URL string.
 */
import { buildApp } from 'fauxqs';

export interface SqsLocal {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startSqsLocal(opts: { port?: number } = {}): Promise<SqsLocal> {
  const app = buildApp({ logger: false });
  await app.listen({ host: '127.0.0.1', port: opts.port ?? 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('fauxqs: no TCP address after listen');
  const port = address.port;

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    // Closing also releases pending long polls (fauxqs cancels its waiters in a preClose hook).
    stop: () => (stopping ??= app.close().then(() => undefined)),
  };
}
