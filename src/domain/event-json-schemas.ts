/**
 * JSON Schema of the event schemas (`event-schema.ts`), for `events/schemas/` and the OpenAPI
 * document. Each type's envelope is composed from the very `Envelope` shape and `dataSchemas` entry
 * ingest validates with, its `subject` narrowed to the type's subject kind. `jsonSchemaOverride`
 * adds what zod refinements mean but `z.toJSONSchema` cannot see (formats, distinct parties,
 * extension attribute names); what JSON Schema cannot say at all (trimmed text, a retraction's
 * target) is left to the API and said in the descriptions.
 */
import * as z from 'zod';
import { DateTime, EVENT_TYPES, Envelope, type EventType, dataSchemas, subjectKindOf } from './event-schema.ts';
import { isCalendarDate } from './time.ts';

const SUBJECT_ID = '[a-z0-9][a-z0-9-]{1,63}';
/** CloudEvents extension attribute names the API accepts (see `Envelope`). */
export const EXTENSION_NAME_PATTERN = '^[a-z0-9]{1,20}$';

const SUBJECT_DESCRIPTION: Record<'recipients' | 'mous' | 'any', string> = {
  recipients: 'recipients/{recipientId}',
  mous: 'mous/{mouId}',
  any: 'the subject of the retracted event: recipients/{recipientId} or mous/{mouId}',
};

const TYPE_DESCRIPTION: Record<EventType, string> = {
  'recipient.registered': 'A recipient (agency, company, institute) is registered: its name and sector.',
  'allocation.announced': 'GPUs allocated to a recipient under a program; the latest announcement per program counts, 0 withdraws.',
  'procurement.ordered': 'A procurement order for GPUs; the latest event per orderId counts.',
  'delivery.shipped': 'A shipment left the vendor; the latest quantity per shipmentId and stage counts.',
  'delivery.received': 'A shipment was received on site; the latest quantity per shipmentId and stage counts.',
  'delivery.installed': 'A shipment was installed and in service; the latest quantity per shipmentId and stage counts.',
  'mou.signed': 'A memorandum of understanding between two or more distinct parties.',
  'event.retracted':
    'Retracts an earlier event of the same source (data.eventId), which then counts as never posted. Only the posting source may retract; a retraction cannot be retracted.',
};

function typedEnvelope<T extends EventType>(type: T) {
  const kind = subjectKindOf[type];
  const subjects = kind === 'any' ? '(recipients|mous)' : kind;
  return z
    .strictObject({
      ...Envelope.shape,
      type: z.literal(type),
      subject: z.string().regex(new RegExp(`^${subjects}/${SUBJECT_ID}$`)).describe(SUBJECT_DESCRIPTION[kind]),
      data: dataSchemas[type],
    })
    .catchall(Envelope.def.catchall!)
    .describe(TYPE_DESCRIPTION[type]);
}

/** One CloudEvent envelope per event type, `data` included; extension attributes ride along. */
export const typedEnvelopes = Object.fromEntries(EVENT_TYPES.map((t) => [t, typedEnvelope(t)])) as {
  [T in EventType]: ReturnType<typeof typedEnvelope<T>>;
};

const partiesSchema = dataSchemas['mou.signed'].shape.parties;
type Check = { _zod: { def: { fn?: unknown } } };
const checksOf = (schema: { _zod: { def: unknown } }): Check[] => (schema._zod.def as { checks?: Check[] }).checks ?? [];
/** DateTime's refinement; a described copy of DateTime (`.describe()` clones) shares it. */
const dateTimeCheck = checksOf(DateTime).find((c) => typeof c._zod.def.fn === 'function');

type OverrideContext = Parameters<NonNullable<NonNullable<Parameters<typeof z.toJSONSchema>[1]>['override']>>[0];

/** `override` of `z.toJSONSchema`: says in JSON Schema what the zod refinements check. */
export function jsonSchemaOverride(ctx: OverrideContext): void {
  const schema = ctx.jsonSchema as Record<string, unknown>;
  const checks = checksOf(ctx.zodSchema);
  if (dateTimeCheck && checks.includes(dateTimeCheck)) {
    schema.format = 'date-time';
    schema.description ??= 'RFC 3339 date-time with offset, e.g. 2025-10-31T14:00:00+09:00';
  }
  if (checks.some((c) => c._zod.def.fn === isCalendarDate)) {
    schema.format = 'date';
    schema.description ??= 'a date YYYY-MM-DD';
  }
  if (ctx.zodSchema === partiesSchema) schema.uniqueItems = true;
  const def = ctx.zodSchema._zod.def as { format?: string; protocol?: RegExp };
  if (def.format === 'url' && def.protocol?.source === '^https$') schema.pattern = '^https://';
  const catchall = (ctx.zodSchema._zod.def as { catchall?: unknown }).catchall;
  if (catchall !== undefined && catchall === Envelope.def.catchall && schema.additionalProperties) {
    // Other attributes are extensions: scalar values (additionalProperties) under names the API accepts.
    schema.propertyNames = { anyOf: [{ enum: Object.keys(schema.properties as object) }, { pattern: EXTENSION_NAME_PATTERN }] };
  }
}

/** Options every generated schema shares: JSON Schema 2020-12 (OpenAPI 3.1's dialect) of what clients send. */
export const JSON_SCHEMA_OPTIONS = {
  target: 'draft-2020-12',
  io: 'input',
  override: jsonSchemaOverride,
} as const satisfies Parameters<typeof z.toJSONSchema>[1];

/** The standalone JSON Schema of one type's CloudEvent, as committed in `events/schemas/{type}.schema.json`. */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(typedEnvelopes[type], JSON_SCHEMA_OPTIONS) as Record<string, unknown>;
  return { $schema, $id: `${type}.schema.json`, title: `CloudEvent ${type}`, ...rest };
}

/** Every file of `events/schemas/`: name → text (2-space JSON, final newline). */
export function eventSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const type of EVENT_TYPES) files[`${type}.schema.json`] = `${JSON.stringify(eventJsonSchema(type), null, 2)}\n`;
  const anyEvent = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'cloudevent.schema.json',
    title: 'Any CloudEvent the tracker accepts',
    description: 'One of the event types, chosen by its "type" attribute.',
    type: 'object',
    required: ['type'],
    properties: { type: { enum: EVENT_TYPES } },
    allOf: EVENT_TYPES.map((type) => ({
      if: { properties: { type: { const: type } } },
      then: { $ref: `${type}.schema.json` },
    })),
  };
  files['cloudevent.schema.json'] = `${JSON.stringify(anyEvent, null, 2)}\n`;
  return files;
}
