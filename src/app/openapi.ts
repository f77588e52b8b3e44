/**
 * The OpenAPI 3.1 document of the API, generated (never written by hand) from the zod schemas the
 * routes validate with: event envelopes and `data` (`event-schema.ts`), query parameters
 * (`query-params.ts`), key and subscription requests, and the response schemas
 * (`response-schemas.ts`). This module only says which route takes and answers which schema.
 */
import * as z from 'zod';
import { NewKeyRequest } from '../domain/access.ts';
import { EVENT_TYPES, Envelope, EntityId, dataSchemas } from '../domain/event-schema.ts';
import { JSON_SCHEMA_OPTIONS, typedEnvelopes } from '../domain/event-json-schemas.ts';
import { NewSubscriptionRequest, ReplayRequest } from '../domain/webhooks.ts';
import { MAX_BODY_BYTES, MAX_EVENTS_PER_REQUEST } from './cloudevents-http.ts';
import { querySchemas } from './query-params.ts';
import * as R from './response-schemas.ts';
import { DeliveriesQuery } from './subscription-routes.ts';

type Json = Record<string, unknown>;
export type OpenApiDocument = Json & { paths: Record<string, Record<string, Json>>; components: Json & { schemas: Record<string, Json> } };

const pascal = (type: string) => type.split(/[.-]/).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

/** Every named schema of `components.schemas`, by name. */
function namedSchemas(): Record<string, z.ZodType> {
  const named: Record<string, z.ZodType> = {
    Problem: R.Problem,
    FieldError: R.FieldError,
    Health: R.Health,
    CloudEvent: R.CloudEvent,
    CloudEventBatch: R.CloudEventBatch,
    EventData: R.EventData,
    StoredEvent: R.StoredEvent,
    IngestResponse: R.IngestResponse,
    IngestResult: R.IngestResult,
    RecipientStatus: R.RecipientStatus,
    RecipientList: R.RecipientList,
    Totals: R.Totals,
    Summary: R.Summary,
    ProgramTotals: R.ProgramTotals,
    MouEntry: R.MouEntry,
    MouList: R.MouList,
    HistoryPage: R.HistoryPage,
    FeedPage: R.FeedPage,
    NewKeyRequest,
    ApiKeyView: R.ApiKeyView,
    NewApiKey: R.NewApiKey,
    ApiKeyList: R.ApiKeyList,
    NewSubscriptionRequest,
    ReplayRequest,
    SubscriptionView: R.SubscriptionView,
    NewSubscription: R.NewSubscription,
    SubscriptionList: R.SubscriptionList,
    DeliveryAttempt: R.DeliveryAttempt,
    DeliveryView: R.DeliveryView,
    DeliveryPage: R.DeliveryPage,
    ReplayReport: R.ReplayReport,
    WebhookNotification: R.WebhookNotification,
  };
  for (const type of EVENT_TYPES) {
    named[`${pascal(type)}Event`] = typedEnvelopes[type];
    named[`Stored${pascal(type)}Event`] = R.storedEvents[type];
    named[`${pascal(type)}Data`] = dataSchemas[type];
  }
  return named;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The discriminator of an event union: `type` → the named schema of that type. */
function discriminator(prefix: string): Json {
  return { propertyName: 'type', mapping: Object.fromEntries(EVENT_TYPES.map((t) => [t, ref(`${prefix}${pascal(t)}Event`).$ref])) };
}

function componentSchemas(): Record<string, Json> {
  const named = namedSchemas();
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    ...JSON_SCHEMA_OPTIONS,
    uri: (id) => `#/components/schemas/${id}`,
    override: (ctx) => {
      JSON_SCHEMA_OPTIONS.override(ctx);
      const schema = ctx.jsonSchema as Json;
      if (ctx.zodSchema === R.CloudEvent) schema.discriminator = discriminator('');
      if (ctx.zodSchema === R.StoredEvent) schema.discriminator = discriminator('Stored');
    },
  });
  // Components live inside the document: no own dialect or id.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema as Json]),
  );
}

/** A zod schema that is not a component, inline (query and header parameters). */
const inline = (schema: z.ZodType): Json => {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, JSON_SCHEMA_OPTIONS) as Json;
  return rest;
};

const PARAM_DESCRIPTIONS: Record<string, string> = {
  asOf: 'Only events whose `time` is at or before this instant count (RFC 3339 with offset).',
  knownAt: 'Only events (and retractions) the tracker had recorded by this instant count (RFC 3339 with offset).',
  after: 'Opaque cursor: the `next` of the previous page.',
  limit: 'Page size.',
  type: 'Only events of this type.',
  party: 'Only MoUs with this party.',
};

