/**
 * Fault injection through the real code paths: an AWS SDK middleware on the tracker's own clients
 * (`tracker.clients.dynamodb`, whose middleware stack the document client shares, and
 * `tracker.clients.sqs`), so every adapter, service, poller and handler sees the faults exactly as it
 * would see them from AWS.
 *
 * The middleware sits at the `initialize` step with high priority: outside the SDK's own retries, so
 * an injected fault reaches the application (the SDK would otherwise absorb most of them). Kinds:
 *
 * - `throughput`  `ProvisionedThroughputExceededException` (400), DynamoDB only
 * - `throttling`  `ThrottlingException` (400)
 * - `5xx`         `InternalServerError` (500, DynamoDB) / `InternalError` (500, SQS)
 * - `timeout`     waits `timeoutMs`, then a `TimeoutError` (as the SDK's HTTP handler throws)
 * - `slow`        waits a random time in `slowMs`, then makes the call
 * - `unprocessed` BatchGetItem answers with part of its keys in `UnprocessedKeys` (as under throttling)
 * - `conflict`    TransactWriteItems cancelled with `TransactionConflict` (before the call only)
 *
 * `5xx` and `timeout` are ambiguous, as on AWS: with probability `afterShare` the call is made and
 * applied, and only its response is lost (the caller sees the error after the write happened).
 *
 * Crash points are targeted rules: a predicate on the call and an effect (`fail-before`: the call never
 * happens; `fail-after`: it happens and the caller sees an error). Failing the poller's
 * `DeleteMessageBatch` after a handler succeeded is a consumer dying between its write and its delete;
 * failing the deliverer's "record attempt" update after its POST succeeded is a deliverer dying
 * between notifying and recording; failing the ingest's `SendMessageBatch` after the log write is a
 * lost enqueue.
 *
 * Every decision comes from one seeded generator (mulberry32). Calls race, so which call draws which
 * number depends on timing; a seed fixes the workload and the fault mix, not the interleaving.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { rng } from '../support/random-events.ts';

export type Service = 'dynamodb' | 'sqs';
export type FaultKind = 'throughput' | 'throttling' | '5xx' | 'timeout' | 'slow' | 'unprocessed' | 'conflict';

export interface Call {
  service: Service;
  /** e.g. `TransactWriteItemsCommand`, `DeleteMessageBatchCommand`. */
  command: string;
  /** The command input (for document-client commands: plain values, not attribute values). */
  input: any;
}

export interface FaultPlan {
  /** Share of eligible calls that get a random fault (0 disables random faults). */
  rate: number;
  /** Relative weights of the kinds (kinds that do not apply to a call are skipped for it). */
  kinds: Partial<Record<FaultKind, number>>;
  /** Share of `5xx` and `timeout` faults applied after the call went through (response lost). */
  afterShare: number;
  slowMs: [number, number];
  timeoutMs: number;
  /** Which calls random faults may hit (default: all). */
  eligible?: (call: Call) => boolean;
}

export interface Rule {
  name: string;
  when: (call: Call) => boolean;
  /** Chance that a matching call is hit (default 1). */
  probability?: number;
  effect: 'fail-before' | 'fail-after';
  /** Error shown to the caller (default `5xx`). */
  error?: 'throttling' | '5xx' | 'timeout';
  /** Hits after which the rule stops (default unlimited). */
  limit?: number;
}

export interface FaultStats {
  calls: number;
  injected: number;
  byKind: Record<string, number>;
  byRule: Record<string, number>;
  byCommand: Record<string, number>;
  /** Of the injected errors, how many were applied before the caller saw the error. */
  afterCall: number;
}

export interface FaultInjector {
  readonly stats: FaultStats;
  /** Random faults on or off (rules stay as they are). */
  enable(on: boolean): void;
  setPlan(plan: Partial<FaultPlan>): void;
  addRule(rule: Rule): () => void;
  clearRules(): void;
  /** Runs `fn` with no fault at all (the test's own calls on the same clients). */
  bypass<T>(fn: () => Promise<T>): Promise<T>;
  detach(): void;
}

