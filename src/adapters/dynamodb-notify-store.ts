/**
 * Subscriptions, notify watermarks and deliveries in DynamoDB (`NOTIFY_TABLE` in src/tables.ts).
 * Every state change of a delivery is one conditional update: creation only if new, an attempt only
 * under the worker's claim, a replay only from the state it read. So redelivered messages, a
 * sweeper's repair and a replay racing a retry never record an attempt twice.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Delivery, Subscription } from '../domain/webhooks.ts';
import { ConcurrentUpdateError } from '../errors.ts';
import type { DeliveryStore, NotifyWatermarks, SubscriptionStore } from '../ports.ts';
import { DUE_SHARDS, NOTIFY_TABLE, keys } from '../tables.ts';
import { aws } from './aws-errors.ts';
import { batchGet, queryAll } from './dynamodb-batch.ts';

type Item = Record<string, unknown>;
const [OWNER_INDEX, ALL_INDEX, DUE_INDEX] = NOTIFY_TABLE.globalIndexes.map((i) => i.name) as [string, string, string];

/** `false` when a conditional write lost; other errors pass. */
async function conditional(what: string, write: () => Promise<unknown>): Promise<boolean> {
  try {
    await aws(what, write);
    return true;
  } catch (error) {
    if (error instanceof ConcurrentUpdateError) return false;
    throw error;
  }
}

const subscriptionOf = (item: Item) => JSON.parse(String(item.record)) as Subscription;

export function createDynamoSubscriptionStore(doc: DynamoDBDocumentClient, table: string): SubscriptionStore {
  const itemOf = (s: Subscription) => ({
    ...keys.subscription(s.id),
    ...keys.subscriptionOwner(s.owner, s.createdAt, s.id),
    ...keys.subscriptionList(s.id),
    status: s.status,
    record: JSON.stringify(s),
  });

  return {
    async create(subscription) {
      await aws('DynamoDB PutItem (subscription)', () =>
        doc.send(new PutCommand({ TableName: table, Item: itemOf(subscription), ConditionExpression: 'attribute_not_exists(pk)' })),
      );
    },

    async get(id) {
      const out = await aws('DynamoDB GetItem (subscription)', () =>
        doc.send(new GetCommand({ TableName: table, Key: keys.subscription(id), ConsistentRead: true })),
      );
      return out.Item ? subscriptionOf(out.Item) : undefined;
    },

    async listByOwner(owner) {
      const items = await queryAll(doc, {
        TableName: table,
        IndexName: OWNER_INDEX,
        KeyConditionExpression: 'ownerPk = :o',
        ExpressionAttributeValues: { ':o': keys.subscriptionOwnerPartition(owner) },
      });
      return items.map(subscriptionOf);
    },

    async listAll() {
      const items = await queryAll(doc, {
        TableName: table,
        IndexName: ALL_INDEX,
        KeyConditionExpression: 'allPk = :p',
        ExpressionAttributeValues: { ':p': keys.subscriptionList('').allPk },
      });
      return items.map(subscriptionOf);
    },

    async remove(id) {
      await aws('DynamoDB DeleteItem (subscription)', () => doc.send(new DeleteCommand({ TableName: table, Key: keys.subscription(id) })));
    },

    async disable(id, at, reason) {
      const current = await this.get(id);
      if (!current || current.status !== 'active') return;
      const disabled: Subscription = { ...current, status: 'disabled', disabledAt: at, disabledReason: reason };
      await conditional('DynamoDB PutItem (disable subscription)', () =>
        doc.send(new PutCommand({
          TableName: table,
          Item: itemOf(disabled),
          ConditionExpression: '#s = :active',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':active': 'active' },
        })),
      );
    },
  };
}

export function createDynamoNotifyWatermarks(doc: DynamoDBDocumentClient, table: string): NotifyWatermarks {
  return {
    async get(subjects) {
      const items = await batchGet(doc, table, subjects.map(keys.notifyWatermark));
      return new Map(items.map((item) => [String(item.pk).slice('NW#'.length), Number(item.seq)]));
    },

    async advance(subject, from, to) {
      await aws('DynamoDB UpdateItem (notify watermark)', () =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: keys.notifyWatermark(subject),
          UpdateExpression: 'SET seq = :to',
          ConditionExpression: from === 0 ? 'attribute_not_exists(pk)' : 'seq = :from',
          ExpressionAttributeValues: { ':to': to, ...(from === 0 ? {} : { ':from': from }) },
        })),
      );
    },
  };
}

export function deliveryItem(delivery: Delivery, dueAt: string): Item {
  const { leaseUntil: _lease, key, ...rest } = delivery;
  return { ...keys.delivery(delivery.subscriptionId, key), ...rest, ...keys.due(delivery.webhookId, dueAt) };
}

