/**
 * Mounts the API's own description: `GET /openapi.json` (the generated OpenAPI 3.1 document),
 * `GET /docs` (it, rendered as HTML on the server) and `GET /docs/styles.css`. The page carries no
 * script, so its Content-Security-Policy allows none.
 */
import { createHash } from 'node:crypto';
import type { Env, Hono } from 'hono';
import { DOCS_CSS, docsHtml } from './docs-page.ts';
import { openApiDocument } from './openapi.ts';

export const DOCS_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const cssHash = createHash('sha256').update(DOCS_CSS).digest('base64url').slice(0, 16);

export function mountApiDocs<E extends Env>(app: Hono<E>): void {
  let json: string | undefined;
  let html: string | undefined;

  app.get('/openapi.json', (c) => {
    json ??= JSON.stringify(openApiDocument());
    return c.body(json, 200, { 'content-type': 'application/json', 'cache-control': 'no-cache', 'access-control-allow-origin': '*' });
  });

  app.get('/docs', (c) => {
    html ??= docsHtml(openApiDocument(), `/docs/styles.css?v=${cssHash}`);
    return c.body(html, 200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': DOCS_CSP, 'cache-control': 'no-cache' });
  });

  app.get('/docs/styles.css', (c) =>
    c.body(DOCS_CSS, 200, {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': c.req.query('v') === cssHash ? 'public, max-age=31536000, immutable' : 'no-cache',
    }),
  );
}
