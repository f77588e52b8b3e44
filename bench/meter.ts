/**
 * Counts what the tracker asks of AWS, by SDK middleware on the very clients it uses: requests per
 * command, DynamoDB capacity units per table (every request asks `ReturnConsumedCapacity`), the
 * units of `TransactWriteItems` apart (AWS bills transactional writes at twice the rate), and the
 * consumer invocations the local pollers make (a `ReceiveMessage` that returned messages is one
 * Lambda invocation; its duration runs until the `DeleteMessageBatch` of the same receipt handles).
 *
 * DynamoDB Local's capacity for a TransactWriteItems of several items is wrong (it sums each
 * distinct per-item count once), so transactional write units are computed from the request
 * (`capacity.ts`) and Local's own figure is kept apart (`localReportedTransactUnits`). The same
 * model is checked against Local on every PutItem (`modelCheck`), where Local's figure is right.
 *
 * Background work that does not scale with events is left out of the counts and counted apart
 * (`ignored`): empty long polls, and whatever `ignore` matches (the retry sweeper's `due` queries).
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { TableDefinition } from '../src/tables.ts';
import { putUnits, transactWriteUnits, type WriteUnits } from './capacity.ts';

interface Capacity {
  TableName?: string;
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const CAPACITY_COMMANDS = new Set([
  'GetItemCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'QueryCommand', 'ScanCommand',
  'BatchGetItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand', 'TransactGetItemsCommand',
]);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);
const TRANSACTIONS = new Set(['TransactWriteItemsCommand', 'TransactGetItemsCommand']);

export type Ignore = (service: 'dynamodb' | 'sqs', command: string, input: Record<string, unknown>) => boolean;

export interface Invocations {
  count: number;
  messages: number;
  /** Sum of handler durations (receive → delete of the same batch), ms. */
  totalMs: number;
  /** Batches whose duration was seen (a batch with every record failed is never deleted). */
  timed: number;
}

export class Meter {
  requests = new Map<string, number>();
  /** Units by `table:read|write`, as DynamoDB (Local) reports them, transactions included. */
  units = new Map<string, number>();
  /** Of those, the units of transactions, by `table:read|write`. */
  transactUnits = new Map<string, number>();
  /** Consumer invocations by queue name. */
  invocations = new Map<string, Invocations>();
  /** Requests left out of the counts (`sqs:ReceiveMessageCommand:empty`, ignored commands). */
  ignored = new Map<string, number>();
  /** What DynamoDB Local itself reported for transactions, by table (for comparison only). */
  localReportedTransactUnits = new Map<string, number>();
  /** PutItem units: reported by DynamoDB Local vs computed by the model of `capacity.ts`. */
  modelCheck = { putItems: 0, reported: 0, modelled: 0 };
  /** Summed round-trip time of counted requests by `service:command`, ms (mean = / requests). */
  latencyMs = new Map<string, number>();
  private receipts = new Map<string, { queue: string; at: number }>();
  private queueNames = new Map<string, string>();
  private ignore: Ignore;
  private tables: Record<string, TableDefinition>;

  constructor(options: { ignore?: Ignore; queues?: Record<string, string>; tables?: Record<string, TableDefinition> } = {}) {
    this.ignore = options.ignore ?? (() => false);
    this.tables = options.tables ?? {};
    for (const [name, url] of Object.entries(options.queues ?? {})) this.queueNames.set(url, name);
  }

