/**
 * `npm run keys -- create|list|revoke`: API key management from the command line.
 *
 * Against a running tracker over HTTP (default `http://127.0.0.1:3000`, admin key from
 * `TRACKER_ADMIN_KEY` or the local data directory), or with `--table NAME` straight against a
 * deployed Keys table with your AWS credentials (same code path as the API: only hashes stored).
 *
 *   npm run keys -- create --name "MSIT reporter" --role reporter --sources /agencies/msit --subjects 'recipients/*' --types '*'
 *   npm run keys -- list
 *   npm run keys -- revoke <id>
 *   npm run keys -- list --table GpuPolicyTracker-dev-TablesKeys...   # a deployed table
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoKeyStore, createDynamoRateLimiter } from '../src/adapters/dynamodb-key-store.ts';
import { NewKeyRequest } from '../src/domain/access.ts';
import { createAccess } from '../src/services/access.ts';
import { systemClock } from '../src/runtime.ts';
import { adminKeyFile } from '../local/admin-key.ts';

const USAGE = `usage: npm run keys -- <create|list|revoke> [options]
  create --name N --role reporter|subscriber|admin [--sources S,..] [--subjects P,..] [--types T,..] [--rate N]
  list
  revoke ID
options: --url URL (default $TRACKER_URL or http://127.0.0.1:3000)   --table NAME (a Keys table, with AWS credentials)
         --region R   --json`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' }, role: { type: 'string' }, sources: { type: 'string' }, subjects: { type: 'string' },
    types: { type: 'string' }, rate: { type: 'string' }, url: { type: 'string' }, table: { type: 'string' },
    region: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  },
});

const [command, id] = positionals;
if (values.help || !command || !['create', 'list', 'revoke'].includes(command)) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}

const list = (text: string | undefined) => (text ? text.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

type Backend = { create(body: unknown): Promise<unknown>; list(): Promise<unknown>; revoke(id: string): Promise<unknown> };

function httpBackend(): Backend {
  const url = (values.url ?? process.env.TRACKER_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  const dataDir = process.env.TRACKER_DATA_DIR ?? '.data/';
  const admin = process.env.TRACKER_ADMIN_KEY ?? (existsSync(adminKeyFile(dataDir)) ? readFileSync(adminKeyFile(dataDir), 'utf8').trim() : undefined);
  if (!admin) throw new Error('No admin key: set TRACKER_ADMIN_KEY (or run from the folder whose .data/ holds admin-key).');
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${res.status} ${json.title ?? ''}: ${json.detail ?? ''} ${json.errors ? JSON.stringify(json.errors) : ''}`);
    return json;
  };
  return {
    create: (body) => call('POST', '/v1/keys', body),
    list: async () => ((await call('GET', '/v1/keys')) as { items: unknown[] }).items,
    revoke: (keyId) => call('DELETE', `/v1/keys/${encodeURIComponent(keyId)}`),
  };
}

function tableBackend(table: string): Backend {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(values.region ? { region: values.region } : {}));
  const access = createAccess({
    keys: createDynamoKeyStore(doc, table),
    rateLimiter: createDynamoRateLimiter(doc, table),
    clock: systemClock,
    adminKey: async () => undefined,
  });
  return {
    create: (body) => access.createKey(NewKeyRequest.parse(body)),
    list: () => access.listKeys(),
    revoke: (keyId) => access.revokeKey(keyId),
  };
}

try {
  const backend = values.table ? tableBackend(values.table) : httpBackend();
  let out: unknown;
  if (command === 'create') {
    const rate = values.rate ? Number(values.rate) : undefined;
    out = await backend.create({
      name: values.name, role: values.role,
      ...(list(values.sources) ? { sources: list(values.sources) } : {}),
      ...(list(values.subjects) ? { subjects: list(values.subjects) } : {}),
      ...(list(values.types) ? { types: list(values.types) } : {}),
      ...(rate ? { rateLimitPerMinute: rate } : {}),
    });
    if (!values.json) console.log(`created key ${(out as { id: string }).id}; the key is shown once:\n\n    ${(out as { key: string }).key}\n`);
  } else if (command === 'list') {
    out = await backend.list();
    if (!values.json) console.table((out as Record<string, unknown>[]).map(({ id, name, role, sources, subjects, types, revokedAt }) => ({ id, name, role, sources: String(sources), subjects: String(subjects), types: String(types), revokedAt })));
  } else {
    if (!id) throw new Error('revoke needs the key id');
    out = await backend.revoke(id);
    if (!values.json) console.log(`revoked key ${id}`);
  }
  if (values.json) console.log(JSON.stringify(out, null, 2));
} catch (error) {
  console.error(`keys: ${(error as Error).message}`);
  process.exit(1);
}
