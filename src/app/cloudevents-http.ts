/**
 * Reads CloudEvents from an HTTP request (CloudEvents HTTP binding 1.0): structured, batch or
 * binary mode, then validates every event before anything is stored.
 */
import type { TrackerEvent } from '../domain/event-schema.ts';
import { type FieldError, validateEvent } from '../domain/event-schema.ts';
import { UnsupportedMediaTypeError, ValidationError } from '../errors.ts';

export const MAX_EVENTS_PER_REQUEST = 100;
export const MAX_BODY_BYTES = 256 * 1024;

const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';
const JSON_TYPE = 'application/json';

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The posted events, validated; throws 415 / 400 with every problem found. */
export function readCloudEvents(contentType: string | undefined, headers: Headers, body: string): TrackerEvent[] {
  const media = mediaTypeOf(contentType);
  if (media !== STRUCTURED && media !== BATCH && media !== JSON_TYPE) {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be ${STRUCTURED}, ${BATCH} or ${JSON_TYPE} (binary mode with ce-* headers); got '${media || 'none'}'.`,
    );
  }
  const parsed = parseJson(body);
  const binary = headers.has('ce-specversion');
  if (binary && media !== JSON_TYPE) {
    throw new UnsupportedMediaTypeError(`Binary mode (ce-* headers) takes Content-Type ${JSON_TYPE}.`);
  }

  let inputs: unknown[];
  if (binary) inputs = [{ ...fromBinary(headers, parsed), datacontenttype: contentType!.trim() }];
  else if (Array.isArray(parsed)) {
    if (media === STRUCTURED) throw new ValidationError(`${STRUCTURED} takes one event; post arrays as ${BATCH}.`);
    inputs = parsed;
  } else {
    if (media === BATCH) throw new ValidationError(`${BATCH} takes a JSON array of events.`);
    inputs = [parsed];
  }
  if (inputs.length === 0) throw new ValidationError('A batch holds 1 to 100 events; this one is empty.');
  if (inputs.length > MAX_EVENTS_PER_REQUEST) {
    throw new ValidationError(`A batch holds at most ${MAX_EVENTS_PER_REQUEST} events; this one has ${inputs.length}.`);
  }

  const events: TrackerEvent[] = [];
  const errors: FieldError[] = [];
  inputs.forEach((input, index) => {
    const result = validateEvent(input, index);
    if (result.ok) events.push(result.event);
    else errors.push(...result.errors);
  });
  if (errors.length > 0) {
    throw new ValidationError(`${new Set(errors.map((e) => e.index)).size} of ${inputs.length} events are invalid; nothing was stored.`, errors);
  }
  return events;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new ValidationError(`The body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Binary mode: attributes from `ce-*` headers (percent-decoded), `data` from the body; the body's
 * `Content-Type` becomes `datacontenttype`, as the HTTP binding says (ingest treats an absent one as
 * `application/json`, so the same event posted structured or binary is the same content).
 */
function fromBinary(headers: Headers, data: unknown): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  headers.forEach((value, name) => {
    if (!name.startsWith('ce-')) return;
    try {
      event[name.slice(3)] = decodeURIComponent(value);
    } catch {
      throw new ValidationError(`Header ${name} is not validly percent-encoded.`, [{ index: 0, path: name.slice(3), message: 'invalid percent-encoding' }]);
    }
  });
  event.data = data;
  return event;
}
