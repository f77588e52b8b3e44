/**
 * Mounts the public dashboard on the app: `GET /`, `GET /recipients/:id` and `GET /assets/*`.
 * HTML goes out with a strict Content-Security-Policy (scripts and styles only from /assets); the
 * page reads the same public /v1 API as everyone else.
 *
 * The pages and assets (the client script, styles and labels, hashed) are imported on the first
 * request for one of them, not when the app is built: a Lambda cold start that serves `/v1`
 * never builds them.
 */
import type { Context, Env, Hono } from 'hono';
import { EntityId } from '../../domain/event-schema.ts';
import { NotFoundError } from '../../errors.ts';
import type { View } from './page.ts';

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

let modules: Promise<[typeof import('./assets.ts'), typeof import('./page.ts')]> | undefined;

/** The assets and the page renderer, imported once; a failed import is retried next time. */
function load() {
  modules ??= Promise.all([import('./assets.ts'), import('./page.ts')]);
  modules.catch(() => {
    modules = undefined;
  });
  return modules;
}

export function mountDashboard<E extends Env>(app: Hono<E>): void {
  app.get('/', (c) => page(c, { kind: 'overview' }));

  app.get('/recipients/:id', (c) => {
    const id = c.req.param('id');
    if (!EntityId.safeParse(id).success) throw new NotFoundError('No such page.');
    return page(c, { kind: 'recipient', recipientId: id });
  });

  app.get('/assets/:name', async (c) => {
    const name = c.req.param('name');
    const [{ ASSETS }] = await load();
    const found = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!found) throw new NotFoundError(`No asset '${name.slice(0, 64)}'.`);
    const etag = `"${found.hash}"`;
    const headers = {
      etag,
      // The versioned URL never changes content; a bare one is revalidated.
      'cache-control': c.req.query('v') === found.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (c.req.header('if-none-match')?.split(',').some((tag) => tag.trim() === etag)) {
      return new Response(null, { status: 304, headers });
    }
    return new Response(found.body, { status: 200, headers: { ...headers, 'content-type': found.contentType } });
  });
}

async function page(c: Context, view: View): Promise<Response> {
  const [{ assetUrl }, { dashboardHtml }] = await load();
  return c.body(dashboardHtml(view, assetUrl), 200, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': DASHBOARD_CSP,
    'cache-control': 'no-cache',
  });
}
