/**
 * `/v1/subscriptions` (CONTRACT §6): create (the secret is shown once), list, read, delete, the
 * delivery log (newest first, opaque cursor) and replay. Subscriber or admin keys only; another
 * key's subscription is a 404, as if it did not exist.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import * as z from 'zod';
import type { Principal, Role } from '../domain/access.ts';
import { NewSubscriptionRequest, ReplayRequest } from '../domain/webhooks.ts';
import type { Caller, Subscriptions } from '../services/subscriptions.ts';
import { parseQuery } from './query-params.ts';

type Env = { Variables: { principal: Principal } };

export interface SubscriptionRouteDeps {
  subscriptions: Subscriptions;
}

/** The app's own checks, handed in so that this module does not import the app. */
export interface RouteHelpers {
  requireRole: (c: Context<Env>, ...roles: Role[]) => void;
  parseBody: <S extends z.ZodType>(schema: S, text: string) => z.infer<S>;
  smallBody: MiddlewareHandler;
}

/** Opaque delivery-log cursor: base64url of `{"k": sort key}`. */
const encodeDeliveryCursor = (key: string) => Buffer.from(JSON.stringify({ k: key })).toString('base64url');
const DeliveryCursor = z
  .string()
  .max(400)
  .transform((text, ctx) => {
    try {
      const { k } = JSON.parse(Buffer.from(text, 'base64url').toString()) as { k: unknown };
      if (typeof k === 'string' && k.length > 0 && k.length <= 200) return k;
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
    return z.NEVER;
  });
/** Query of the delivery log (exported for the OpenAPI document). */
export const DeliveriesQuery = z.strictObject({
  after: DeliveryCursor.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export function mountSubscriptionRoutes(app: Hono<Env>, deps: SubscriptionRouteDeps, helpers: RouteHelpers): void {
  const { requireRole, parseBody, smallBody } = helpers;
  const callerOf = (c: Context<Env>): Caller => {
    requireRole(c, 'subscriber', 'admin');
    const principal = c.get('principal');
    return principal.kind === 'key'
      ? { owner: principal.key.id, admin: principal.key.role === 'admin' }
      : { owner: 'admin', admin: true };
  };

  app.post('/v1/subscriptions', smallBody, async (c) => {
    const caller = callerOf(c);
    const request = parseBody(NewSubscriptionRequest, await c.req.text());
    return c.json(await deps.subscriptions.create(caller, request), 201);
  });

  app.get('/v1/subscriptions', async (c) => {
    const caller = callerOf(c);
    parseQuery(z.strictObject({}), c.req.query());
    return c.json({ items: await deps.subscriptions.list(caller) });
  });

  app.get('/v1/subscriptions/:id', async (c) => c.json(await deps.subscriptions.get(callerOf(c), c.req.param('id'))));

  app.delete('/v1/subscriptions/:id', async (c) => c.json(await deps.subscriptions.remove(callerOf(c), c.req.param('id'))));

  app.get('/v1/subscriptions/:id/deliveries', async (c) => {
    const caller = callerOf(c);
    const q = parseQuery(DeliveriesQuery, c.req.query());
    const page = await deps.subscriptions.deliveries(caller, c.req.param('id'), { limit: q.limit, ...(q.after ? { before: q.after } : {}) });
    return c.json({ items: page.items, next: page.next === null ? null : encodeDeliveryCursor(page.next) });
  });

  app.post('/v1/subscriptions/:id/replay', smallBody, async (c) => {
    const caller = callerOf(c);
    const { since } = parseBody(ReplayRequest, await c.req.text());
    return c.json(await deps.subscriptions.replay(caller, c.req.param('id'), since), 202);
  });
}
