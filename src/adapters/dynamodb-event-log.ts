/**
 * The event log in DynamoDB (`EVENTS_TABLE` in src/tables.ts): log items, subject heads and id
 * records. An append is one TransactWriteItems per call; a `ClientRequestToken` makes the SDK's own
 * retries of it idempotent, so a retried commit is not mistaken for a lost race.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredEvent } from '../domain/event-schema.ts';
import { targetOf } from '../domain/status.ts';
import { type Instant, parseInstant } from '../domain/time.ts';
import type { AppendGroup, EventLog, IdRecord, SubjectHead } from '../ports.ts';
import { EVENTS_TABLE, SUBJECT_SHARDS, keys, padSequence } from '../tables.ts';
import { aws } from './aws-errors.ts';
import { batchGet, queryAll } from './dynamodb-batch.ts';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

export function buildAppendItems(table: string, groups: readonly AppendGroup[]): TransactItem[] {
  const items: TransactItem[] = [];
  for (const group of groups) {
    const last = group.events[group.events.length - 1]!.event;
    const recordedAt = parseInstant(last.recordedAt)!;
    const head = keys.head(group.subject);
    items.push(
      group.expectedSequence === 0
        ? {
            Put: {
              TableName: table,
              Item: {
                ...head, sequence: last.sequence, recordedAt,
                gsi1pk: keys.subjectShard(group.subject), gsi1sk: group.subject,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          }
        : {
            Update: {
              TableName: table,
              Key: head,
              UpdateExpression: 'SET #s = :next, recordedAt = :r',
              ConditionExpression: '#s = :expected',
              ExpressionAttributeNames: { '#s': 'sequence' },
              ExpressionAttributeValues: { ':next': last.sequence, ':r': recordedAt, ':expected': group.expectedSequence },
            },
          },
    );
    for (const { event, hash } of group.events) {
      items.push({
        Put: {
          TableName: table,
          Item: {
            ...keys.log(group.subject, event.sequence),
            type: event.type, source: event.source, id: event.id, recordedAt: event.recordedAt,
            gsi2pk: keys.feedBucket(parseInstant(event.recordedAt)!),
            gsi2sk: keys.feedSort(parseInstant(event.recordedAt)!, group.subject, event.sequence),
            event: JSON.stringify(event),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
      items.push({
        Put: {
          TableName: table,
          Item: { ...keys.eventId(event.source, event.id), hash, subject: group.subject, sequence: event.sequence, type: event.type },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
  }
  return items;
}

export function createDynamoEventLog(doc: DynamoDBDocumentClient, table: string): EventLog {
  return {
    async findIds(ids) {
      const items = await batchGet(doc, table, ids.map((i) => keys.eventId(i.source, i.id)));
      const out = new Map<string, IdRecord>();
      for (const item of items) {
        const [source, id] = JSON.parse(String(item.pk).slice(2)) as [string, string];
        out.set(targetOf(source, id), {
          hash: String(item.hash), subject: String(item.subject), sequence: Number(item.sequence), type: String(item.type),
        });
      }
      return out;
    },

    async heads(subjects) {
      const items = await batchGet(doc, table, subjects.map(keys.head));
      const out = new Map<string, SubjectHead>();
      for (const item of items) {
        out.set(String(item.pk).slice(2), { sequence: Number(item.sequence), recordedAt: String(item.recordedAt) as Instant });
      }
      return out;
    },

    async append(groups) {
      if (groups.length === 0) return;
      await aws('DynamoDB TransactWriteItems (append)', () =>
        doc.send(new TransactWriteCommand({ TransactItems: buildAppendItems(table, groups), ClientRequestToken: randomUUID() })),
      );
    },

    async read(subject, { after, limit }) {
      const items = await queryAll(
        doc,
        {
          TableName: table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': keys.logPartition(subject), ':from': padSequence(after + 1), ':to': padSequence(9_999_999_999) },
          ProjectionExpression: 'event',
          ConsistentRead: true,
        },
        limit,
      );
      return items.map((item) => JSON.parse(String(item.event)) as StoredEvent);
    },

    async feedBucket(bucket, after, before, limit) {
      if (after >= before) return [];
      const items = await queryAll(
        doc,
        {
          TableName: table,
          IndexName: EVENTS_TABLE.globalIndexes[1].name,
          KeyConditionExpression: after ? 'gsi2pk = :b AND gsi2sk BETWEEN :after AND :before' : 'gsi2pk = :b AND gsi2sk < :before',
          ExpressionAttributeValues: { ':b': `FEED#${bucket}`, ':before': before, ...(after ? { ':after': after } : {}) },
          ProjectionExpression: 'event, gsi2sk',
        },
        // BETWEEN is inclusive: one more, then drop the item equal to `after`.
        after ? limit + 1 : limit,
      );
      return items
        .filter((item) => item.gsi2sk !== after && String(item.gsi2sk) < before)
        .slice(0, limit)
        .map((item) => ({ key: String(item.gsi2sk), event: JSON.parse(String(item.event)) as StoredEvent }));
    },

    async firstRecordedAt() {
      const firsts = await Promise.all((await this.subjects()).map((s) => this.read(s, { after: 0, limit: 1 })));
      const times = firsts.flat().map((e) => parseInstant(e.recordedAt)!).sort();
      return times[0];
    },

    async subjects() {
      const shards = await Promise.all(
        Array.from({ length: SUBJECT_SHARDS }, (_, shard) =>
          queryAll(doc, {
            TableName: table,
            IndexName: EVENTS_TABLE.globalIndexes[0].name,
            KeyConditionExpression: 'gsi1pk = :p',
            ExpressionAttributeValues: { ':p': `SUBJECTS#${shard}` },
          }),
        ),
      );
      return shards.flat().map((item) => String(item.gsi1sk)).sort();
    },
  };
}
