/**
 * AWS list prices of issue #8 and the cost of one million events from what the meter counted.
 * Memory sizes are read from `infra/constructs/functions.ts`, so the estimate follows the stack.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MeterSnapshot } from './meter.ts';
import { sumWhere } from './meter.ts';
import { sig } from './stats.ts';

/** Physical table names of the local stack → the short names of the by-table figures. */
export const TABLE_SHORT_NAMES: Record<string, string> = {
  'tracker-events': 'events', 'tracker-state': 'state', 'tracker-keys': 'keys', 'tracker-notify': 'notify',
};

export const PRICES = {
  apiGatewayHttpPerMillionRequests: 1.0,
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecondArm64: 0.0000133334,
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbPerMillionReadUnits: 0.125,
  sqsPerMillionRequests: 0.4,
} as const;

/** The Lambda functions a posted event passes through, by the meter's queue names. */
export const EVENT_PATH_FUNCTIONS = ['api', 'projector', 'notifier', 'deliverer'] as const;
export type PathFunction = (typeof EVENT_PATH_FUNCTIONS)[number];

/** `memorySize` of each `new TrackerFunction(this, …, { name: '<name>', … memorySize: N })` in functions.ts. */
export function configuredMemoryMb(): Record<string, number> {
  const file = resolve(import.meta.dirname, '..', 'infra', 'constructs', 'functions.ts');
  const source = readFileSync(file, 'utf8');
  const out: Record<string, number> = {};
  for (const chunk of source.split('new TrackerFunction(').slice(1)) {
    const name = /name:\s*'([^']+)'/.exec(chunk)?.[1];
    const memory = /memorySize:\s*(\d+)/.exec(chunk)?.[1];
    if (name && memory) out[name] = Number(memory);
  }
  for (const fn of EVENT_PATH_FUNCTIONS) {
    if (!out[fn]) throw new Error(`no memorySize for '${fn}' found in ${file}`);
  }
  return out;
}

export interface CostFigures {
  events: number;
  /** DynamoDB and SQS requests (SDK middleware), per event; empty long polls left out. */
  awsRequestsPerEvent: number;
  dynamodbRequestsPerEvent: number;
  sqsRequestsPerEvent: number;
  /** The same by `service:Command`, per event. */
  requestsByCommand: Record<string, number>;
  /** Write units per event at AWS rates (transactional writes at 2×). */
  wruPerEvent: number;
  rruPerEvent: number;
  /** Of `wruPerEvent`, the units of TransactWriteItems (already at 2×). */
  transactionalWruPerEvent: number;
  /** Write and read units per event by table. */
  wruByTable: Record<string, number>;
  rruByTable: Record<string, number>;
  /** API requests + consumer batches (handler invocations), per event. */
  lambdaInvocationsPerEvent: number;
  invocationsPerEvent: Record<PathFunction, number>;
  /** Queue messages each consumer received, per event (a delivery message per webhook, ideally). */
  messagesPerEvent: Record<'projector' | 'notifier' | 'deliverer', number>;
  /** Duration of an invocation Lambda compute is priced with (calibrated, one at a time), ms. */
  durationMs: Record<PathFunction, number>;
  /** Mean duration measured during this (concurrent) run, ms: includes local queueing. */
  loadedDurationMs: Record<PathFunction, number>;
  usdPerMillion: number;
  usdPerMillionBreakdown: Record<'apiGateway' | 'lambdaRequests' | 'lambdaCompute' | 'dynamodbWrites' | 'dynamodbReads' | 'sqs', number>;
  dominates: string;
}

export interface CostInput {
  events: number;
  apiRequests: number;
  /** Sum of the API requests' client-side durations, ms. */
  apiTotalMs: number;
  usage: MeterSnapshot;
  memoryMb: Record<string, number>;
  /** Durations to price with; the measured ones when absent. */
  durationsMs?: Record<PathFunction, number>;
  /** Table name → short name for the by-table figures. */
  tableNames: Record<string, string>;
}

