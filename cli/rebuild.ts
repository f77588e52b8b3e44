/**
 * `npm run rebuild`: recomputes every projection (State table: status and key items) from the event
 * log, with the pure fold (src/services/rebuild.ts). Safe while the tracker runs; writes only what
 * differs from the fold.
 *
 *   npm run rebuild                                   # the local data directory ($TRACKER_DATA_DIR or .data/)
 *   npm run rebuild -- --data-dir /path/to/data       # another one
 *   npm run rebuild -- --check                        # compare only; exit 1 when a projection differs
 *   npm run rebuild -- --state-table rebuilt          # into another State table (local: created when missing)
 *   npm run rebuild -- --events-table E --state-table S [--notify-table N] [--region R]    # deployed tables, AWS credentials
 *
 * A subject whose projection is rewritten also has the notifier's snapshot of it dropped (Notify
 * table: the local one when rebuilding the local State table in place, `--notify-table` on AWS), so
 * notifications fold it again from the log.
 *
 * Locally it uses the DynamoDB Local of the `npm start` running on that data directory (found through
 * `stack.json` there); when none runs, it starts DynamoDB Local on the directory for the rebuild.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoDbLocal } from '../local/dynamodb-local.ts';
import { createTables } from '../local/provision.ts';
import { LOCAL_TABLES, type StackMarker, stackMarkerFile } from '../local/stack.ts';
import { createDynamoEventLog } from '../src/adapters/dynamodb-event-log.ts';
import { NOTIFY_SNAPSHOT_LAYOUT } from '../src/adapters/dynamodb-projection-store.ts';
import { createDynamoRebuildStore } from '../src/adapters/dynamodb-rebuild-store.ts';
import { createRebuild, type RebuildReport } from '../src/services/rebuild.ts';

const USAGE = `usage: npm run rebuild -- [options]
  --data-dir DIR        local data directory (default $TRACKER_DATA_DIR or .data/)
  --events-table NAME   with --state-table: deployed tables, AWS credentials and region from the environment
  --state-table NAME    the State table to write (local default ${LOCAL_TABLES.State}; created locally when missing)
  --notify-table NAME   deployed: the Notify table, whose snapshots of rewritten subjects are dropped
  --region R            AWS region (default $AWS_REGION)
  --endpoint URL        a DynamoDB endpoint (e.g. DynamoDB Local already running)
  --subject S           only this subject (repeatable), e.g. recipients/samsung
  --check               compare only: report what differs and exit 1 when anything does
  --json                print the full report as JSON`;

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' }, 'events-table': { type: 'string' }, 'state-table': { type: 'string' }, 'notify-table': { type: 'string' },
    region: { type: 'string' }, endpoint: { type: 'string' }, subject: { type: 'string', multiple: true },
    check: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Where to connect, and what to stop afterwards. */
async function target(): Promise<{
  client: DynamoDBClient; events: string; state: string; notify?: string | undefined; where: string; stop: () => Promise<void>;
}> {
  const aws = values['events-table'] !== undefined && values['data-dir'] === undefined;
  if (aws) {
    if (!values['state-table']) throw new Error('--events-table needs --state-table');
    const client = new DynamoDBClient({
      ...(values.region ? { region: values.region } : {}),
      ...(values.endpoint ? { endpoint: values.endpoint } : {}),
    });
    return {
      client, events: values['events-table']!, state: values['state-table'], notify: values['notify-table'],
      where: values.endpoint ?? 'AWS', stop: async () => client.destroy(),
    };
  }

  const dataDir = values['data-dir'] ?? process.env.TRACKER_DATA_DIR ?? '.data/';
  const events = values['events-table'] ?? LOCAL_TABLES.Events;
  const state = values['state-table'] ?? LOCAL_TABLES.State;
  let endpoint = values.endpoint;
  let stopLocal = async () => {};
  let where = endpoint ?? '';
  if (!endpoint) {
    const marker = readMarker(dataDir);
    if (marker && isAlive(marker.pid)) {
      endpoint = marker.dynamodbEndpoint;
      where = `the running stack's DynamoDB Local (${endpoint}, pid ${marker.pid})`;
    } else {
      if (!existsSync(join(dataDir, 'dynamodb'))) throw new Error(`no local data in ${dataDir} (no dynamodb/ folder); pass --data-dir`);
      const local = await startDynamoDbLocal({ dbPath: join(dataDir, 'dynamodb') });
      endpoint = local.endpoint;
      stopLocal = () => local.stop();
      where = `DynamoDB Local started on ${join(dataDir, 'dynamodb')}`;
    }
  }
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  // A new State table (e.g. to compare with the live one) is created from the same definition.
  await createTables(client, { ...LOCAL_TABLES, State: state });
  return {
    client, events, state, where,
    // In place only: a rebuild into another State table leaves the live notifier alone.
    notify: state === LOCAL_TABLES.State ? LOCAL_TABLES.Notify : undefined,
    stop: async () => {
      client.destroy();
      await stopLocal();
    },
  };
}

function readMarker(dataDir: string): StackMarker | undefined {
  try {
    return JSON.parse(readFileSync(stackMarkerFile(dataDir), 'utf8')) as StackMarker;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function print(report: RebuildReport, check: boolean, where: string, state: string): void {
  if (values.json) {
    console.log(JSON.stringify({ where, stateTable: state, check, ...report }, null, 2));
    return;
  }
  const verb = check ? 'differ' : 'rewritten';
  console.log(`[rebuild] ${where}, State table ${state}`);
  console.log(`[rebuild] ${report.subjects} subjects, ${report.events} events folded in ${report.durationMs} ms`);
  for (const c of report.changed) {
    console.log(`[rebuild]   ${c.subject}: status ${c.status ? verb : 'equal'}, ${c.keysWritten} key item(s) ${verb}, ${c.keysDeleted} stale key item(s)${c.races ? `, ${c.races} race(s) with the projector` : ''}`);
  }
  for (const o of report.orphans) console.log(`[rebuild]   ${o}: projection without any event (${check ? 'would be deleted' : 'deleted'})`);
  console.log(`[rebuild] ${report.changed.length + report.orphans.length === 0 ? 'every projection equals the fold of its log' : `${report.changed.length + report.orphans.length} projection(s) ${verb}`}`);
}

const t = await target();
try {
  const doc = DynamoDBDocumentClient.from(t.client, { marshallOptions: { removeUndefinedValues: true } });
  const rebuild = createRebuild({
    log: createDynamoEventLog(doc, t.events),
    store: createDynamoRebuildStore(doc, t.state),
    ...(t.notify ? { snapshots: createDynamoRebuildStore(doc, t.notify, NOTIFY_SNAPSHOT_LAYOUT) } : {}),
  });
  const check = values.check ?? false;
  const report = await rebuild({ check, ...(values.subject ? { subjects: values.subject } : {}) });
  print(report, check, t.where, t.state);
  process.exitCode = check && report.changed.length + report.orphans.length > 0 ? 1 : 0;
} finally {
  await t.stop();
}