export const NO_FAULTS: FaultPlan = { rate: 0, kinds: {}, afterShare: 0, slowMs: [50, 500], timeoutMs: 1_000 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An error shaped as the SDK throws it (`name`, `$fault`, `$metadata`), so adapters and the SDK classify it as they would a real one. */
export function awsError(service: Service, kind: 'throughput' | 'throttling' | '5xx' | 'timeout' | 'conflict', what: string): Error {
  const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: `fault-${Math.random().toString(36).slice(2)}`, attempts: 1, totalRetryDelay: 0 });
  const make = (name: string, status: number | undefined, fault: 'client' | 'server', extra: object = {}) =>
    Object.assign(new Error(`injected ${name} (${what})`), {
      name,
      $fault: fault,
      ...(status === undefined ? {} : { $metadata: meta(status) }),
      injected: true,
      ...extra,
    });
  switch (kind) {
    case 'throughput':
      return make('ProvisionedThroughputExceededException', 400, 'client');
    case 'throttling':
      return make('ThrottlingException', 400, 'client');
    case '5xx':
      return service === 'dynamodb' ? make('InternalServerError', 500, 'server') : make('InternalError', 500, 'server');
    case 'timeout':
      return make('TimeoutError', undefined, 'client');
    case 'conflict':
      return make('TransactionCanceledException', 400, 'client', {
        CancellationReasons: [{ Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }],
      });
  }
}

function applicable(kind: FaultKind, call: Call): boolean {
  if (kind === 'throughput') return call.service === 'dynamodb';
  if (kind === 'unprocessed') return call.command === 'BatchGetItemCommand';
  if (kind === 'conflict') return call.command === 'TransactWriteItemsCommand';
  return true;
}

/** Moves a share of a BatchGetItem's answered items into `UnprocessedKeys` (keys are `pk`/`sk`). */
function makeUnprocessed(output: any, random: () => number): boolean {
  let moved = false;
  for (const [table, items] of Object.entries<any[]>(output?.Responses ?? {})) {
    if (!Array.isArray(items) || items.length === 0) continue;
    const keep: any[] = [];
    const left: any[] = [];
    for (const item of items) (random() < 0.5 ? left : keep).push(item);
    if (left.length === 0) left.push(keep.pop());
    output.Responses[table] = keep;
    const unprocessed = (output.UnprocessedKeys ??= {});
    const entry = (unprocessed[table] ??= { Keys: [] });
    entry.Keys.push(...left.map((item) => ({ pk: item.pk, sk: item.sk })));
    moved = true;
  }
  return moved;
}

