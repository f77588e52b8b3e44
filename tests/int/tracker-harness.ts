/**
 * Shared set-up of the integration tests: DynamoDB Local (in memory) and fauxqs started once per
 * file, and a tracker per test on its own tables and queues (a fresh name prefix), built exactly as
 * the local stack builds it (`createTracker(loadConfig(...))`), with the Hono app around it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local.ts';
import { createQueues, createTables, type ProvisionedQueue, type QueueId } from '../../local/provision.ts';
import { startSqsLocal, type SqsLocal } from '../../local/sqs-local.ts';
import type { App } from '../../src/app/app.ts';
import { createTrackerApp } from '../../src/api-runtime.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { contentHash } from '../../src/domain/canonical.ts';
import type { StoredEvent, TrackerEvent } from '../../src/domain/event-schema.ts';
import { createClients, createTracker, type Clients, type Tracker } from '../../src/runtime.ts';
import { createWebhooks, type Webhooks } from '../../src/runtime-delivery.ts';
import type { Clock } from '../../src/ports.ts';

export interface Emulators {
  dynamo: DynamoDbLocal;
  sqsLocal: SqsLocal;
  clients: Clients;
  stop(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  const [dynamo, sqsLocal] = await Promise.all([startDynamoDbLocal({ inMemory: true }), startSqsLocal()]);
  const clients = createClients(
    loadConfig({
      EVENTS_TABLE: 'unused', STATE_TABLE: 'unused', KEYS_TABLE: 'unused', PROJECTOR_QUEUE_URL: 'unused',
      NOTIFY_TABLE: 'unused', NOTIFIER_QUEUE_URL: 'unused', DELIVERY_QUEUE_URL: 'unused', DELIVERY_DLQ_URL: 'unused',
      DYNAMODB_ENDPOINT: dynamo.endpoint, SQS_ENDPOINT: sqsLocal.endpoint,
    }),
  );
  return {
    dynamo,
    sqsLocal,
    clients,
    async stop() {
      clients.dynamodb.destroy();
      clients.sqs.destroy();
      await Promise.all([dynamo.stop(), sqsLocal.stop()]);
    },
  };
}

export interface TestTracker {
  prefix: string;
  config: Config;
  tracker: Tracker;
  /** Subscriptions, notifier, delivery worker and retry sweeper of the same tracker. */
  webhooks: Webhooks;
  app: App;
  queue: ProvisionedQueue;
  /** Every queue of `QUEUES` (the projector's is also `queue`). */
  queues: Record<QueueId, ProvisionedQueue>;
  /** Errors that reached the app's `onError` without being a `TrackerError` (would be 500s). */
  unexpected: unknown[];
}

let counter = 0;

/** The deployment's admin key in every test tracker; `asAdmin` is its Authorization header. */
export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const asAdmin = { authorization: `Bearer ${ADMIN_KEY}` } as const;

/** A tracker on fresh tables and queues, so tests never see each other's data. */
export async function newTracker(emu: Emulators, env: Record<string, string> = {}, clock?: Clock): Promise<TestTracker> {
  const prefix = `t${++counter}-${randomBytes(3).toString('hex')}`;
  const names = { Events: `${prefix}-events`, State: `${prefix}-state`, Keys: `${prefix}-keys`, Notify: `${prefix}-notify` };
  await createTables(emu.clients.dynamodb, names);
  const queues = await createQueues(emu.clients.sqs, prefix);
  const { Projector } = queues;
  const config = loadConfig({
    EVENTS_TABLE: names.Events,
    STATE_TABLE: names.State,
    KEYS_TABLE: names.Keys,
    PROJECTOR_QUEUE_URL: Projector.url,
    NOTIFY_TABLE: names.Notify,
    NOTIFIER_QUEUE_URL: queues.Notifier.url,
    DELIVERY_QUEUE_URL: queues.Delivery.url,
    DELIVERY_DLQ_URL: queues.Delivery.dlqUrl,
    TRACKER_ADMIN_KEY: ADMIN_KEY,
    DYNAMODB_ENDPOINT: emu.dynamo.endpoint,
    SQS_ENDPOINT: emu.sqsLocal.endpoint,
    ...env,
  });
  const tracker = createTracker(config, emu.clients, clock);
  const webhooks = createWebhooks(config, emu.clients, clock);
  const unexpected: unknown[] = [];
  const app = createTrackerApp(tracker, webhooks.subscriptions, { onUnexpectedError: (e) => unexpected.push(e) });
  return { prefix, config, tracker, webhooks, app, queue: Projector, queues, unexpected };
}

