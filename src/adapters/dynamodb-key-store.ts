/**
 * API keys and rate-limit windows in DynamoDB (`KEYS_TABLE` in src/tables.ts). Only the SHA-256 of
 * a key is stored. Rate windows are one counter item per key and minute, expired by TTL.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord } from '../domain/access.ts';
import type { KeyStore, RateLimiter } from '../ports.ts';
import { keys } from '../tables.ts';
import { aws } from './aws-errors.ts';
import { queryAll } from './dynamodb-batch.ts';

const recordOf = (item: Record<string, unknown>) => JSON.parse(String(item.record)) as ApiKeyRecord;

export function createDynamoKeyStore(doc: DynamoDBDocumentClient, table: string): KeyStore {
  return {
    async get(id) {
      const out = await aws('DynamoDB GetItem (key)', () =>
        doc.send(new GetCommand({ TableName: table, Key: keys.apiKey(id), ConsistentRead: true })),
      );
      return out.Item ? recordOf(out.Item) : undefined;
    },

    async create(record) {
      await aws('DynamoDB PutItem (key)', () =>
        doc.send(new PutCommand({
          TableName: table,
          Item: { ...keys.apiKey(record.id), record: JSON.stringify(record) },
          ConditionExpression: 'attribute_not_exists(pk)',
        })),
      );
    },

    async list() {
      const items = await queryAll(doc, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.apiKey('').pk },
        ConsistentRead: true,
      });
      return items.map(recordOf);
    },

    async revoke(id, at) {
      const current = await this.get(id);
      if (!current) return undefined;
      if (current.revokedAt) return current;
      const revoked = { ...current, revokedAt: at };
      await aws('DynamoDB PutItem (revoke key)', () =>
        doc.send(new PutCommand({ TableName: table, Item: { ...keys.apiKey(id), record: JSON.stringify(revoked) } })),
      );
      return revoked;
    },
  };
}

export function createDynamoRateLimiter(doc: DynamoDBDocumentClient, table: string): RateLimiter {
  return {
    async hit(keyId, windowStart, expiresAt) {
      const out = await aws('DynamoDB UpdateItem (rate window)', () =>
        doc.send(new UpdateCommand({
          TableName: table,
          Key: keys.rateWindow(keyId, windowStart),
          UpdateExpression: 'ADD #c :one SET expiresAt = if_not_exists(expiresAt, :exp)',
          ExpressionAttributeNames: { '#c': 'count' },
          ExpressionAttributeValues: { ':one': 1, ':exp': expiresAt },
          ReturnValues: 'UPDATED_NEW',
        })),
      );
      return Number(out.Attributes?.count ?? 1);
    },
  };
}
