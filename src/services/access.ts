/**
 * Authentication, key management and per-key rate limits (CONTRACT §5).
 *
 * Keys look like `trk_{id}_{secret}`; the id finds the record, the SHA-256 of the whole key must
 * match its stored hash (compared in constant time). Records are cached per process for
 * `cacheSeconds`, so a revocation takes effect everywhere within that time. Rate limits count in
 * DynamoDB, one counter per key and minute, so they hold across Lambda instances.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type ApiKeyRecord,
  type ApiKeyView,
  DEFAULT_RATE_PER_MINUTE,
  type NewKeyRequest,
  type Principal,
  formatKey,
  parseKey,
  viewOf,
} from '../domain/access.ts';
import { NotFoundError, RateLimitedError, UnauthorizedError } from '../errors.ts';
import type { Clock, KeyStore, RateLimiter } from '../ports.ts';

export interface AccessDeps {
  keys: KeyStore;
  rateLimiter: RateLimiter;
  clock: Clock;
  /** The deployment's admin key (from the environment locally, a secret on AWS). */
  adminKey: () => Promise<string | undefined>;
  cacheSeconds?: number;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex'), y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createAccess(deps: AccessDeps) {
  const cacheMs = (deps.cacheSeconds ?? 5) * 1000;
  const cache = new Map<string, { record: ApiKeyRecord | undefined; until: number }>();

  async function lookup(id: string): Promise<ApiKeyRecord | undefined> {
    const now = deps.clock.now().getTime();
    const hit = cache.get(id);
    if (hit && hit.until > now) return hit.record;
    const record = await deps.keys.get(id);
    cache.set(id, { record, until: now + cacheMs });
    return record;
  }

  return {
    /** The principal of an `Authorization` header value; 401 for a malformed, unknown or revoked key. */
    async authenticate(header: string | undefined): Promise<Principal> {
      if (header === undefined) return { kind: 'anonymous' };
      const m = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
      if (!m) throw new UnauthorizedError('Authorization must be "Bearer <key>".');
      const presented = m[1]!;
      const admin = await deps.adminKey();
      if (admin && sameHash(sha256(presented), sha256(admin))) return { kind: 'admin' };
      const parsed = parseKey(presented);
      if (!parsed) throw new UnauthorizedError('The key is malformed.');
      const record = await lookup(parsed.id);
      if (!record || !sameHash(sha256(presented), record.hash)) throw new UnauthorizedError('The key is unknown.');
      if (record.revokedAt) throw new UnauthorizedError('The key has been revoked.');
      return { kind: 'key', key: record };
    },

    /** Counts a request against the key's per-minute limit; 429 with Retry-After beyond it. */
    async limit(principal: Principal): Promise<void> {
      if (principal.kind !== 'key') return;
      const nowMs = deps.clock.now().getTime();
      const windowStart = Math.floor(nowMs / 60_000) * 60;
      const count = await deps.rateLimiter.hit(principal.key.id, windowStart, windowStart + 120);
      if (count > principal.key.rateLimitPerMinute) {
        throw new RateLimitedError(Math.max(1, windowStart + 60 - Math.floor(nowMs / 1000)));
      }
    },

    async createKey(request: NewKeyRequest): Promise<ApiKeyView & { key: string }> {
      const id = randomBytes(6).toString('hex');
      const key = formatKey(id, randomBytes(32).toString('base64url'));
      const record: ApiKeyRecord = {
        id,
        name: request.name,
        role: request.role,
        sources: request.sources,
        subjects: request.subjects,
        types: request.types,
        rateLimitPerMinute: request.rateLimitPerMinute ?? DEFAULT_RATE_PER_MINUTE[request.role],
        hash: sha256(key),
        createdAt: deps.clock.now().toISOString(),
        revokedAt: null,
      };
      await deps.keys.create(record);
      return { ...viewOf(record), key };
    },

    async listKeys(): Promise<ApiKeyView[]> {
      return (await deps.keys.list()).map(viewOf).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    },

    async revokeKey(id: string): Promise<ApiKeyView> {
      const record = await deps.keys.revoke(id, deps.clock.now().toISOString());
      if (!record) throw new NotFoundError(`No key '${id}'.`);
      cache.delete(id);
      return viewOf(record);
    },
  };
}

export type Access = ReturnType<typeof createAccess>;
