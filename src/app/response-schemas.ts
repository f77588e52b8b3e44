/**
 * What the API answers, as zod schemas: the OpenAPI document's response bodies come from them, and
 * tests parse real responses with them (their types are checked against the domain's interfaces),
 * so the document cannot drift from what the routes return.
 */
import * as z from 'zod';
import { ROLES, ScopePattern } from '../domain/access.ts';
import { DateTime, EVENT_TYPES, EntityId, type EventType, dataSchemas } from '../domain/event-schema.ts';
import { typedEnvelopes } from '../domain/event-json-schemas.ts';
import { TypePattern } from '../domain/webhooks.ts';

const Count = z.number().int().min(0);
const Sector = dataSchemas['recipient.registered'].shape.sector;
const EventTypeName = z.enum(EVENT_TYPES as [EventType, ...EventType[]]);

export const Health = z.strictObject({ status: z.literal('ok') });

export const FieldError = z.strictObject({
  index: z.number().int().min(0).describe('Position of the event in the request (0 for other bodies and query parameters).'),
  path: z.string().describe('Dotted path of the field, e.g. data.quantity'),
  message: z.string(),
});

/** RFC 9457 Problem Details; `errors` lists each invalid or refused field. */
export const Problem = z.looseObject({
  type: z.string().describe('/problems/{validation|unauthorized|forbidden|not-found|payload-too-large|unsupported-media-type|rate-limited|service-unavailable|internal}'),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  errors: z.array(FieldError).optional(),
});

const stored = <T extends EventType>(type: T) =>
  typedEnvelopes[type].extend({
    sequence: z.number().int().min(1).describe("Position in its subject's log: 1, 2, 3 … without gaps"),
    recordedAt: DateTime.describe('When the tracker accepted the event'),
  });

/** An accepted event: as posted, plus `sequence` and `recordedAt`. */
export const storedEvents = Object.fromEntries(EVENT_TYPES.map((t) => [t, stored(t)])) as {
  [T in EventType]: ReturnType<typeof stored<T>>;
};
export const StoredEvent = z.discriminatedUnion('type', Object.values(storedEvents) as [ReturnType<typeof stored>, ...ReturnType<typeof stored>[]]);

/** One event of a POST, in any type: the request body of structured mode. */
export const CloudEvent = z.discriminatedUnion('type', Object.values(typedEnvelopes) as [(typeof typedEnvelopes)[EventType], ...(typeof typedEnvelopes)[EventType][]]);
export const CloudEventBatch = z.array(CloudEvent).min(1).max(100);
/** Binary mode's body: the `data` of the type named by `ce-type`. */
export const EventData = z.union(Object.values(dataSchemas) as [(typeof dataSchemas)[EventType], ...(typeof dataSchemas)[EventType][]]);

export const IngestResult = z.strictObject({
  source: z.string(),
  id: z.string(),
  status: z.enum(['accepted', 'duplicate', 'conflict']),
  sequence: z.number().int().min(1).describe('The sequence the stored event has (for a conflict, the one already stored)'),
});
export const IngestResponse = z.strictObject({ results: z.array(IngestResult).describe('In request order') });

export const RecipientStatus = z.strictObject({
  recipientId: EntityId,
  name: z.string().nullable(),
  nameKo: z.string().nullable(),
  sector: Sector.nullable(),
  allocated: Count,
  programs: z.record(EntityId, Count).describe('Latest allocation per program'),
  ordered: Count,
  shipped: Count,
  inTransit: Count,
  delivered: Count,
  installed: Count,
  remaining: Count,
  sequence: Count.describe('Sequence of the last event applied'),
  lastEventTime: DateTime.nullable().describe('Greatest time among counted events'),
  updatedAt: DateTime.nullable().describe('Greatest recordedAt among applied events'),
});
export const RecipientList = z.strictObject({ items: z.array(RecipientStatus).describe('Sorted by recipientId') });

const totals = {
  recipients: Count,
  allocated: Count,
  ordered: Count,
  shipped: Count,
  inTransit: Count,
  delivered: Count,
  installed: Count,
  remaining: Count,
};
export const Totals = z.strictObject(totals);
export const Summary = z.strictObject({
  ...totals,
  bySector: z.partialRecord(z.enum([...Sector.options, 'unregistered']), Totals),
  updatedAt: DateTime.nullable(),
});

