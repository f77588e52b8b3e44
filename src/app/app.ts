/**
 * The HTTP API (Hono). Built by a factory from its dependencies, so tests call `app.request(...)`
 * with no server and no Lambda, and the local server and the Lambda adapter serve the same app.
 */
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import { NewKeyRequest, type Principal, type Role, roleOf, scopeErrors } from '../domain/access.ts';
import { EntityId } from '../domain/event-schema.ts';
import {
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  TrackerError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.ts';
import type { Access } from '../services/access.ts';
import type { Ingest } from '../services/ingest.ts';
import type { Queries } from '../services/queries.ts';
import { mountApiDocs } from './api-docs.ts';
import { MAX_BODY_BYTES, mediaTypeOf, readCloudEvents } from './cloudevents-http.ts';
import { mountDashboard } from './dashboard/routes.ts';
import { type FeedRouteDeps, mountFeedRoutes } from './feed-routes.ts';
import { problemResponse } from './problem.ts';
import { type SubscriptionRouteDeps, mountSubscriptionRoutes } from './subscription-routes.ts';
import { encodeCursor, foldFilterOf, parseQuery, querySchemas } from './query-params.ts';

export interface AppDeps extends FeedRouteDeps, SubscriptionRouteDeps {
  ingest: Ingest;
  queries: Queries;
  access: Access;
  /** Reads need a key too (a private deployment); by default they are public. */
  readsRequireKey?: boolean;
  /** Whether every part (tables, queues, consumers) is ready. */
  ready?: () => boolean | Promise<boolean>;
  onUnexpectedError?: (error: unknown, c: Context) => void;
  /** Every refused request (a 4xx problem), e.g. to count rejected events. */
  onRefused?: (error: TrackerError, c: Context) => void;
}

type Env = { Variables: { principal: Principal } };

/** Bodies of the small JSON routes (keys, subscriptions). */
const MAX_SMALL_BODY_BYTES = 16 * 1024;

/** The API and its pages (dashboard, docs): what every host serves but the stream function. */
export function createApp(deps: AppDeps) {
  const app = createApiRoutes(deps);
  mountApiDocs(app);
  mountDashboard(app);
  return app;
}

/**
 * The API alone: `/healthz` and `/v1`, no pages — for the stream function, whose bundle then
 * leaves the pages out.
 */
export function createApiRoutes(deps: AppDeps) {
  const app = new Hono<Env>();

  app.onError((error, c) => {
    if (error instanceof TrackerError) {
      if (error.status < 500) deps.onRefused?.(error, c);
    } else deps.onUnexpectedError?.(error, c);
    return problemResponse(c, error);
  });
  app.notFound(() => {
    throw new NotFoundError('No such route.');
  });

  app.use('*', secureHeaders({ crossOriginResourcePolicy: 'cross-origin' }));
  // Reads may be called from any origin; writes only from non-browser clients (no CORS grant).
  app.use('/v1/*', cors({ origin: '*', allowMethods: ['GET', 'HEAD'], exposeHeaders: ['ETag', 'Retry-After'] }));

  app.get('/healthz', async (c) => {
    if (deps.ready && !(await deps.ready())) throw new ServiceUnavailableError('The tracker is starting.');
    return c.json({ status: 'ok' });
  });

  // Every /v1 request: who is calling (401 for a bad key), then the caller's rate limit (429).
  app.use('/v1/*', async (c, next) => {
    const principal = await deps.access.authenticate(c.req.header('authorization'));
    c.set('principal', principal);
    await deps.access.limit(principal);
    if (c.req.method === 'GET' && deps.readsRequireKey && principal.kind === 'anonymous') {
      throw new UnauthorizedError('This deployment requires a key for reads.');
    }
    await next();
  });

  app.post(
    '/v1/events',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new PayloadTooLargeError(MAX_BODY_BYTES); } }),
    async (c) => {
      requireRole(c, 'reporter', 'admin');
      const events = readCloudEvents(c.req.header('content-type'), c.req.raw.headers, await c.req.text());
      const denied = scopeErrors(c.get('principal'), events);
      if (denied.length > 0) throw new ForbiddenError('This key may not post some of these events; nothing was stored.', denied);
      const results = await deps.ingest(events);
      return c.json({ results }, results.some((r) => r.status === 'conflict') ? 409 : 202);
    },
  );

  app.get('/v1/recipients', async (c) => {
    const q = parseQuery(querySchemas.status, c.req.query());
    return cached(c, { items: await deps.queries.recipients(foldFilterOf(q)) });
  });

  app.get('/v1/recipients/:id', async (c) => {
    const q = parseQuery(querySchemas.status, c.req.query());
    return cached(c, await deps.queries.recipient(pathId(c.req.param('id')), foldFilterOf(q)));
  });

  app.get('/v1/recipients/:id/events', async (c) => {
    const q = parseQuery(querySchemas.history, c.req.query());
    const page = await deps.queries.history(pathId(c.req.param('id')), {
      after: q.after ?? 0, limit: q.limit, ...(q.type ? { type: q.type } : {}),
    });
    return c.json({ items: page.items, next: page.next === null ? null : encodeCursor(page.next) });
  });

  app.get('/v1/summary', async (c) => {
    const q = parseQuery(querySchemas.status, c.req.query());
    return cached(c, await deps.queries.summary(foldFilterOf(q)));
  });

  app.get('/v1/programs/:programId', async (c) => {
    const q = parseQuery(querySchemas.status, c.req.query());
    return cached(c, await deps.queries.program(pathId(c.req.param('programId')), foldFilterOf(q)));
  });

  app.get('/v1/mous', async (c) => {
    const q = parseQuery(querySchemas.mous, c.req.query());
    return cached(c, { items: await deps.queries.mous(q.party, foldFilterOf(q)) });
  });

  app.get('/v1/mous/:id', async (c) => {
    const q = parseQuery(querySchemas.status, c.req.query());
    return cached(c, await deps.queries.mou(pathId(c.req.param('id')), foldFilterOf(q)));
  });

  mountFeedRoutes(app, deps);

  const smallBody = bodyLimit({ maxSize: MAX_SMALL_BODY_BYTES, onError: () => { throw new PayloadTooLargeError(MAX_SMALL_BODY_BYTES); } });

  app.post('/v1/keys', smallBody, async (c) => {
    requireRole(c, 'admin');
    const request = await parseBody(NewKeyRequest, c);
    return c.json(await deps.access.createKey(request), 201);
  });

  app.get('/v1/keys', async (c) => {
    requireRole(c, 'admin');
    return c.json({ items: await deps.access.listKeys() });
  });

  app.delete('/v1/keys/:id', async (c) => {
    requireRole(c, 'admin');
    const id = c.req.param('id');
    if (!/^[0-9a-f]{12}$/.test(id)) throw new NotFoundError(`No key '${id.slice(0, 64)}'.`);
    return c.json(await deps.access.revokeKey(id));
  });

  mountSubscriptionRoutes(app, deps, { requireRole, parseBody, smallBody });
  return app;
}

