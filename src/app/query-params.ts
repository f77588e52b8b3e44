/**
 * Query parameters of the read routes, validated with zod: unknown parameters and malformed times,
 * limits or cursors are a 400 naming the parameter.
 */
import * as z from 'zod';
import { DateTime, EVENT_TYPES, EntityId, type EventType } from '../domain/event-schema.ts';
import type { FoldFilter } from '../domain/status.ts';
import { parseInstant } from '../domain/time.ts';
import { ValidationError } from '../errors.ts';

const TimeTravel = { asOf: DateTime.optional(), knownAt: DateTime.optional() };

/**
 * An opaque cursor: base64url of a small JSON payload checked by `payload`. `schema` decodes a
 * query value (400 "is not a cursor this API returned" when it is not one), `encode` makes one.
 */
export function opaqueCursor<P extends z.ZodType>(payload: P, maxLength = 512) {
  return {
    encode: (value: z.input<P>) => Buffer.from(JSON.stringify(value)).toString('base64url'),
    schema: z
      .string()
      .max(maxLength)
      .transform((text, ctx) => {
        let decoded: unknown;
        try {
          decoded = JSON.parse(Buffer.from(text, 'base64url').toString());
        } catch {
          decoded = undefined;
        }
        const parsed = payload.safeParse(decoded);
        if (parsed.success) return parsed.data as z.output<P>;
        ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
        return z.NEVER;
      }),
  };
}

/** History cursor: `{"s": sequence}`. */
const historyCursor = opaqueCursor(z.object({ s: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).transform((v) => v.s), 64);
export const encodeCursor = (sequence: number) => historyCursor.encode({ s: sequence });
const Cursor = historyCursor.schema;

/** Feed cursor: `{"b": hour bucket, "k": last key}`. */
const feedCursor = opaqueCursor(
  z.object({ b: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d$/), k: z.string().max(300) }).transform((v) => ({ bucket: v.b, key: v.k })),
);
export const encodeFeedCursor = (p: { bucket: string; key: string }) => feedCursor.encode({ b: p.bucket, k: p.key });
export const FeedCursor = feedCursor.schema;

export const querySchemas = {
  status: z.strictObject(TimeTravel),
  mous: z.strictObject({ ...TimeTravel, party: EntityId.optional() }),
  history: z.strictObject({
    after: Cursor.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]).optional(),
  }),
  feed: z.strictObject({
    after: FeedCursor.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
  }),
  stream: z.strictObject({ after: FeedCursor.optional() }),
} as const;

export function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, string>): z.infer<S> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  throw new ValidationError(
    'Invalid query parameters.',
    parsed.error.issues.map((issue) => ({
      index: 0,
      path: issue.path.length ? issue.path.map(String).join('.') : (issue as { keys?: string[] }).keys?.join(',') ?? '',
      message: issue.message,
    })),
  );
}

export function foldFilterOf(q: { asOf?: string; knownAt?: string }): FoldFilter {
  return {
    ...(q.asOf ? { asOf: parseInstant(q.asOf)! } : {}),
    ...(q.knownAt ? { knownAt: parseInstant(q.knownAt)! } : {}),
  };
}

export const PathId = EntityId;
