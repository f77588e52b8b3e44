/**
 * `tracker`: the GPU Policy Tracker from the command line (the `bin` of this package: `npx tracker`,
 * through `bin/tracker.mjs`). Posts an agency's files (JSON, NDJSON, CSV), prints status tables,
 * follows the live stream, and manages keys and webhook subscriptions over the public HTTP API.
 * `tracker --help` lists the commands; `cli/tracker/main.ts` holds them.
 */
import { main } from './tracker/main.ts';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.once('SIGTERM', () => controller.abort());
process.exitCode = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  cwd: process.cwd(),
  stderr: process.stderr,
  signal: controller.signal,
});