function deliveryOf(item: Item): Delivery {
  return {
    subscriptionId: String(item.subscriptionId),
    key: String(item.sk),
    webhookId: String(item.webhookId),
    event: item.event as Delivery['event'],
    payload: String(item.payload),
    state: item.state as Delivery['state'],
    attempt: Number(item.attempt),
    round: Number(item.round),
    attempts: (item.attempts ?? []) as Delivery['attempts'],
    nextAttemptAt: (item.nextAttemptAt ?? null) as string | null,
    leaseUntil: (item.leaseUntil ?? null) as string | null,
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}

export function createDynamoDeliveryStore(doc: DynamoDBDocumentClient, table: string): DeliveryStore {
  const get = async (subscriptionId: string, key: string) => {
    const out = await aws('DynamoDB GetItem (delivery)', () =>
      doc.send(new GetCommand({ TableName: table, Key: keys.delivery(subscriptionId, key), ConsistentRead: true })),
    );
    return out.Item ? deliveryOf(out.Item) : undefined;
  };
  /** The claim a worker holds: the delivery still at this attempt of this round. */
  const atAttempt = 'attempt = :attempt AND round = :round';

  return {
    async create(delivery, dueAt) {
      const created = await conditional('DynamoDB PutItem (delivery)', () =>
        doc.send(new PutCommand({ TableName: table, Item: deliveryItem(delivery, dueAt), ConditionExpression: 'attribute_not_exists(pk)' })),
      );
      if (created) return { created, delivery };
      const existing = await get(delivery.subscriptionId, delivery.key);
      if (!existing) throw new Error(`delivery ${delivery.webhookId} exists and then does not`);
      return { created, delivery: existing };
    },

    get: (ref) => get(ref.subscriptionId, ref.key),

    async list(subscriptionId, { before, limit }) {
      const out = await aws('DynamoDB Query (deliveries)', () =>
        doc.send(new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.deliveryPartition(subscriptionId) },
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
          ...(before ? { ExclusiveStartKey: keys.delivery(subscriptionId, before) } : {}),
        })),
      );
      const items = (out.Items ?? []).map(deliveryOf);
      return { items, next: out.LastEvaluatedKey ? String(out.LastEvaluatedKey.sk) : null };
    },

    async claim(delivery, now, until) {
      return conditional('DynamoDB UpdateItem (claim delivery)', () =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: keys.delivery(delivery.subscriptionId, delivery.key),
          UpdateExpression: 'SET leaseUntil = :until, duePk = :duePk, dueSk = :dueSk',
          ConditionExpression: `#state = :pending AND ${atAttempt} AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)`,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':until': until, ':now': now, ':pending': 'pending', ':attempt': delivery.attempt, ':round': delivery.round,
            ...prefixed(keys.due(delivery.webhookId, until)),
          },
        })),
      );
    },

    async record(delivery, until, record) {
      const due = record.dueAt ? prefixed(keys.due(delivery.webhookId, record.dueAt)) : {};
      return conditional('DynamoDB UpdateItem (record attempt)', () =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: keys.delivery(delivery.subscriptionId, delivery.key),
          UpdateExpression:
            'SET attempt = :next, attempts = :attempts, #state = :state, nextAttemptAt = :nextAt, updatedAt = :at' +
            (record.dueAt ? ', duePk = :duePk, dueSk = :dueSk REMOVE leaseUntil' : ' REMOVE leaseUntil, duePk, dueSk'),
          ConditionExpression: `${atAttempt} AND leaseUntil = :until`,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':next': delivery.attempt + 1, ':attempts': record.attempts, ':state': record.state, ':nextAt': record.nextAttemptAt,
            ':at': record.attempts[record.attempts.length - 1]?.at ?? delivery.updatedAt,
            ':attempt': delivery.attempt, ':round': delivery.round, ':until': until, ...due,
          },
        })),
      );
    },

    async reopen(delivery, at, dueAt) {
      return conditional('DynamoDB UpdateItem (replay delivery)', () =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: keys.delivery(delivery.subscriptionId, delivery.key),
          UpdateExpression:
            'SET #state = :pending, round = :nextRound, attempt = :zero, nextAttemptAt = :at, updatedAt = :at, duePk = :duePk, dueSk = :dueSk REMOVE leaseUntil',
          ConditionExpression: '#state = :seen AND round = :round',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':pending': 'pending', ':nextRound': delivery.round + 1, ':zero': 0, ':at': at,
            ':seen': delivery.state, ':round': delivery.round, ...prefixed(keys.due(delivery.webhookId, dueAt)),
          },
        })),
      );
    },

    async due(now, limit) {
      const shards = await Promise.all(
        Array.from({ length: DUE_SHARDS }, (_, shard) =>
          queryAll(
            doc,
            {
              TableName: table,
              IndexName: DUE_INDEX,
              KeyConditionExpression: 'duePk = :p AND dueSk <= :bound',
              // `~` sorts after every character of a webhook id: entries due at `now` itself are included.
              ExpressionAttributeValues: { ':p': `DUE#${shard}`, ':bound': `${now}#~` },
            },
            limit,
          ),
        ),
      );
      return shards
        .flat()
        .map((item) => ({
          ref: { subscriptionId: String(item.pk).slice('DLV#'.length), key: String(item.sk) },
          dueSk: String(item.dueSk),
          webhookId: String(item.dueSk).slice(String(item.dueSk).indexOf('#') + 1),
        }))
        .sort((a, b) => (a.dueSk < b.dueSk ? -1 : 1))
        .slice(0, limit);
    },

    async postpone(ref, seenDueSk, webhookId, dueAt) {
      return conditional('DynamoDB UpdateItem (postpone due)', () =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: keys.delivery(ref.subscriptionId, ref.key),
          UpdateExpression: 'SET dueSk = :dueSk',
          ConditionExpression: 'dueSk = :seen',
          ExpressionAttributeValues: { ':dueSk': keys.due(webhookId, dueAt).dueSk, ':seen': seenDueSk },
        })),
      );
    },
  };
}

/** `{duePk, dueSk}` → `{':duePk', ':dueSk'}` for expression values. */
function prefixed(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`:${k}`, v]));
}