export function attachFaults(clients: { dynamodb: DynamoDBClient; sqs: SQSClient }, seed: number, initial: Partial<FaultPlan> = {}): FaultInjector {
  const random = rng(seed);
  let plan: FaultPlan = { ...NO_FAULTS, ...initial };
  let enabled = true;
  const rules = new Set<Rule & { hits: number }>();
  const skip = new AsyncLocalStorage<boolean>();
  const stats: FaultStats = { calls: 0, injected: 0, byKind: {}, byRule: {}, byCommand: {}, afterCall: 0 };
  const count = (kind: string, command: string) => {
    stats.injected++;
    stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
    stats.byCommand[command] = (stats.byCommand[command] ?? 0) + 1;
  };

  const pickKind = (call: Call): FaultKind | undefined => {
    const weights = Object.entries(plan.kinds).filter(([k, w]) => (w ?? 0) > 0 && applicable(k as FaultKind, call)) as [FaultKind, number][];
    const total = weights.reduce((n, [, w]) => n + w, 0);
    if (total === 0) return undefined;
    let roll = random() * total;
    for (const [kind, w] of weights) if ((roll -= w) < 0) return kind;
    return weights[weights.length - 1]![0];
  };

  const middleware = (service: Service) => (next: any, context: any) => async (args: any) => {
    if (skip.getStore()) return next(args);
    const call: Call = { service, command: String(context.commandName ?? 'unknown'), input: args.input };
    stats.calls++;

    for (const rule of rules) {
      if (rule.limit !== undefined && rule.hits >= rule.limit) continue;
      if (!rule.when(call) || random() >= (rule.probability ?? 1)) continue;
      rule.hits++;
      stats.byRule[rule.name] = (stats.byRule[rule.name] ?? 0) + 1;
      count(`rule:${rule.name}`, call.command);
      const error = awsError(service, rule.error ?? '5xx', `${rule.name}: ${call.command}`);
      if (rule.effect === 'fail-before') throw error;
      await next(args);
      stats.afterCall++;
      throw error;
    }

    if (!enabled || plan.rate <= 0 || (plan.eligible && !plan.eligible(call)) || random() >= plan.rate) return next(args);
    const kind = pickKind(call);
    if (!kind) return next(args);
    count(kind, call.command);
    switch (kind) {
      case 'slow':
        await sleep(plan.slowMs[0] + random() * (plan.slowMs[1] - plan.slowMs[0]));
        return next(args);
      case 'unprocessed': {
        const out = await next(args);
        makeUnprocessed(out.output, random);
        return out;
      }
      case 'conflict':
      case 'throughput':
      case 'throttling':
        throw awsError(service, kind, call.command);
      case '5xx':
      case 'timeout': {
        const after = random() < plan.afterShare;
        if (kind === 'timeout') await sleep(plan.timeoutMs);
        if (after) {
          await next(args);
          stats.afterCall++;
        }
        throw awsError(service, kind, call.command);
      }
    }
  };

  const names = { dynamodb: `faults-dynamodb-${seed}`, sqs: `faults-sqs-${seed}` };
  const options = (name: string) => ({ step: 'initialize' as const, name, priority: 'high' as const, override: true });
  clients.dynamodb.middlewareStack.add(middleware('dynamodb') as any, options(names.dynamodb));
  clients.sqs.middlewareStack.add(middleware('sqs') as any, options(names.sqs));

  return {
    stats,
    enable: (on) => void (enabled = on),
    setPlan: (changes) => void (plan = { ...plan, ...changes }),
    addRule(rule) {
      const entry = { ...rule, hits: 0 };
      rules.add(entry);
      return () => void rules.delete(entry);
    },
    clearRules: () => rules.clear(),
    bypass: (fn) => skip.run(true, fn),
    detach() {
      clients.dynamodb.middlewareStack.remove(names.dynamodb);
      clients.sqs.middlewareStack.remove(names.sqs);
    },
  };
}

/** Call predicates for rules. */
export const on = {
  deleteFrom: (queueUrl: string) => (c: Call) => c.command === 'DeleteMessageBatchCommand' && c.input?.QueueUrl === queueUrl,
  sendTo: (queueUrl: string) => (c: Call) =>
    (c.command === 'SendMessageBatchCommand' || c.command === 'SendMessageCommand') && c.input?.QueueUrl === queueUrl,
  /** The deliverer's "record attempt" update (after its POST). */
  deliveryRecord: (c: Call) =>
    c.command === 'UpdateItemCommand' && String(c.input?.Key?.pk ?? '').startsWith('DLV#') && String(c.input?.UpdateExpression ?? '').startsWith('SET attempt = :next'),
  /** The deliverer's claim of an attempt. */
  deliveryClaim: (c: Call) =>
    c.command === 'UpdateItemCommand' && String(c.input?.Key?.pk ?? '').startsWith('DLV#') && String(c.input?.UpdateExpression ?? '').startsWith('SET leaseUntil'),
  /** The notifier's watermark advance. */
  notifyWatermark: (c: Call) => c.command === 'UpdateItemCommand' && String(c.input?.Key?.pk ?? '').startsWith('NW#'),
  /** The projector's commit (status put or status + keys transaction) on the State table. */
  projectionCommit: (stateTable: string) => (c: Call) =>
    (c.command === 'PutItemCommand' && c.input?.TableName === stateTable && String(c.input?.Item?.sk) === 'STATUS') ||
    (c.command === 'TransactWriteItemsCommand' && c.input?.TransactItems?.[0]?.Put?.TableName === stateTable),
  /** The ingest's append transaction on the Events table. */
  append: (eventsTable: string) => (c: Call) =>
    c.command === 'TransactWriteItemsCommand' && JSON.stringify(c.input?.TransactItems?.[0] ?? {}).includes(eventsTable),
};