function queryParameters(schema: z.ZodType): Json[] {
  const json = inline(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, prop]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    ...(PARAM_DESCRIPTIONS[name] ? { description: PARAM_DESCRIPTIONS[name] } : {}),
    schema: prop,
  }));
}

const pathParameter = (name: string, schema: z.ZodType, description: string): Json => ({
  name, in: 'path', required: true, description, schema: inline(schema),
});

const jsonContent = (schema: string, type = 'application/json') => ({ [type]: { schema: ref(schema) } });
const ok = (schema: string, description: string, headers?: Json) => ({ description, content: jsonContent(schema), ...(headers ? { headers } : {}) });
const problem = (name: string) => ({ $ref: `#/components/responses/${name}` });

const PROBLEMS: Record<string, { status: number; description: string; retryAfter?: boolean; authenticate?: boolean }> = {
  BadRequest: { status: 400, description: 'Invalid request: `errors` names each invalid field (`index`, `path`, `message`).' },
  Unauthorized: { status: 401, description: 'No key where one is needed, a malformed Authorization header, or an unknown or revoked key.', authenticate: true },
  Forbidden: { status: 403, description: 'The key may not do this (role), or may not post some of these events (scopes; `errors` lists each).' },
  NotFound: { status: 404, description: 'No such resource (or not one of this key’s).' },
  PayloadTooLarge: { status: 413, description: 'The body is too large.' },
  UnsupportedMediaType: { status: 415, description: 'Unsupported Content-Type.' },
  RateLimited: { status: 429, description: 'This key’s rate limit is reached; retry after `Retry-After` seconds.', retryAfter: true },
  ServiceUnavailable: { status: 503, description: 'A dependency is throttled or starting; the request may be retried as is after `Retry-After` seconds.', retryAfter: true },
  InternalError: { status: 500, description: 'The tracker failed to answer; the request may be retried as is.' },
};
const byStatus = Object.fromEntries(Object.entries(PROBLEMS).map(([name, p]) => [String(p.status), name]));

/** Problem responses by status code: `problems(400, 404)`. */
const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem(byStatus[String(s)]!)]));

const RETRY_AFTER = { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } };
const ETAG = { description: 'Strong entity tag of the body; send it as If-None-Match', schema: { type: 'string' } };

const PUBLIC = [{}, { bearer: [] }];
const KEYED = [{ bearer: [] }];
const NONE: Json[] = [];

/** What every /v1 route may answer besides its own. */
const V1_ERRORS = problems(401, 429, 503, 500);
const IF_NONE_MATCH = { name: 'If-None-Match', in: 'header', required: false, description: 'An ETag of an earlier response: 304 when unchanged.', schema: { type: 'string' } };

/** A status read: time travel parameters, ETag and 304. */
function statusRead(op: { operationId: string; summary: string; description?: string; query: z.ZodType; schema: string; path?: Json[]; notFound?: boolean }): Json {
  return {
    tags: ['status'],
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: PUBLIC,
    parameters: [...(op.path ?? []), ...queryParameters(op.query), IF_NONE_MATCH],
    responses: {
      200: ok(op.schema, 'OK', { ETag: ETAG }),
      304: { description: 'Not modified (If-None-Match matched)', headers: { ETag: ETAG } },
      ...problems(400, ...(op.notFound ? [404] : [])),
      ...V1_ERRORS,
    },
  };
}

const recipientId = pathParameter('id', EntityId, 'Recipient id');
const subscriptionId = pathParameter('id', R.SubscriptionId, 'Subscription id');

/** The `ce-*` headers of binary mode, from the envelope's own attribute schemas. */
const BINARY_HEADERS: [string, z.ZodType][] = [
  ['specversion', Envelope.shape.specversion],
  ['id', Envelope.shape.id],
  ['source', Envelope.shape.source],
  ['type', Envelope.shape.type],
  ['subject', Envelope.shape.subject],
  ['time', Envelope.shape.time],
];

const EVENTS_DESCRIPTION = `Posts CloudEvents 1.0 in one of three encodings:

- **structured**: one event, \`Content-Type: application/cloudevents+json\` (or \`application/json\`);
- **batch**: a JSON array of 1 to ${MAX_EVENTS_PER_REQUEST} events, \`application/cloudevents-batch+json\` (or \`application/json\`);
- **binary**: the attributes as \`ce-*\` headers (percent-encoded), the \`data\` as the body, \`Content-Type: application/json\`
  (it becomes \`datacontenttype\`); other \`ce-*\` headers become extension attributes.

The whole request is validated and authorized first: if any event is invalid (400) or not allowed (403), nothing is stored.
\`(source, id)\` identifies an event for ever: the same content again is a \`duplicate\`, different content a \`conflict\`
(answered with 409 instead of 202); nothing changes in either case. A request that failed with 5xx or timed out may be
retried as is. The body is at most ${MAX_BODY_BYTES / 1024} KiB. The event schemas are also in \`events/schemas/\`.`;

