/**
 * The HTTP API (Hono). Built by a factory from its dependencies, so tests call `app.request(...)`
 * with no server and no Lambda, and the local server and the Lambda adapter serve the same app.
 */
import { createHash } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { EntityId } from '../domain/event-schema.ts';
import { NotFoundError, PayloadTooLargeError, ServiceUnavailableError, ValidationError } from '../errors.ts';
import type { Ingest } from '../services/ingest.ts';
import type { Queries } from '../services/queries.ts';
import { MAX_BODY_BYTES, readCloudEvents } from './cloudevents-http.ts';
import { problemResponse } from './problem.ts';
import { encodeCursor, foldFilterOf, parseQuery, querySchemas } from './query-params.ts';

export interface AppDeps {
  ingest: Ingest;
  queries: Queries;
  /** Whether every part (tables, queues, consumers) is ready. */
  ready?: () => boolean | Promise<boolean>;
  onUnexpectedError?: (error: unknown, c: Context) => void;
}

export function createApp(deps: AppDeps) {
  const app = new Hono();

  app.onError((error, c) => {
    if (!(error instanceof Error && 'status' in error && 'slug' in error)) deps.onUnexpectedError?.(error, c);
    return problemResponse(c, error);
  });
  app.notFound(() => {
    throw new NotFoundError('No such route.');
  });

  app.get('/healthz', async (c) => {
    if (deps.ready && !(await deps.ready())) throw new ServiceUnavailableError('The tracker is starting.');
    return c.json({ status: 'ok' });
  });

  app.post(
    '/v1/events',
    bodyLimit({ maxSize: MAX_BODY_BYTES, onError: () => { throw new PayloadTooLargeError(MAX_BODY_BYTES); } }),
    async (c) => {
      const events = readCloudEvents(c.req.header('content-type'), c.req.raw.headers, await c.req.text());
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

  return app;
}

function pathId(value: string): string {
  if (!EntityId.safeParse(value).success) {
    throw new ValidationError('Invalid id in the path.', [{ index: 0, path: 'id', message: 'must match ^[a-z0-9][a-z0-9-]{1,63}$' }]);
  }
  return value;
}

/** JSON with a strong ETag of its bytes; `If-None-Match` with that tag (or `*`) gives 304. */
function cached(c: Context, body: unknown): Response {
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
