/**
 * Projections in DynamoDB (`STATE_TABLE` in src/tables.ts): one status item per subject with its
 * watermark, one item per program, order or shipment key. A commit is conditioned on the watermark
 * it read; keys are written in the same transaction, so they can never run ahead of the status.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { KeyState, SubjectState } from '../domain/status.ts';
import type { ProjectionStore } from '../ports.ts';
import { STATE_TABLE, keys } from '../tables.ts';
import { aws } from './aws-errors.ts';
import { batchGet, queryAll } from './dynamodb-batch.ts';

/**
 * Where a projection's items live: the State table's (listed in its `gsi1` index), or the notifier's
 * snapshot in the Notify table (same items under another partition, not listed).
 */
export interface ProjectionLayout {
  partition: (subject: string) => string;
  listed: boolean;
}

export const STATE_LAYOUT: ProjectionLayout = { partition: keys.statusPartition, listed: true };
export const NOTIFY_SNAPSHOT_LAYOUT: ProjectionLayout = { partition: keys.notifySnapshotPartition, listed: false };

/**
 * The status item, written only if the stored one is still at `expectedSeq` (none for 0) and carries
 * the `rebuild` mark `expected.rebuild` (by default the state's own: a projector commit fails when
 * `npm run rebuild` rewrote the status since it was loaded, even at the same watermark).
 */
export function statusItem(
  table: string,
  state: SubjectState,
  expectedSeq: number,
  layout = STATE_LAYOUT,
  expected: { rebuild: string | undefined } = { rebuild: state.rebuild },
) {
  const expectedRebuild = expected.rebuild;
  const [kind, id] = state.subject.split('/') as [string, string];
  return {
    TableName: table,
    Item: {
      pk: layout.partition(state.subject),
      sk: 'STATUS',
      appliedSeq: state.appliedSeq,
      state: JSON.stringify(state),
      ...(state.rebuild ? { rebuild: state.rebuild } : {}),
      ...(layout.listed ? { gsi1pk: kind, gsi1sk: id } : {}),
    },
    ...(expectedSeq === 0
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : {
          ConditionExpression: `appliedSeq = :expected AND ${expectedRebuild ? '#rebuild = :rebuild' : 'attribute_not_exists(#rebuild)'}`,
          ExpressionAttributeNames: { '#rebuild': 'rebuild' },
          ExpressionAttributeValues: { ':expected': expectedSeq, ...(expectedRebuild ? { ':rebuild': expectedRebuild } : {}) },
        }),
  };
}

export function createDynamoProjectionStore(doc: DynamoDBDocumentClient, table: string, layout = STATE_LAYOUT): ProjectionStore {
  const statusKey = (subject: string) => ({ pk: layout.partition(subject), sk: 'STATUS' });
  const keyKey = (subject: string, key: string) => ({ pk: layout.partition(subject), sk: `K#${key}` });
  const toKeys = (items: Record<string, unknown>[]) =>
    new Map(items.map((item) => {
      const ks = JSON.parse(String(item.state)) as KeyState;
      return [ks.key, ks] as const;
    }));

  return {
    async load(subject) {
      const out = await aws('DynamoDB GetItem (status)', () =>
        doc.send(new GetCommand({ TableName: table, Key: statusKey(subject), ConsistentRead: true })),
      );
      return out.Item ? (JSON.parse(String(out.Item.state)) as SubjectState) : undefined;
    },

    async loadKeys(subject, names) {
      return toKeys(await batchGet(doc, table, names.map((k) => keyKey(subject, k))));
    },

    async loadAllKeys(subject) {
      return toKeys(
        await queryAll(doc, {
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :k)',
          ExpressionAttributeValues: { ':pk': layout.partition(subject), ':k': 'K#' },
          ConsistentRead: true,
        }),
      );
    },

    async commit(state, expectedSeq, changed) {
      const status = statusItem(table, state, expectedSeq, layout);
      if (changed.length === 0) {
        await aws('DynamoDB PutItem (status)', () => doc.send(new PutCommand(status)));
        return;
      }
      await aws('DynamoDB TransactWriteItems (projection)', () =>
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: status },
              ...changed.map((ks) => ({
                Put: { TableName: table, Item: { ...keyKey(state.subject, ks.key), state: JSON.stringify(ks) } },
              })),
            ],
          }),
        ),
      );
    },

    async list(kind) {
      if (!layout.listed) throw new Error('this projection is not listed');
      const items = await queryAll(doc, {
        TableName: table,
        IndexName: STATE_TABLE.globalIndexes[0].name,
        KeyConditionExpression: 'gsi1pk = :k',
        ExpressionAttributeValues: { ':k': kind },
      });
      return items.map((item) => JSON.parse(String(item.state)) as SubjectState);
    },
  };
}