/** Every item of a table, sorted by key, for before/after comparisons. */
export async function scanAll(t: Pick<Tracker, 'clients'>, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await t.clients.doc.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  const key = (i: Record<string, unknown>) => `${String(i.pk)}\u0000${String(i.sk)}`;
  return items.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Receives (and leaves in flight) every message currently in the queue. */
export async function receiveAll(t: Pick<Tracker, 'clients'>, queueUrl: string): Promise<Message[]> {
  const out: Message[] = [];
  for (let empty = 0; empty < 2; ) {
    const got = await t.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
    );
    if (got.Messages?.length) out.push(...got.Messages);
    else empty++;
  }
  return out;
}

export async function queueDepth(t: Pick<Tracker, 'clients'>, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const out = await t.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(out.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

const SAMPLES = resolve(import.meta.dirname, '..', '..', 'events', 'samples');
const template = (JSON.parse(readFileSync(resolve(SAMPLES, 'sqs-projector.json'), 'utf8')) as SQSEvent).Records[0]!;

/** An SQS event as Lambda delivers it, one record per body (from the sample template). */
export function sqsEvent(bodies: readonly string[]): SQSEvent {
  return {
    Records: bodies.map((body, i): SQSRecord => ({
      ...template,
      attributes: { ...template.attributes },
      messageId: `msg-${i}-${randomBytes(4).toString('hex')}`,
      receiptHandle: `rh-${i}`,
      body,
    })),
  };
}

/** An SQS event from messages really received from the emulator. */
export function sqsEventOf(messages: readonly Message[]): SQSEvent {
  return {
    Records: messages.map((m): SQSRecord => ({
      ...template,
      attributes: { ...template.attributes },
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
    })),
  };
}

/** A stored event as ingest would build it, with its content hash. */
export function stored(event: TrackerEvent, sequence: number, recordedAt = new Date().toISOString()) {
  return { event: { ...event, sequence, recordedAt } as StoredEvent, hash: contentHash(event) };
}

/** Valid events of each type; `over` replaces envelope attributes. */
export const ev = {
  registered(subject: string, id: string, data: Partial<{ name: string; nameKo: string; sector: string }> = {}, over: Partial<TrackerEvent> = {}) {
    return base('recipient.registered', subject, id, { name: 'Recipient', sector: 'private', ...data }, over);
  },
  allocation(subject: string, id: string, programId: string, gpus: number, over: Partial<TrackerEvent> = {}) {
    return base('allocation.announced', subject, id, { programId, gpus }, over);
  },
  order(subject: string, id: string, orderId: string, quantity: number, over: Partial<TrackerEvent> = {}) {
    return base('procurement.ordered', subject, id, { orderId, quantity, gpuModel: 'NVIDIA B200' }, over);
  },
  delivery(
    stage: 'shipped' | 'received' | 'installed', subject: string, id: string, shipmentId: string, quantity: number,
    over: Partial<TrackerEvent> = {},
  ) {
    return base(`delivery.${stage}`, subject, id, { shipmentId, quantity, orderId: 'po-1', gpuModel: 'NVIDIA B200' }, over);
  },
  mou(subject: string, id: string, parties: string[], over: Partial<TrackerEvent> = {}) {
    return base('mou.signed', subject, id, { title: `MoU ${subject}`, parties, topics: ['AI'] }, over);
  },
  retraction(subject: string, id: string, eventId: string, over: Partial<TrackerEvent> = {}) {
    return base('event.retracted', subject, id, { eventId, reason: 'reported in error' }, over);
  },
};

function base(type: string, subject: string, id: string, data: Record<string, unknown>, over: Partial<TrackerEvent>): TrackerEvent {
  return {
    specversion: '1.0',
    id,
    source: '/agencies/msit',
    type,
    subject,
    time: '2025-10-31T14:00:00+09:00',
    data,
    ...over,
  } as TrackerEvent;
}
