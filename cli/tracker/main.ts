/**
 * The `tracker` commands: parses the arguments, calls the API, prints, and returns the exit code.
 * `cli/tracker.ts` runs it on the process; tests call `main` with their own streams.
 *
 * Exit codes: 0 done; 1 done, but some events were rejected or in conflict (or the answer was a
 * 4xx such as 404); 2 usage error or unreadable file; 3 the tracker could not be reached or kept
 * failing; 4 no key, or the key may not do this (401, 403).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiError, type Client, createClient, UnavailableError } from './client.ts';
import { CSV_HELP, type EventRow, readEventFile } from './event-files.ts';
import { type Cell, progressBar, table } from './output.ts';
import { MAX_BATCH, type PostSummary, postRows } from './post.ts';
import { tail } from './tail.ts';

export const EXIT = { ok: 0, partial: 1, usage: 2, unavailable: 3, refused: 4 } as const;

class UsageError extends Error {}

const COMMON = `Common options:
  --url URL      the tracker (default $TRACKER_URL, else http://127.0.0.1:3000)
  --key KEY      API key (default $TRACKER_KEY; for a local tracker, else $TRACKER_ADMIN_KEY or .data/admin-key)
  --json         machine-readable output on stdout
  --retries N    retries on 429, 5xx and lost connections, with backoff (default 6)
  -h, --help     this help
Exit codes: 0 done; 1 some events rejected or in conflict, or a 4xx answer; 2 usage;
            3 tracker unreachable or failing; 4 missing key or not allowed (401, 403)`;

const HELP: Record<string, string> = {
  tracker: `usage: tracker <command> [options]

Commands:
  post FILE…                      post events from JSON, NDJSON or CSV files
  status [RECIPIENT]              status table, now or --as-of a date
  tail                            follow accepted events live
  keys create|list|revoke         API keys (admin key)
  subscribe URL                   subscribe a webhook
  subscriptions                   list your webhook subscriptions
  deliveries ID                   delivery log of a subscription

Run tracker <command> --help for a command's options.

${COMMON}`,
  post: `usage: tracker post FILE… [--type TYPE] [--source SOURCE] [--offset +09:00] [--batch N]

Posts every event of the files in batches (at most ${MAX_BATCH} a request), with a progress bar on stderr.
Each row is checked first with the API's own schema; a bad row is reported with its row number
and the others are still posted. Re-running the same file is safe: what is already stored comes
back as a duplicate, never as a second event.

Files: .json (one CloudEvent or an array), .ndjson/.jsonl (one CloudEvent a line), .csv.

${CSV_HELP}

Options:
  --type TYPE      CSV: the type of every row when there is no type column
  --source SOURCE  CSV: the source of every row when there is no source column
  --offset ±HH:MM  CSV: UTC offset of bare dates in the time column (default +09:00)
  --batch N        events a request, 1–${MAX_BATCH} (default ${MAX_BATCH})
  --no-progress    no progress output on stderr

${COMMON}`,
  status: `usage: tracker status [RECIPIENT] [--as-of DATE] [--known-at DATE]

Without RECIPIENT: every recipient and the national total. With it: that recipient's counters
and programs. DATE is RFC 3339 (2025-12-31T18:00:00+09:00) or a day (2025-12-31, meaning its
end at --offset, default +09:00).
  --as-of DATE     only events that happened by then
  --known-at DATE  only what the tracker had been told by then
  --offset ±HH:MM  UTC offset of a bare day (default +09:00)

${COMMON}`,
  tail: `usage: tracker tail [--after CURSOR] [--types P,…] [--recipients ID,…] [--limit N]

Prints accepted events as they arrive (one line each, or JSON lines with --json), from now on or
after a cursor (the id of a stream message; with --json use the feed's cursors). Reconnects by
itself; Ctrl-C stops.
  --after CURSOR     resume after this cursor
  --types P,…        only these types (exact or a trailing *: delivery.*)
  --recipients ID,…  only events about these recipients
  --limit N          stop after N events

${COMMON}`,
  keys: `usage: tracker keys create --name NAME --role reporter|subscriber|admin [--sources S,…] [--subjects P,…] [--types T,…] [--rate N]
       tracker keys list
       tracker keys revoke ID

Needs an admin key. sources, subjects and types take exact values or a trailing * (recipients/*).
The new key is printed once.

${COMMON}`,
  subscribe: `usage: tracker subscribe URL [--types P,…] [--recipients ID,…]

Subscribes an https URL to signed webhook notifications (Standard Webhooks). Types default to
delivery.*; recipients to all. The signing secret is printed once. Needs a subscriber or admin key.

${COMMON}`,
  subscriptions: `usage: tracker subscriptions [--delete ID]

Lists your subscriptions (all of them with an admin key); --delete ID removes one.

${COMMON}`,
  deliveries: `usage: tracker deliveries ID [--limit N]

The delivery log of a subscription, newest first: each notification, its state and attempts.

${COMMON}`,
};

const OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  retries: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  type: { type: 'string' },
  source: { type: 'string' },
  offset: { type: 'string' },
  batch: { type: 'string' },
  'no-progress': { type: 'boolean' },
  'as-of': { type: 'string' },
  'known-at': { type: 'string' },
  after: { type: 'string' },
  types: { type: 'string' },
  recipients: { type: 'string' },
  limit: { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string' },
  sources: { type: 'string' },
  subjects: { type: 'string' },
  rate: { type: 'string' },
  delete: { type: 'string' },
} as const;

/** Which options each command takes (besides the common ones). */
const COMMAND_OPTIONS: Record<string, string[]> = {
  post: ['type', 'source', 'offset', 'batch', 'no-progress'],
  status: ['as-of', 'known-at', 'offset'],
  tail: ['after', 'types', 'recipients', 'limit'],
  keys: ['name', 'role', 'sources', 'subjects', 'types', 'rate'],
  subscribe: ['types', 'recipients'],
  subscriptions: ['delete'],
  deliveries: ['limit'],
};

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stderr: NodeJS.WriteStream;
  signal: AbortSignal;
}

