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
import { opaqueCursor, parseQuery } from './query-params.ts';

type Env = { Variables: { principal: Principal } };

export interface SubscriptionRouteDeps {
  subscriptions: Subscriptions;
}

/** The app's own checks, handed in so that this module does not import the app. */
export interface RouteHelpers {
  requireRole: (c: Context<Env>, ...roles: Role[]) => void;
  parseBody: <S extends z.ZodType>(schema: S, c: Context<Env>) => Promise<z.infer<S>>;
  smallBody: MiddlewareHandler;
}

/** Delivery-log cursor: `{"k": sort key}`. */
const deliveryCursor = opaqueCursor(z.object({ k: z.string().min(1).max(200) }).transform((v) => v.k), 400);
const encodeDeliveryCursor = (key: string) => deliveryCursor.encode({ k: key });
const DeliveryCursor = deliveryCursor.schema;
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
    const request = await parseBody(NewSubscriptionRequest, c);
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
    const { since } = await parseBody(ReplayRequest, c);
    return c.json(await deps.subscriptions.replay(caller, c.req.param('id'), since), 202);
  });
}
