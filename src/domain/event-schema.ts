/**
 * The CloudEvents 1.0 envelope and every event type's `data`, as zod schemas (CONTRACT §1).
 * Types are derived from the schemas; the OpenAPI document and JSON Schemas come from them too.
 */
import * as z from 'zod';
import { isCalendarDate, parseInstant } from './time.ts';

export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,63}$/;
export const MAX_QUANTITY = 10_000_000;

export const EntityId = z.string().regex(ID_PATTERN, 'must match ^[a-z0-9][a-z0-9-]{1,63}$');
const Text = (max: number) => z.string().trim().min(1).max(max);
const Quantity = z.number().int().positive().max(MAX_QUANTITY);

/** RFC 3339 date-time with offset (`Z` or `±hh:mm`), checked as a real instant. */
export const DateTime = z
  .string()
  .max(40)
  .refine((s) => parseInstant(s) !== undefined, 'must be an RFC 3339 date-time with offset, e.g. 2025-10-31T14:00:00+09:00');

const CalendarDate = z.string().refine(isCalendarDate, 'must be a date YYYY-MM-DD');

/** RFC 3986 URI-reference characters, percent-escapes well formed. */
const URI_REFERENCE = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/;

export const dataSchemas = {
  'recipient.registered': z.strictObject({
    name: Text(200),
    nameKo: Text(200).optional(),
    sector: z.enum(['public', 'private', 'research', 'academic']),
  }),
  'allocation.announced': z.strictObject({
    programId: EntityId,
    gpus: z.number().int().min(0).max(MAX_QUANTITY),
  }),
  'procurement.ordered': z.strictObject({
    orderId: EntityId,
    quantity: Quantity,
    gpuModel: Text(200),
    vendor: Text(200).optional(),
    expectedBy: CalendarDate.optional(),
  }),
  'delivery.shipped': deliveryData(),
  'delivery.received': deliveryData(),
  'delivery.installed': deliveryData(),
  'mou.signed': z.strictObject({
    title: Text(500),
    parties: z
      .array(EntityId)
      .min(2)
      .max(50)
      .refine((p) => new Set(p).size === p.length, 'parties must be distinct'),
    topics: z.array(Text(200)).max(50).optional(),
    documentUrl: z
      .url({ protocol: /^https$/, hostname: z.regexes.domain })
      .max(2048)
      .optional(),
  }),
  'event.retracted': z.strictObject({
    eventId: z.string().min(1).max(128).regex(/^[\x20-\x7e]+$/, 'must be printable ASCII'),
    reason: Text(1000),
  }),
} as const;

function deliveryData() {
  return z.strictObject({
    shipmentId: EntityId,
    quantity: Quantity,
    orderId: EntityId,
    gpuModel: Text(200),
    site: Text(200).optional(),
  });
}

export type EventType = keyof typeof dataSchemas;
export const EVENT_TYPES = Object.keys(dataSchemas) as EventType[];

/** Which subject kind each type takes (retractions take their target's). */
export const subjectKindOf: Record<EventType, 'recipients' | 'mous' | 'any'> = {
  'recipient.registered': 'recipients',
  'allocation.announced': 'recipients',
  'procurement.ordered': 'recipients',
  'delivery.shipped': 'recipients',
  'delivery.received': 'recipients',
  'delivery.installed': 'recipients',
  'mou.signed': 'mous',
  'event.retracted': 'any',
};

/** CloudEvents extension attribute: lower-case alphanumeric name, scalar value. */
const ExtensionValue = z.union([z.string().max(1024), z.boolean(), z.number().int()]);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

export const Envelope = z
  .strictObject({
    specversion: z.literal('1.0'),
    id: z.string().min(1).max(128).regex(/^[\x20-\x7e]+$/, 'must be 1–128 printable ASCII characters'),
    source: z.string().min(1).max(256).regex(URI_REFERENCE, 'must be a URI-reference'),
    type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
    subject: z
      .string()
      .regex(/^(recipients|mous)\/[a-z0-9][a-z0-9-]{1,63}$/, 'must be recipients/{id} or mous/{id}'),
    time: DateTime,
    data: z.record(z.string(), z.unknown()),
    datacontenttype: z.string().min(1).max(256).optional(),
    dataschema: z.string().min(1).max(2048).regex(URI_REFERENCE, 'must be a URI').optional(),
  })
  .catchall(ExtensionValue)
  .superRefine((event, ctx) => {
    for (const name of Object.keys(event)) {
      if (!(name in Envelope_KNOWN) && !EXTENSION_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'extension attribute names are 1–20 lower-case letters or digits' });
      }
    }
    const data = dataSchemas[event.type].safeParse(event.data);
    if (!data.success) {
      for (const issue of data.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['data', ...issue.path.map(String)], message: issue.message });
      }
    }
    const kind = subjectKindOf[event.type];
    if (kind !== 'any' && !event.subject.startsWith(`${kind}/`)) {
      ctx.addIssue({ code: 'custom', path: ['subject'], message: `${event.type} takes a subject ${kind}/{id}` });
    }
  });

const Envelope_KNOWN = {
  specversion: 1, id: 1, source: 1, type: 1, subject: 1, time: 1, data: 1, datacontenttype: 1, dataschema: 1,
} as const;

type DataOf<T extends EventType> = z.infer<(typeof dataSchemas)[T]>;

/** A valid event, discriminated on `type`. Extension attributes ride along untyped. */
export type TrackerEvent = {
  [T in EventType]: {
    specversion: '1.0';
    id: string;
    source: string;
    type: T;
    subject: string;
    time: string;
    data: DataOf<T>;
    datacontenttype?: string;
    dataschema?: string;
    [extension: string]: unknown;
  };
}[EventType];

/** An accepted event as stored and returned: as posted, plus where and when it was recorded. */
export type StoredEvent = TrackerEvent & { sequence: number; recordedAt: string };

export interface FieldError {
  index: number;
  path: string;
  message: string;
}

/** Validates one posted event; `errors` carry `index` and a JSON-pointer-like dotted `path`. */
export function validateEvent(
  input: unknown,
  index: number,
): { ok: true; event: TrackerEvent } | { ok: false; errors: FieldError[] } {
  const parsed = Envelope.safeParse(input);
  if (parsed.success) return { ok: true, event: parsed.data as TrackerEvent };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => ({
      index,
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}