export const ProgramTotals = z.strictObject({
  programId: EntityId,
  allocated: Count,
  recipients: z.array(z.strictObject({ recipientId: EntityId, name: z.string().nullable(), gpus: Count })),
});

const mouTerms = dataSchemas['mou.signed'].shape;
export const MouEntry = z.strictObject({
  mouId: EntityId,
  title: z.string(),
  parties: z.array(EntityId),
  topics: mouTerms.topics,
  documentUrl: z.string().optional(),
  signedAt: DateTime,
  source: z.string(),
  sequence: Count,
  updatedAt: DateTime.nullable(),
});
export const MouList = z.strictObject({ items: z.array(MouEntry) });

export const HistoryPage = z.strictObject({
  items: z.array(StoredEvent).describe('In sequence order'),
  next: z.string().nullable().describe('Cursor for `after`; null at the end of the log'),
});
export const FeedPage = z.strictObject({
  items: z.array(StoredEvent).describe('In acceptance order'),
  next: z.string().describe('Cursor for `after`; never null: poll from it for later events'),
});

export const KeyId = z.string().regex(/^[0-9a-f]{12}$/);
export const ApiKeyView = z.strictObject({
  id: KeyId,
  name: z.string(),
  role: z.enum(ROLES),
  sources: z.array(ScopePattern),
  subjects: z.array(ScopePattern),
  types: z.array(ScopePattern),
  rateLimitPerMinute: z.number().int().min(1),
  createdAt: DateTime,
  revokedAt: DateTime.nullable(),
});
export const NewApiKey = ApiKeyView.extend({
  key: z.string().regex(/^trk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/).describe('The key, shown only in this response: Authorization: Bearer <key>'),
});
export const ApiKeyList = z.strictObject({ items: z.array(ApiKeyView) });

export const SubscriptionId = z.string().regex(/^sub_[0-9a-f]{20}$/);
export const SubscriptionView = z.strictObject({
  id: SubscriptionId,
  owner: z.string().describe('Id of the key that made it (admin for the deployment admin key)'),
  url: z.string(),
  types: z.array(TypePattern),
  recipients: z.array(EntityId).describe('Empty: every recipient'),
  status: z.enum(['active', 'disabled']),
  createdAt: DateTime,
  disabledAt: DateTime.nullable(),
  disabledReason: z.string().nullable(),
});
export const NewSubscription = SubscriptionView.extend({
  secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/).describe('Signing secret (Standard Webhooks), shown only in this response'),
});
export const SubscriptionList = z.strictObject({ items: z.array(SubscriptionView) });

export const DeliveryAttempt = z.strictObject({
  attempt: z.number().int().min(1),
  round: z.number().int().min(1).describe('1 for the notification, + 1 for each replay of it'),
  at: DateTime,
  statusCode: z.number().int().nullable().describe('HTTP status, or null when no response came'),
  latencyMs: z.number().min(0),
  error: z.string().nullable(),
  retryAfterMs: z.number().min(0).optional(),
});
export const DeliveryView = z.strictObject({
  subscriptionId: SubscriptionId,
  webhookId: z.string().describe('The webhook-id header: the same on every attempt and replay'),
  event: z.strictObject({ source: z.string(), id: z.string(), type: EventTypeName, subject: z.string(), sequence: z.number().int().min(1), recordedAt: DateTime }),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempt: z.number().int().min(0).describe('Attempts made in the current round'),
  round: z.number().int().min(1),
  attempts: z.array(DeliveryAttempt),
  nextAttemptAt: DateTime.nullable(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export const DeliveryPage = z.strictObject({
  items: z.array(DeliveryView).describe('Newest first'),
  next: z.string().nullable().describe('Cursor for `after`; null at the end'),
});
export const ReplayReport = z.strictObject({
  replayed: Count.describe('Deliveries created or started again'),
  pending: Count.describe('Matching deliveries already on their way, left as they are'),
});

/** The body of a webhook notification (CONTRACT §6). */
export const WebhookNotification = z.strictObject({
  type: EventTypeName,
  timestamp: DateTime.describe('When the tracker accepted the event'),
  data: z.strictObject({
    event: StoredEvent,
    status: z.union([RecipientStatus, MouEntry, z.null()]).describe('Status of the subject after the event (recipient or MoU); null when none counts'),
  }),
});
