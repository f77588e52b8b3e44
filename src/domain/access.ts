/**
 * Who may do what (CONTRACT §5), as plain functions: key format, scope patterns, and the check of a
 * request's events against a reporter key's scopes.
 */
import * as z from 'zod';
import type { FieldError, TrackerEvent } from './event-schema.ts';

export const ROLES = ['reporter', 'subscriber', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Exact value or a trailing `*` (`recipients/*`, `delivery.*`, `*`). */
export const ScopePattern = z.string().min(1).max(256).regex(/^[^*]*\*?$/, 'exact value, or a prefix ending in a single trailing *');

export const NewKeyRequest = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
  sources: z.array(ScopePattern).max(50).default([]),
  subjects: z.array(ScopePattern).max(50).default([]),
  types: z.array(ScopePattern).max(50).default([]),
  /** Requests a minute; default by role. */
  rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
});
export type NewKeyRequest = z.infer<typeof NewKeyRequest>;

export interface ApiKeyRecord {
  id: string;
  name: string;
  role: Role;
  sources: string[];
  subjects: string[];
  types: string[];
  rateLimitPerMinute: number;
  /** SHA-256 (hex) of the whole key; the key itself is never stored. */
  hash: string;
  createdAt: string;
  revokedAt: string | null;
}

/** What the API returns about a key: never its hash. */
export type ApiKeyView = Omit<ApiKeyRecord, 'hash'>;
export const viewOf = ({ hash: _hash, ...view }: ApiKeyRecord): ApiKeyView => view;

export const DEFAULT_RATE_PER_MINUTE: Record<Role, number> = { reporter: 1200, subscriber: 600, admin: 6000 };

/** `trk_{12 hex id}_{43 base64url secret}`. */
const KEY_FORMAT = /^trk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export function parseKey(key: string): { id: string } | undefined {
  const m = KEY_FORMAT.exec(key);
  return m ? { id: m[1]! } : undefined;
}

export function formatKey(id: string, secret: string): string {
  return `trk_${id}_${secret}`;
}

export function matchesPattern(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value;
}

export const matchesAny = (patterns: readonly string[], value: string) => patterns.some((p) => matchesPattern(p, value));

/** The caller of a request: the deployment's admin key, an API key, or nobody. */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'key'; key: ApiKeyRecord }
  | { kind: 'anonymous' };

export function roleOf(principal: Principal): Role | undefined {
  return principal.kind === 'admin' ? 'admin' : principal.kind === 'key' ? principal.key.role : undefined;
}

/** Scope errors of a reporter posting these events (empty when every event is allowed). */
export function scopeErrors(principal: Principal, events: readonly TrackerEvent[]): FieldError[] {
  if (principal.kind !== 'key' || principal.key.role === 'admin') return [];
  const { sources, subjects, types } = principal.key;
  return events.flatMap((event, index) => [
    ...(matchesAny(sources, event.source) ? [] : [{ index, path: 'source', message: `this key may not post for source ${event.source}` }]),
    ...(matchesAny(subjects, event.subject) ? [] : [{ index, path: 'subject', message: `this key may not post about ${event.subject}` }]),
    ...(matchesAny(types, event.type) ? [] : [{ index, path: 'type', message: `this key may not post ${event.type} events` }]),
  ]);
}
