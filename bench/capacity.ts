/**
 * Write units of a `TransactWriteItems` as DynamoDB bills them, computed from the request, because
 * DynamoDB Local's `ConsumedCapacity` for a transaction of several items is wrong: it sums each
 * *distinct* per-item unit count once (99 items of 1 KB report 2 units, not 198; see BENCHMARKS.md).
 *
 * Rules (DynamoDB developer guide, "Item sizes" and "Capacity unit consumption"): an item's size is
 * the UTF-8 length of its attribute names plus its values (strings by UTF-8 length, numbers ~1 byte
 * per two significant digits + 1, binary by length, booleans and null 1 byte, lists and maps 3 bytes
 * + 1 per element + the elements); a write takes 1 unit per started KB, a transactional write 2.
 * A global secondary index whose key attributes the written item carries takes one more write of
 * the index entry (the whole item for an `ALL` projection, ~the keys for `KEYS_ONLY`), counted at
 * the standard rate (index maintenance is not part of the transaction's two-phase write).
 * An `Update` inside a transaction is sized by its key and values (the tracker's are small items,
 * under 1 KB), and writes an index only when it sets one of the index's key attributes.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '../src/tables.ts';

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((n, s) => n + utf8(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + numberSize(s), 0);
  if (v.BS) return v.BS.reduce((n, b) => n + b.byteLength, 0);
  if (v.L) return 3 + v.L.reduce((n, e) => n + 1 + valueSize(e), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + utf8(k) + valueSize(e), 0);
  return 0;
}

function numberSize(n: string): number {
  const digits = n.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

export function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [name, v]) => n + utf8(name) + valueSize(v), 0);
}

const kb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

export interface WriteUnits {
  /** Units of the table's own items (transactional writes at 2×). */
  table: number;
  /** Units of index entries (standard rate). */
  index: number;
}

/** Units of a non-transactional PutItem of `item` (table + indexes), as AWS bills them. */
export function putUnits(item: Record<string, AttributeValue>, table: TableDefinition | undefined, factor = 1): WriteUnits {
  const size = itemSize(item);
  let index = 0;
  for (const gsi of table?.globalIndexes ?? []) {
    if (item[gsi.partitionKey] === undefined || item[gsi.sortKey] === undefined) continue; // sparse: not in the index
    const keys = [table!.partitionKey, table!.sortKey, gsi.partitionKey, gsi.sortKey];
    const entry = gsi.projection === 'ALL' ? size : keys.reduce((n, k) => n + utf8(k) + (item[k] ? valueSize(item[k]!) : 0), 0);
    index += kb(entry);
  }
  return { table: factor * kb(size), index };
}

interface TransactItem {
  Put?: { TableName?: string; Item?: Record<string, AttributeValue> };
  Update?: { TableName?: string; Key?: Record<string, AttributeValue>; UpdateExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue>; ExpressionAttributeNames?: Record<string, string> };
  Delete?: { TableName?: string; Key?: Record<string, AttributeValue> };
  ConditionCheck?: { TableName?: string; Key?: Record<string, AttributeValue> };
}

/** Billed write units of a TransactWriteItems request (marshalled input), by table name. */
export function transactWriteUnits(input: { TransactItems?: TransactItem[] }, tables: Record<string, TableDefinition>): Map<string, WriteUnits> {
  const out = new Map<string, WriteUnits>();
  const add = (name: string | undefined, u: WriteUnits) => {
    const key = name ?? 'unknown';
    const prev = out.get(key) ?? { table: 0, index: 0 };
    out.set(key, { table: prev.table + u.table, index: prev.index + u.index });
  };
  for (const item of input.TransactItems ?? []) {
    if (item.Put?.Item) {
      add(item.Put.TableName, putUnits(item.Put.Item, tables[item.Put.TableName ?? ''], 2));
    } else if (item.Update) {
      const u = item.Update;
      const size = itemSize(u.Key ?? {}) + Object.values(u.ExpressionAttributeValues ?? {}).reduce((n, v) => n + valueSize(v), 0);
      const expression = `${u.UpdateExpression ?? ''} ${Object.values(u.ExpressionAttributeNames ?? {}).join(' ')}`;
      const index = (tables[u.TableName ?? '']?.globalIndexes ?? []).filter((g) => new RegExp(`\\b(${g.partitionKey}|${g.sortKey})\\b`).test(expression)).length;
      add(u.TableName, { table: 2 * kb(size), index });
    } else if (item.Delete) {
      add(item.Delete.TableName, { table: 2, index: 0 });
    } else if (item.ConditionCheck) {
      // A condition check reads the item transactionally: billed as 2 read units per 4 KB, not writes.
      add(item.ConditionCheck.TableName, { table: 0, index: 0 });
    }
  }
  return out;
}