function paths(): Record<string, Record<string, Json>> {
  return {
    '/healthz': {
      get: {
        tags: ['service'], operationId: 'getHealth', summary: 'Readiness', security: NONE,
        description: '200 once every part (tables, queues, consumers) is ready.',
        responses: { 200: ok('Health', 'Ready'), ...problems(503) },
      },
    },
    '/v1/events': {
      post: {
        tags: ['events'], operationId: 'postEvents', summary: 'Post events (structured, batch or binary mode)',
        description: EVENTS_DESCRIPTION,
        security: KEYED,
        parameters: BINARY_HEADERS.map(([name, schema]) => ({
          name: `ce-${name}`, in: 'header', required: false, description: `Binary mode: the \`${name}\` attribute.`, schema: inline(schema),
        })),
        requestBody: {
          required: true,
          content: {
            'application/cloudevents+json': { schema: ref('CloudEvent') },
            'application/cloudevents-batch+json': { schema: ref('CloudEventBatch') },
            'application/json': {
              schema: { oneOf: [ref('CloudEvent'), ref('CloudEventBatch'), ref('EventData')] },
              // Binary mode's body is the `data` of the type in `ce-type`.
            },
          },
        },
        responses: {
          202: ok('IngestResponse', 'Every event accepted or a duplicate; results in request order'),
          409: ok('IngestResponse', 'At least one result is a conflict (same source and id, different content); the others are as reported'),
          ...problems(400, 403, 413, 415),
          ...V1_ERRORS,
        },
      },
    },
    '/v1/recipients': {
      get: statusRead({ operationId: 'listRecipients', summary: 'Status of every recipient', query: querySchemas.status, schema: 'RecipientList' }),
    },
    '/v1/recipients/{id}': {
      get: statusRead({ operationId: 'getRecipient', summary: 'Status of one recipient', query: querySchemas.status, schema: 'RecipientStatus', path: [recipientId], notFound: true }),
    },
    '/v1/recipients/{id}/events': {
      get: {
        tags: ['events'], operationId: 'listRecipientEvents', summary: 'A recipient’s events in sequence order', security: PUBLIC,
        parameters: [recipientId, ...queryParameters(querySchemas.history)],
        responses: { 200: ok('HistoryPage', 'A page of events'), ...problems(400), ...V1_ERRORS },
      },
    },
    '/v1/summary': {
      get: statusRead({ operationId: 'getSummary', summary: 'National totals, and totals by sector', query: querySchemas.status, schema: 'Summary' }),
    },
    '/v1/programs/{programId}': {
      get: statusRead({
        operationId: 'getProgram', summary: 'A program’s allocated total and per-recipient allocations', query: querySchemas.status, schema: 'ProgramTotals',
        path: [pathParameter('programId', EntityId, 'Program id')], notFound: true,
      }),
    },
    '/v1/mous': {
      get: statusRead({ operationId: 'listMous', summary: 'MoU registry', query: querySchemas.mous, schema: 'MouList' }),
    },
    '/v1/mous/{id}': {
      get: statusRead({ operationId: 'getMou', summary: 'One MoU', query: querySchemas.status, schema: 'MouEntry', path: [pathParameter('id', EntityId, 'MoU id')], notFound: true }),
    },
    '/v1/feed': {
      get: {
        tags: ['feed'], operationId: 'getFeed', summary: 'Every accepted event, in acceptance order', security: PUBLIC,
        description: 'Pages with an opaque cursor; at the end `items` is empty and `next` is where to poll from. A cursor never skips an event accepted later.',
        parameters: queryParameters(querySchemas.feed),
        responses: { 200: ok('FeedPage', 'A page of the feed'), ...problems(400), ...V1_ERRORS },
      },
    },
    '/v1/stream': {
      get: {
        tags: ['feed'], operationId: 'getStream', summary: 'The feed as Server-Sent Events', security: PUBLIC,
        description:
          'First an event `ready` (`data: {"connected":true}`), then one message per accepted event: `id:` is its feed cursor, `data:` the event as JSON (a `StoredEvent`). A comment heartbeat goes out every 15 s. Resume with `Last-Event-ID` or `?after=`; without either the stream starts at the live tail.',
        parameters: [
          ...queryParameters(querySchemas.stream),
          { name: 'Last-Event-ID', in: 'header', required: false, description: 'The `id:` of the last message received: resume after it.', schema: { type: 'string' } },
        ],
        responses: {
          200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          ...problems(400),
          ...V1_ERRORS,
        },
      },
    },
    '/v1/keys': {
      post: {
        tags: ['keys'], operationId: 'createKey', summary: 'Create an API key (admin)', security: KEYED,
        description: '`sources`, `subjects` and `types` take exact values or a trailing `*`. The key is shown once.',
        requestBody: { required: true, content: jsonContent('NewKeyRequest') },
        responses: { 201: ok('NewApiKey', 'Created; the key is in `key`, shown only now'), ...problems(400, 403, 413, 415), ...V1_ERRORS },
      },
      get: {
        tags: ['keys'], operationId: 'listKeys', summary: 'List API keys without secrets (admin)', security: KEYED,
        responses: { 200: ok('ApiKeyList', 'Every key'), ...problems(403), ...V1_ERRORS },
      },
    },
    '/v1/keys/{id}': {
      delete: {
        tags: ['keys'], operationId: 'revokeKey', summary: 'Revoke an API key at once (admin)', security: KEYED,
        parameters: [pathParameter('id', R.KeyId, 'Key id')],
        responses: { 200: ok('ApiKeyView', 'The revoked key'), ...problems(403, 404), ...V1_ERRORS },
      },
    },
    '/v1/subscriptions': {
      post: {
        tags: ['subscriptions'], operationId: 'createSubscription', summary: 'Subscribe a webhook URL (subscriber or admin)', security: KEYED,
        description: 'The URL must be https and must not resolve to a loopback, private, link-local or metadata address. The signing secret is shown once. See the `notification` webhook for what is sent.',
        requestBody: { required: true, content: jsonContent('NewSubscriptionRequest') },
        responses: { 201: ok('NewSubscription', 'Created; the secret is shown only now'), ...problems(400, 403, 413, 415), ...V1_ERRORS },
      },
      get: {
        tags: ['subscriptions'], operationId: 'listSubscriptions', summary: 'This key’s subscriptions (all of them for admins)', security: KEYED,
        responses: { 200: ok('SubscriptionList', 'Subscriptions'), ...problems(400, 403), ...V1_ERRORS },
      },
    },
    '/v1/subscriptions/{id}': {
      get: {
        tags: ['subscriptions'], operationId: 'getSubscription', summary: 'One subscription', security: KEYED,
        parameters: [subscriptionId],
        responses: { 200: ok('SubscriptionView', 'The subscription'), ...problems(403, 404), ...V1_ERRORS },
      },
      delete: {
        tags: ['subscriptions'], operationId: 'deleteSubscription', summary: 'Delete a subscription', security: KEYED,
        parameters: [subscriptionId],
        responses: { 200: ok('SubscriptionView', 'The deleted subscription'), ...problems(403, 404), ...V1_ERRORS },
      },
    },
    '/v1/subscriptions/{id}/deliveries': {
      get: {
        tags: ['subscriptions'], operationId: 'listDeliveries', summary: 'Delivery log of a subscription, newest first', security: KEYED,
        parameters: [subscriptionId, ...queryParameters(DeliveriesQuery)],
        responses: { 200: ok('DeliveryPage', 'A page of deliveries'), ...problems(400, 403, 404), ...V1_ERRORS },
      },
    },
    '/v1/subscriptions/{id}/replay': {
      post: {
        tags: ['subscriptions'], operationId: 'replaySubscription', summary: 'Send again the notifications of events recorded since a time', security: KEYED,
        parameters: [subscriptionId],
        requestBody: { required: true, content: jsonContent('ReplayRequest') },
        responses: { 202: ok('ReplayReport', 'Replay started'), ...problems(400, 403, 404, 413, 415), ...V1_ERRORS },
      },
    },
    '/openapi.json': {
      get: {
        tags: ['service'], operationId: 'getOpenApi', summary: 'This document', security: NONE,
        responses: { 200: { description: 'OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/docs': {
      get: {
        tags: ['service'], operationId: 'getDocs', summary: 'This document, rendered as HTML', security: NONE,
        responses: { 200: html('API reference') },
      },
    },
    '/docs/styles.css': {
      get: {
        tags: ['service'], operationId: 'getDocsStyles', summary: 'Stylesheet of /docs', security: NONE,
        responses: { 200: { description: 'CSS', content: { 'text/css': { schema: { type: 'string' } } } } },
      },
    },
    '/': {
      get: { tags: ['dashboard'], operationId: 'getDashboard', summary: 'Dashboard: national overview', security: NONE, responses: { 200: html('Dashboard page') } },
    },
    '/recipients/{id}': {
      get: {
        tags: ['dashboard'], operationId: 'getDashboardRecipient', summary: 'Dashboard: one recipient', security: NONE,
        parameters: [recipientId],
        responses: { 200: html('Dashboard page'), ...problems(404) },
      },
    },
    '/assets/{name}': {
      get: {
        tags: ['dashboard'], operationId: 'getDashboardAsset', summary: 'Dashboard scripts, styles and icons', security: NONE,
        parameters: [{ name: 'name', in: 'path', required: true, description: 'Asset file name', schema: { type: 'string' } }],
        responses: {
          200: { description: 'The asset (immutable when requested with its `?v=` hash)', content: { '*/*': { schema: { type: 'string' } } } },
          304: { description: 'Not modified' },
          ...problems(404),
        },
      },
    },
  };
}

function html(description: string): Json {
  return { description, content: { 'text/html': { schema: { type: 'string' } } } };
}

function problemResponses(): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(PROBLEMS).map(([name, p]) => [
      name,
      {
        description: p.description,
        content: { 'application/problem+json': { schema: ref('Problem') } },
        ...(p.retryAfter || p.authenticate
          ? { headers: { ...(p.retryAfter ? { 'Retry-After': RETRY_AFTER } : {}), ...(p.authenticate ? { 'WWW-Authenticate': { description: 'Bearer realm', schema: { type: 'string' } } } : {}) } }
          : {}),
      },
    ]),
  );
}

const WEBHOOK_HEADERS = [
  { name: 'webhook-id', description: 'Id of the notification: the same on every retry and replay (deduplicate on it).' },
  { name: 'webhook-timestamp', description: 'Seconds since the epoch when this attempt was signed.' },
  { name: 'webhook-signature', description: '`v1,` + base64 HMAC-SHA256, keyed with the subscription secret (base64 after `whsec_`), of `{webhook-id}.{webhook-timestamp}.{body}`.' },
].map((h) => ({ ...h, in: 'header', required: true, schema: { type: 'string' } }));

function webhooks(): Json {
  return {
    notification: {
      post: {
        tags: ['subscriptions'],
        operationId: 'notification',
        summary: 'An accepted event that matches a subscription (Standard Webhooks)',
        description:
          'Sent to the subscription URL for every accepted event whose type matches one of its `types` and, when it lists `recipients`, whose subject is one of them. Any 2xx is success; otherwise the notification is retried with backoff and jitter (Standard Webhooks schedule, about 3 days), honouring `Retry-After`; 410 disables the subscription; exhausted notifications show as failed in the delivery log.',
        parameters: WEBHOOK_HEADERS,
        requestBody: { required: true, content: jsonContent('WebhookNotification') },
        responses: {
          200: { description: 'Any 2xx: received' },
          410: { description: 'Gone: the subscription is disabled' },
        },
      },
    },
  };
}

function buildDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'GPU Policy Tracker API',
      version: '1.0.0',
      summary: 'How Korea’s 260,000 NVIDIA GPUs policy turns into hardware on the ground.',
      description:
        'Agencies and companies post events (CloudEvents 1.0); anyone reads live status per recipient, per program and nationally, including what the tracker knew on a past date (`asOf`, `knownAt`). Reads are public unless the deployment requires a key; writes need `Authorization: Bearer <key>`. Errors are `application/problem+json` (RFC 9457). Unknown query parameters are rejected (400).',
    },
    servers: [{ url: '/', description: 'This deployment (relative to where the document is served)' }],
    tags: [
      { name: 'events', description: 'Posting events and reading a recipient’s history' },
      { name: 'status', description: 'Status, totals and the MoU registry; `asOf` and `knownAt` reproduce past answers' },
      { name: 'feed', description: 'Every accepted event, as pages or as a live stream' },
      { name: 'keys', description: 'API keys (admin)' },
      { name: 'subscriptions', description: 'Webhook subscriptions and their delivery log' },
      { name: 'service', description: 'Readiness and this document' },
      { name: 'dashboard', description: 'The public dashboard (HTML)' },
    ],
    security: PUBLIC,
    paths: paths(),
    webhooks: webhooks(),
    components: {
      schemas: componentSchemas(),
      responses: problemResponses(),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key `trk_…` from `POST /v1/keys`, or the deployment’s admin key.',
        },
      },
    },
  };
}

let built: OpenApiDocument | undefined;

/** The document, built once per process. */
export function openApiDocument(): OpenApiDocument {
  return (built ??= buildDocument());
}
