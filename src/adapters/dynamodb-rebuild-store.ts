/**
 * The State table as `npm run rebuild` rewrites it (src/services/rebuild.ts): items in exactly the
 * projector's format (`statusItem`, key items `{pk, sk, state}`), keys written and deleted with
 * BatchWriteItem (unprocessed items retried), the status put conditioned on the watermark.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { KeyState, SubjectState } from '../domain/status.ts';
import type { RebuildStore } from '../services/rebuild.ts';
import { STATE_TABLE, keys } from '../tables.ts';
import { aws } from './aws-errors.ts';
import { queryAll } from './dynamodb-batch.ts';
import { STATE_LAYOUT, createDynamoProjectionStore, statusItem } from './dynamodb-projection-store.ts';

type WriteRequest = { PutRequest: { Item: Record<string, unknown> } } | { DeleteRequest: { Key: Record<string, string> } };

/**
 * `layout` is where the projection's items are: the State table's (default), or the notifier's
 * snapshots in the Notify table (`NOTIFY_SNAPSHOT_LAYOUT`), of which a rebuild only uses `remove`.
 */
export function createDynamoRebuildStore(doc: DynamoDBDocumentClient, table: string, layout = STATE_LAYOUT): RebuildStore {
  const projection = createDynamoProjectionStore(doc, table, layout);

  async function batchWrite(requests: WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let pending = requests.slice(i, i + 25);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt) * Math.random()));
        if (attempt > 10) throw new Error('DynamoDB BatchWriteItem left items unprocessed');
        const out = await aws('DynamoDB BatchWriteItem (rebuild)', () => doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } })));
        pending = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
      }
    }
  }

  return {
    loadStatus: (subject) => projection.load(subject),
    loadAllKeys: (subject) => projection.loadAllKeys(subject),

    async writeKeys(subject, put: readonly KeyState[], remove: readonly string[]) {
      await batchWrite([
        ...put.map((ks) => ({ PutRequest: { Item: { ...keys.stateKey(subject, ks.key), state: JSON.stringify(ks) } } })),
        ...remove.map((key) => ({ DeleteRequest: { Key: keys.stateKey(subject, key) } })),
      ]);
    },

    async putStatus(state: SubjectState, expected: number | undefined, expectedRebuild: string | undefined) {
      const item = statusItem(table, state, expected ?? 0, layout, { rebuild: expectedRebuild });
      await aws('DynamoDB PutItem (rebuild status)', () => doc.send(new PutCommand(item)));
    },

    async remove(subject) {
      const items = await queryAll(doc, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': layout.partition(subject) },
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
      });
      await batchWrite(items.map((item) => ({ DeleteRequest: { Key: { pk: String(item.pk), sk: String(item.sk) } } })));
    },

    async subjects() {
      const kinds = ['recipients', 'mous'] as const;
      const lists = await Promise.all(
        kinds.map((kind) =>
          queryAll(doc, {
            TableName: table,
            IndexName: STATE_TABLE.globalIndexes[0].name,
            KeyConditionExpression: 'gsi1pk = :k',
            ExpressionAttributeValues: { ':k': kind },
            ProjectionExpression: 'gsi1sk',
          }).then((items) => items.map((item) => `${kind}/${String(item.gsi1sk)}`)),
        ),
      );
      return lists.flat().sort();
    },
  };
}