export function costOf(input: CostInput): CostFigures {
  const { events, usage } = input;
  const per = (x: number) => sig(x / events, 4);
  const dynamodbRequests = sumWhere(usage.requests, (k) => k.startsWith('dynamodb:'));
  const sqsRequests = sumWhere(usage.requests, (k) => k.startsWith('sqs:'));

  const unitsByTable = (kind: 'read' | 'write') => {
    const out: Record<string, number> = {};
    for (const [physical, short] of Object.entries(input.tableNames)) {
      // Transactional writes are already in at 2× (computed by the meter's capacity model).
      out[short] = usage.units.get(`${physical}:${kind}`) ?? 0;
    }
    return out;
  };
  const wruTables = unitsByTable('write');
  const rruTables = unitsByTable('read');
  const wru = Object.values(wruTables).reduce((a, b) => a + b, 0);
  const rru = Object.values(rruTables).reduce((a, b) => a + b, 0);
  const transactWru = sumWhere(usage.transactUnits, (k) => k.endsWith(':write'));

  const inv = (queue: string) => usage.invocations.get(queue) ?? { count: 0, messages: 0, totalMs: 0, timed: 0 };
  const invocations: Record<PathFunction, number> = {
    api: input.apiRequests,
    projector: inv('projector').count,
    notifier: inv('notifier').count,
    deliverer: inv('deliverer').count,
  };
  const loadedDurationMs: Record<PathFunction, number> = {
    api: input.apiRequests ? input.apiTotalMs / input.apiRequests : 0,
    projector: inv('projector').timed ? inv('projector').totalMs / inv('projector').timed : 0,
    notifier: inv('notifier').timed ? inv('notifier').totalMs / inv('notifier').timed : 0,
    deliverer: inv('deliverer').timed ? inv('deliverer').totalMs / inv('deliverer').timed : 0,
  };
  const durationMs = Object.fromEntries(
    EVENT_PATH_FUNCTIONS.map((fn) => [fn, input.durationsMs?.[fn] || loadedDurationMs[fn]]),
  ) as Record<PathFunction, number>;
  const invocationsTotal = Object.values(invocations).reduce((a, b) => a + b, 0);
  // Lambda bills each invocation's duration rounded up to the millisecond.
  const gbSeconds = EVENT_PATH_FUNCTIONS.reduce(
    (n, fn) => n + invocations[fn] * (input.memoryMb[fn]! / 1024) * (Math.ceil(durationMs[fn]) / 1000),
    0,
  );

  const million = (count: number, pricePerMillion: number) => (count / events) * pricePerMillion;
  const breakdown = {
    apiGateway: million(input.apiRequests, PRICES.apiGatewayHttpPerMillionRequests),
    lambdaRequests: million(invocationsTotal, PRICES.lambdaPerMillionRequests),
    lambdaCompute: (gbSeconds / events) * PRICES.lambdaPerGbSecondArm64 * 1e6,
    dynamodbWrites: million(wru, PRICES.dynamodbPerMillionWriteUnits),
    dynamodbReads: million(rru, PRICES.dynamodbPerMillionReadUnits),
    sqs: million(sqsRequests, PRICES.sqsPerMillionRequests),
  };
  const usd = Object.values(breakdown).reduce((a, b) => a + b, 0);
  const ranked = Object.entries(breakdown).sort((a, b) => b[1] - a[1]);
  const dominates = ranked
    .slice(0, 2)
    .map(([k, v]) => `${k} ${Math.round((v / usd) * 100)}%`)
    .join(', ');

  return {
    events,
    awsRequestsPerEvent: per(dynamodbRequests + sqsRequests),
    dynamodbRequestsPerEvent: per(dynamodbRequests),
    sqsRequestsPerEvent: per(sqsRequests),
    requestsByCommand: Object.fromEntries(
      [...usage.requests].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k.replace('Command', ''), per(v)]),
    ),
    wruPerEvent: per(wru),
    rruPerEvent: per(rru),
    transactionalWruPerEvent: per(transactWru),
    wruByTable: Object.fromEntries(Object.entries(wruTables).map(([k, v]) => [k, per(v)])),
    rruByTable: Object.fromEntries(Object.entries(rruTables).map(([k, v]) => [k, per(v)])),
    lambdaInvocationsPerEvent: per(invocationsTotal),
    messagesPerEvent: {
      projector: per(inv('projector').messages), notifier: per(inv('notifier').messages), deliverer: per(inv('deliverer').messages),
    },
    invocationsPerEvent: Object.fromEntries(Object.entries(invocations).map(([k, v]) => [k, per(v)])) as Record<PathFunction, number>,
    durationMs: Object.fromEntries(Object.entries(durationMs).map(([k, v]) => [k, sig(v, 3)])) as Record<PathFunction, number>,
    loadedDurationMs: Object.fromEntries(Object.entries(loadedDurationMs).map(([k, v]) => [k, sig(v, 3)])) as Record<PathFunction, number>,
    usdPerMillion: sig(usd, 3),
    usdPerMillionBreakdown: Object.fromEntries(Object.entries(breakdown).map(([k, v]) => [k, sig(v, 3)])) as CostFigures['usdPerMillionBreakdown'],
    dominates,
  };
}