/** 401 without a key, 403 with a key of another role. */
function requireRole(c: Context<Env>, ...roles: Role[]): void {
  const role = roleOf(c.get('principal'));
  if (!role) throw new UnauthorizedError('This route needs a key: Authorization: Bearer <key>.');
  if (!roles.includes(role)) throw new ForbiddenError(`This route needs a key with role ${roles.join(' or ')}; this key is a ${role} key.`);
}

/** A small JSON body validated with its schema: 415 unless it is `application/json`, 400 naming each bad field. */
async function parseBody<S extends z.ZodType>(schema: S, c: Context<Env>): Promise<z.infer<S>> {
  const media = mediaTypeOf(c.req.header('content-type'));
  if (media !== 'application/json') throw new UnsupportedMediaTypeError(`Content-Type must be application/json; got '${media || 'none'}'.`);
  let json: unknown;
  try {
    json = JSON.parse(await c.req.text());
  } catch (error) {
    throw new ValidationError(`The body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new ValidationError('Invalid request body.', parsed.error.issues.map((issue) => ({
    index: 0, path: issue.path.map(String).join('.'), message: issue.message,
  })));
}

function pathId(value: string): string {
  if (!EntityId.safeParse(value).success) {
    throw new ValidationError('Invalid id in the path.', [{ index: 0, path: 'id', message: 'must match ^[a-z0-9][a-z0-9-]{1,63}$' }]);
  }
  return value;
}

/** JSON with a strong ETag of its bytes; `If-None-Match` with that tag (or `*`) gives 304. */
function cached(c: Context<Env>, body: unknown): Response {
  const text = JSON.stringify(body);
  const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
  const inm = c.req.header('if-none-match');
  const headers = { etag, 'cache-control': 'no-cache', 'content-type': 'application/json' };
  if (inm && (inm.trim() === '*' || inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) {
    return new Response(null, { status: 304, headers: { etag, 'cache-control': 'no-cache' } });
  }
  return new Response(text, { status: 200, headers });
}

export type App = ReturnType<typeof createApp>;