  attach(dynamodb: DynamoDBClient, sqs: SQSClient): void {
    // After the Document client has marshalled the input (just before serialization).
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName;
        const input = args.input as Record<string, unknown>;
        const modelled = context as { benchTransactUnits?: Map<string, WriteUnits>; benchPutUnits?: number };
        if (name === 'TransactWriteItemsCommand') modelled.benchTransactUnits = transactWriteUnits(input, this.tables);
        if (name === 'PutItemCommand') {
          const table = this.tables[String(input.TableName)];
          if (table) {
            const u = putUnits(input.Item as Record<string, AttributeValue>, table);
            modelled.benchPutUnits = u.table + u.index;
          }
        }
        return next(args);
      },
      { step: 'build', name: 'trackerBenchCapacityModel' },
    );
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? 'unknown';
        const input = args.input as Record<string, unknown>;
        const ignored = this.ignore('dynamodb', name, input);
        if (ignored) this.bump(this.ignored, `dynamodb:${name}`, 1);
        else this.bump(this.requests, `dynamodb:${name}`, 1);
        if (CAPACITY_COMMANDS.has(name)) input.ReturnConsumedCapacity = 'TOTAL';
        const t = performance.now();
        const out = await next(args);
        if (ignored) return out;
        this.bump(this.latencyMs, `dynamodb:${name}`, performance.now() - t);
        const consumed = (out.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
        const kind = WRITES.has(name) ? 'write' : 'read';
        const modelled = context as { benchTransactUnits?: Map<string, WriteUnits>; benchPutUnits?: number };
        for (const c of [consumed ?? []].flat()) {
          const units = c.CapacityUnits ?? (kind === 'write' ? c.WriteCapacityUnits : c.ReadCapacityUnits) ?? 0;
          if (modelled.benchTransactUnits) {
            this.bump(this.localReportedTransactUnits, `${c.TableName}`, units);
            continue;
          }
          this.bump(this.units, `${c.TableName}:${kind}`, units);
          if (TRANSACTIONS.has(name)) this.bump(this.transactUnits, `${c.TableName}:${kind}`, units);
          if (modelled.benchPutUnits !== undefined) {
            this.modelCheck.putItems++;
            this.modelCheck.reported += units;
            this.modelCheck.modelled += modelled.benchPutUnits;
          }
        }
        for (const [table, u] of modelled.benchTransactUnits ?? []) {
          this.bump(this.units, `${table}:write`, u.table + u.index);
          this.bump(this.transactUnits, `${table}:write`, u.table);
        }
        return out;
      },
      { step: 'initialize', name: 'trackerBenchMeter' },
    );
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? 'unknown';
        const input = args.input as Record<string, unknown>;
        if (this.ignore('sqs', name, input)) {
          this.bump(this.ignored, `sqs:${name}`, 1);
          return next(args);
        }
        const queue = this.queueNames.get(String(input.QueueUrl)) ?? String(input.QueueUrl);
        if (name === 'DeleteMessageBatchCommand') this.finishBatch(queue, input);
        const t = performance.now();
        const out = await next(args);
        if (name === 'ReceiveMessageCommand') {
          const messages = (out.output as { Messages?: { ReceiptHandle?: string }[] }).Messages ?? [];
          if (messages.length === 0) {
            // An empty long poll: the pollers' idle cost, paid per second whatever the traffic.
            this.bump(this.ignored, `sqs:${name}:empty`, 1);
            return out;
          }
          const at = performance.now();
          const inv = this.invocationsOf(queue);
          inv.count++;
          inv.messages += messages.length;
          for (const m of messages) if (m.ReceiptHandle) this.receipts.set(m.ReceiptHandle, { queue, at });
        }
        this.bump(this.requests, `sqs:${name}`, 1);
        this.bump(this.latencyMs, `sqs:${name}`, performance.now() - t);
        return out;
      },
      { step: 'initialize', name: 'trackerBenchMeter' },
    );
  }

  reset(): void {
    this.requests.clear();
    this.units.clear();
    this.transactUnits.clear();
    this.invocations.clear();
    this.ignored.clear();
    this.latencyMs.clear();
    this.localReportedTransactUnits.clear();
    this.modelCheck = { putItems: 0, reported: 0, modelled: 0 };
    this.receipts.clear();
  }

  /** Everything counted so far, for a later `since`. */
  snapshot(): MeterSnapshot {
    return {
      requests: new Map(this.requests),
      units: new Map(this.units),
      transactUnits: new Map(this.transactUnits),
      invocations: new Map([...this.invocations].map(([k, v]) => [k, { ...v }])),
      ignored: new Map(this.ignored),
      latencyMs: new Map(this.latencyMs),
    };
  }

  /** What was counted after `before` was taken. */
  since(before: MeterSnapshot): MeterSnapshot {
    const now = this.snapshot();
    const diff = (a: Map<string, number>, b: Map<string, number>) =>
      new Map([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)] as const).filter(([, v]) => v !== 0));
    return {
      requests: diff(now.requests, before.requests),
      units: diff(now.units, before.units),
      transactUnits: diff(now.transactUnits, before.transactUnits),
      invocations: new Map(
        [...now.invocations].map(([k, v]) => {
          const b = before.invocations.get(k) ?? { count: 0, messages: 0, totalMs: 0, timed: 0 };
          return [k, { count: v.count - b.count, messages: v.messages - b.messages, totalMs: v.totalMs - b.totalMs, timed: v.timed - b.timed }];
        }),
      ),
      ignored: diff(now.ignored, before.ignored),
      latencyMs: diff(now.latencyMs, before.latencyMs),
    };
  }

  /** Requests counted so far (for waiting until the pipeline is quiet). */
  countedRequests(): number {
    return [...this.requests.values()].reduce((a, b) => a + b, 0);
  }

  private finishBatch(queue: string, input: Record<string, unknown>): void {
    const entries = (input.Entries as { ReceiptHandle?: string }[] | undefined) ?? [];
    let at: number | undefined;
    for (const e of entries) {
      const r = e.ReceiptHandle ? this.receipts.get(e.ReceiptHandle) : undefined;
      if (!r) continue;
      at = at === undefined ? r.at : Math.min(at, r.at);
      this.receipts.delete(e.ReceiptHandle!);
    }
    if (at === undefined) return;
    const inv = this.invocationsOf(queue);
    inv.totalMs += performance.now() - at;
    inv.timed++;
  }

  private invocationsOf(queue: string): Invocations {
    let inv = this.invocations.get(queue);
    if (!inv) this.invocations.set(queue, (inv = { count: 0, messages: 0, totalMs: 0, timed: 0 }));
    return inv;
  }

  private bump(map: Map<string, number>, key: string, by: number): void {
    map.set(key, (map.get(key) ?? 0) + by);
  }
}

export interface MeterSnapshot {
  requests: Map<string, number>;
  units: Map<string, number>;
  transactUnits: Map<string, number>;
  invocations: Map<string, Invocations>;
  ignored: Map<string, number>;
  latencyMs: Map<string, number>;
}

export const sumWhere = (map: Map<string, number>, test: (key: string) => boolean) =>
  [...map].filter(([k]) => test(k)).reduce((n, [, v]) => n + v, 0);
