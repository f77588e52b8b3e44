/**
 * BatchGetItem in chunks of 100 with the unprocessed keys retried, and paginated queries: the two
 * read loops every DynamoDB adapter here needs.
 */
import { type DynamoDBDocumentClient, BatchGetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { aws } from './aws-errors.ts';

type Key = Record<string, string>;
type Item = Record<string, unknown>;

export async function batchGet(doc: DynamoDBDocumentClient, table: string, keys: readonly Key[]): Promise<Item[]> {
  const unique = [...new Map(keys.map((k) => [JSON.stringify(k), k])).values()];
  const items: Item[] = [];
  for (let i = 0; i < unique.length; i += 100) {
    let request: Key[] = unique.slice(i, i + 100);
    for (let attempt = 0; request.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt) * Math.random()));
      const out = await aws('DynamoDB BatchGetItem', () =>
        doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: request, ConsistentRead: true } } })),
      );
      items.push(...(out.Responses?.[table] ?? []));
      request = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Key[];
      if (attempt > 10 && request.length > 0) throw new Error('DynamoDB BatchGetItem left keys unprocessed');
    }
  }
  return items;
}

/** All items of a query, or the first `limit` of them. */
export async function queryAll(doc: DynamoDBDocumentClient, input: QueryCommandInput, limit = Infinity): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const remaining = limit - items.length;
    const out = await aws('DynamoDB Query', () =>
      doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start, ...(Number.isFinite(remaining) ? { Limit: remaining } : {}) })),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start && items.length < limit);
  return items;
}
