/**
 * Counts what the tracker asks of AWS, by SDK middleware on the very clients it uses: requests per
 * command, and DynamoDB capacity units per table (every request asks `ReturnConsumedCapacity`).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';

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

export class Meter {
  requests = new Map<string, number>();
  /** Units by `table:read|write`. */
  units = new Map<string, number>();

  attach(dynamodb: DynamoDBClient, sqs: SQSClient): void {
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? 'unknown';
        this.count(`dynamodb:${name}`);
        if (CAPACITY_COMMANDS.has(name)) (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
        const out = await next(args);
        const consumed = (out.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
        for (const c of [consumed ?? []].flat()) {
          const kind = WRITES.has(name) ? 'write' : 'read';
          this.add(`${c.TableName}:${kind}`, c.CapacityUnits ?? (kind === 'write' ? c.WriteCapacityUnits : c.ReadCapacityUnits) ?? 0);
        }
        return out;
      },
      { step: 'initialize', name: 'trackerMeter' },
    );
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        this.count(`sqs:${context.commandName ?? 'unknown'}`);
        return next(args);
      },
      { step: 'initialize', name: 'trackerMeter' },
    );
  }

  reset(): void {
    this.requests.clear();
    this.units.clear();
  }

  total(prefix: string): number {
    return [...this.requests].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
  }

  unitsOf(table: string, kind: 'read' | 'write'): number {
    return this.units.get(`${table}:${kind}`) ?? 0;
  }

  private count(key: string): void {
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  private add(key: string, units: number): void {
    this.units.set(key, (this.units.get(key) ?? 0) + units);
  }
}