const list = (text: string | undefined) => (text ? text.split(',').map((s) => s.trim()).filter(Boolean) : []);

function intOption(values: Values, name: 'retries' | 'batch' | 'limit' | 'rate', min: number, max: number): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

function offsetOf(values: Values): string {
  const offset = values.offset ?? '+09:00';
  if (!/^(Z|[+-]\d{2}:\d{2})$/.test(offset)) throw new UsageError('--offset must look like +09:00, -05:00 or Z');
  return offset;
}

/** A day means its end (at the offset); anything else is passed as is (the API checks it). */
function instantOption(text: string | undefined, offset: string): string | undefined {
  if (text === undefined) return undefined;
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T23:59:59.999${offset}` : text;
}

function configure(values: Values, io: Io): { url: string; key?: string } {
  const url = (values.url ?? io.env.TRACKER_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  let key = values.key ?? io.env.TRACKER_KEY;
  // A tracker on this machine (npm start): its admin key, as npm run keys finds it.
  if (!key && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(url)) {
    const file = join(io.cwd, io.env.TRACKER_DATA_DIR ?? '.data', 'admin-key');
    key = io.env.TRACKER_ADMIN_KEY ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  }
  return { url, ...(key ? { key } : {}) };
}

export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`tracker: ${(error as Error).message}\n\n${HELP.tracker}`);
    return EXIT.usage;
  }
  const values = parsed.values as Values;
  const [command, ...args] = parsed.positionals;
  if (command === 'help') {
    io.out(HELP[args[0] ?? 'tracker'] ?? HELP.tracker!);
    return EXIT.ok;
  }
  if (!command || !HELP[command] || command === 'tracker') {
    if (values.help && !command) {
      io.out(HELP.tracker!);
      return EXIT.ok;
    }
    io.err(`tracker: ${command ? `unknown command '${command}'` : 'no command'}\n\n${HELP.tracker}`);
    return EXIT.usage;
  }
  if (values.help) {
    io.out(HELP[command]!);
    return EXIT.ok;
  }

  try {
    const allowed = new Set(['url', 'key', 'json', 'retries', 'help', ...COMMAND_OPTIONS[command]!]);
    const extra = Object.keys(values).filter((k) => !allowed.has(k));
    if (extra.length) throw new UsageError(`${command} takes no option ${extra.map((k) => `--${k}`).join(', ')}`);
    const { url, key } = configure(values, io);
    const client = createClient({
      url,
      ...(key ? { key } : {}),
      retries: intOption(values, 'retries', 0, 20) ?? 6,
      onRetry: (why, wait, attempt) => io.err(`retry ${attempt} in ${(wait / 1000).toFixed(1)} s: ${why}`),
    });
    const json = (value: unknown) => io.out(JSON.stringify(value, null, 2));
    switch (command) {
      case 'post':
        return await post(client, args, values, io);
      case 'status':
        return await status(client, args, values, io);
      case 'tail': {
        await tail({
          url, ...(key ? { key } : {}), ...(values.after ? { after: values.after } : {}),
          types: list(values.types), recipients: list(values.recipients),
          ...(values.limit ? { limit: intOption(values, 'limit', 1, 1_000_000)! } : {}),
          json: Boolean(values.json), out: io.out, note: io.err, signal: io.signal,
        });
        return EXIT.ok;
      }
      case 'keys':
        return await keys(client, args, values, io, json);
      case 'subscribe': {
        if (args.length !== 1) throw new UsageError('subscribe takes one URL');
        const types = list(values.types);
        const recipients = list(values.recipients);
        const made = await client.request<Record<string, unknown>>('POST', '/v1/subscriptions', {
          body: { url: args[0], ...(types.length ? { types } : {}), ...(recipients.length ? { recipients } : {}) },
        });
        if (values.json) json(made.body);
        else io.out(`subscribed ${String(made.body.id)} to ${String(made.body.url)} (types ${String(made.body.types)}; recipients ${(made.body.recipients as string[]).join(',') || 'all'})\nsigning secret, shown once:\n\n    ${String(made.body.secret)}\n`);
        return EXIT.ok;
      }
      case 'subscriptions': {
        if (args.length) throw new UsageError('subscriptions takes no argument');
        if (values.delete) {
          const gone = await client.request('DELETE', `/v1/subscriptions/${encodeURIComponent(values.delete)}`);
          if (values.json) json(gone.body);
          else io.out(`deleted subscription ${values.delete}`);
          return EXIT.ok;
        }
        const { body } = await client.request<{ items: Record<string, string | string[] | null>[] }>('GET', '/v1/subscriptions');
        if (values.json) json(body);
        else io.out(table(['id', 'url', 'types', 'recipients', 'status', 'created'], body.items.map((s) => [
          s.id as string, s.url as string, (s.types as string[]).join(','), (s.recipients as string[]).join(',') || 'all', s.status as string, s.createdAt as string,
        ])));
        return EXIT.ok;
      }
      case 'deliveries': {
        if (args.length !== 1) throw new UsageError('deliveries takes a subscription id');
        const limit = intOption(values, 'limit', 1, 100) ?? 50;
        const { body } = await client.request<{ items: Delivery[]; next: string | null }>('GET', `/v1/subscriptions/${encodeURIComponent(args[0]!)}/deliveries?limit=${limit}`);
        if (values.json) json(body);
        else io.out(table(['created', 'event', 'subject', 'state', 'attempts', 'last answer', 'next attempt'], body.items.map((d) => {
          const last = d.attempts.at(-1);
          return [d.createdAt, `${d.event.type} ${d.event.id}`, d.event.subject, d.state, d.attempts.length, last ? (last.statusCode ?? last.error) : null, d.nextAttemptAt];
        })));
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`tracker ${command}: ${error.message}\n\n${HELP[command]}`);
      return EXIT.usage;
    }
    if (error instanceof UnavailableError) {
      io.err(`tracker ${command}: ${error.message}`);
      return EXIT.unavailable;
    }
    if (error instanceof ApiError) {
      const fields = error.problem.errors?.map((e) => `\n  ${e.path}: ${e.message}`).join('') ?? '';
      io.err(`tracker ${command}: ${error.message}${fields}${error.status === 401 ? '\n(set TRACKER_KEY or pass --key)' : ''}`);
      return error.status === 401 || error.status === 403 ? EXIT.refused : EXIT.partial;
    }
    io.err(`tracker ${command}: ${(error as Error).message}`);
    return EXIT.usage;
  }
}

interface Delivery {
  createdAt: string;
  event: { type: string; id: string; subject: string };
  state: string;
  attempts: { statusCode: number | null; error: string | null }[];
  nextAttemptAt: string | null;
}

async function post(client: Client, files: string[], values: Values, io: Io): Promise<number> {
  if (files.length === 0) throw new UsageError('post needs at least one file');
  const options = { offset: offsetOf(values), ...(values.type ? { type: values.type } : {}), ...(values.source ? { source: values.source } : {}) };
  const rows: EventRow[] = [];
  for (const file of files) {
    if (!existsSync(file)) throw new UsageError(`no file ${file}`);
    try {
      rows.push(...readEventFile(file, options));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const bar = values['no-progress'] ? undefined : progressBar(io.stderr, 'posting');
  let summary: PostSummary;
  try {
    summary = await postRows(client, rows, { batchSize: intOption(values, 'batch', 1, MAX_BATCH) ?? MAX_BATCH, onProgress: (d, t) => bar?.update(d, t) });
  } finally {
    bar?.end();
  }
  if (values.json) io.out(JSON.stringify(summary, null, 2));
  else {
    io.out(`${summary.accepted} accepted, ${summary.duplicate} duplicate, ${summary.conflict} conflict, ${summary.rejected} rejected (${rows.length} events in ${files.length} file${files.length > 1 ? 's' : ''})`);
    for (const r of summary.results.filter((x) => x.status === 'rejected' || x.status === 'conflict')) {
      io.out(`  ${r.file} ${r.row}${r.id ? ` (${r.id})` : ''}: ${r.status}\n${(r.reasons ?? []).map((m) => `      ${m}`).join('\n')}`);
    }
  }
  return summary.rejected + summary.conflict > 0 ? EXIT.partial : EXIT.ok;
}

const COUNTERS = ['allocated', 'ordered', 'shipped', 'inTransit', 'delivered', 'installed', 'remaining'] as const;

async function status(client: Client, args: string[], values: Values, io: Io): Promise<number> {
  if (args.length > 1) throw new UsageError('status takes at most one recipient');
  const offset = offsetOf(values);
  const query = new URLSearchParams();
  const asOf = instantOption(values['as-of'], offset);
  const knownAt = instantOption(values['known-at'], offset);
  if (asOf) query.set('asOf', asOf);
  if (knownAt) query.set('knownAt', knownAt);
  const qs = query.size ? `?${query}` : '';
  const when = asOf || knownAt ? ` (${[asOf && `as of ${asOf}`, knownAt && `known at ${knownAt}`].filter(Boolean).join(', ')})` : '';

  if (args[0]) {
    const { body } = await client.request<Record<string, unknown>>('GET', `/v1/recipients/${encodeURIComponent(args[0])}${qs}`);
    if (values.json) {
      io.out(JSON.stringify(body, null, 2));
      return EXIT.ok;
    }
    io.out(`${String(body.name ?? body.recipientId)}${body.nameKo ? ` (${String(body.nameKo)})` : ''} · ${String(body.sector ?? 'unregistered')}${when}\n`);
    io.out(table(['', 'GPUs'], COUNTERS.map((c) => [c, body[c] as number])));
    const programs = Object.entries(body.programs as Record<string, number>);
    if (programs.length) io.out(`\n${table(['program', 'allocated'], programs)}`);
    io.out(`\nlast event ${String(body.lastEventTime ?? '–')}, updated ${String(body.updatedAt ?? '–')}`);
    return EXIT.ok;
  }
  const [recipients, summary] = await Promise.all([
    client.request<{ items: Record<string, Cell>[] }>('GET', `/v1/recipients${qs}`),
    client.request<Record<string, Cell>>('GET', `/v1/summary${qs}`),
  ]);
  if (values.json) {
    io.out(JSON.stringify({ items: recipients.body.items, summary: summary.body }, null, 2));
    return EXIT.ok;
  }
  const rows: Cell[][] = recipients.body.items.map((r) => [r.recipientId, r.name, r.sector, ...COUNTERS.map((c) => r[c])]);
  rows.push(['total', `${summary.body.recipients} recipients`, '', ...COUNTERS.map((c) => summary.body[c])]);
  if (when) io.out(`status${when}\n`);
  io.out(table(['recipient', 'name', 'sector', 'allocated', 'ordered', 'shipped', 'in transit', 'delivered', 'installed', 'remaining'], rows));
  return EXIT.ok;
}

async function keys(client: Client, args: string[], values: Values, io: Io, json: (v: unknown) => void): Promise<number> {
  const [action, id] = args;
  if (action === 'create') {
    if (!values.name || !values.role) throw new UsageError('keys create needs --name and --role');
    const rate = intOption(values, 'rate', 1, 100_000);
    const { body } = await client.request<Record<string, unknown>>('POST', '/v1/keys', {
      body: {
        name: values.name, role: values.role,
        ...(values.sources ? { sources: list(values.sources) } : {}),
        ...(values.subjects ? { subjects: list(values.subjects) } : {}),
        ...(values.types ? { types: list(values.types) } : {}),
        ...(rate ? { rateLimitPerMinute: rate } : {}),
      },
    });
    if (values.json) json(body);
    else io.out(`created ${String(body.role)} key ${String(body.id)} (${String(body.name)}); the key is shown once:\n\n    ${String(body.key)}\n`);
    return EXIT.ok;
  }
  if (action === 'list') {
    const { body } = await client.request<{ items: Record<string, unknown>[] }>('GET', '/v1/keys');
    if (values.json) json(body);
    else io.out(table(['id', 'name', 'role', 'sources', 'subjects', 'types', 'rate/min', 'created', 'revoked'], body.items.map((k) => [
      k.id as string, k.name as string, k.role as string, String(k.sources), String(k.subjects), String(k.types),
      k.rateLimitPerMinute as number, k.createdAt as string, k.revokedAt as string | null,
    ])));
    return EXIT.ok;
  }
  if (action === 'revoke') {
    if (!id) throw new UsageError('keys revoke needs the key id');
    const { body } = await client.request('DELETE', `/v1/keys/${encodeURIComponent(id)}`);
    if (values.json) json(body);
    else io.out(`revoked key ${id}`);
    return EXIT.ok;
  }
  throw new UsageError('keys takes create, list or revoke');
}
