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

/** Opaque history cursor: base64url of `{"s": sequence}`. */
export const encodeCursor = (sequence: number) => Buffer.from(JSON.stringify({ s: sequence })).toString('base64url');

const Cursor = z
  .string()
  .max(64)
  .transform((text, ctx) => {
    try {
      const { s } = JSON.parse(Buffer.from(text, 'base64url').toString()) as { s: unknown };
      if (Number.isSafeInteger(s) && (s as number) >= 0) return s as number;
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
    return z.NEVER;
  });

/** Opaque feed cursor: base64url of `{"b": hour bucket, "k": last key}`. */
export const encodeFeedCursor = (p: { bucket: string; key: string }) =>
  Buffer.from(JSON.stringify({ b: p.bucket, k: p.key })).toString('base64url');

export const FeedCursor = z
  .string()
  .max(512)
  .transform((text, ctx) => {
    try {
      const { b, k } = JSON.parse(Buffer.from(text, 'base64url').toString()) as { b: unknown; k: unknown };
      if (typeof b === 'string' && /^\d{4}-\d\d-\d\dT\d\d$/.test(b) && typeof k === 'string' && k.length <= 300) return { bucket: b, key: k };
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
    return z.NEVER;
  });

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
