/**
 * Mounts the API's own description: `GET /openapi.json` (the generated OpenAPI 3.1 document),
 * `GET /docs` (it, rendered as HTML on the server) and `GET /docs/styles.css`. The page carries no
 * script, so its Content-Security-Policy allows none.
 *
 * The document, its schemas and the page renderer are imported on the first request for one of
 * these routes, not when the app is built: a Lambda cold start that serves `/v1` never builds them.
 */
import { createHash } from 'node:crypto';
import type { Env, Hono } from 'hono';

export const DOCS_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Docs {
  css: string;
  cssHash: string;
  /** The document as served at /openapi.json; built on first use. */
  json(): string;
  /** The /docs page; built on first use. */
  html(): string;
}

let docs: Promise<Docs> | undefined;

/** The renderer and the document's module, imported once; a failed import is retried next time. */
function loadDocs(): Promise<Docs> {
  docs ??= Promise.all([import('./docs-page.ts'), import('./openapi.ts')]).then(([{ DOCS_CSS, docsHtml }, { openApiDocument }]) => {
    const cssHash = createHash('sha256').update(DOCS_CSS).digest('base64url').slice(0, 16);
    let json: string | undefined;
    let html: string | undefined;
    return {
      css: DOCS_CSS,
      cssHash,
      json: () => (json ??= JSON.stringify(openApiDocument())),
      html: () => (html ??= docsHtml(openApiDocument(), `/docs/styles.css?v=${cssHash}`)),
    };
  });
  docs.catch(() => {
    docs = undefined;
  });
  return docs;
}

export function mountApiDocs<E extends Env>(app: Hono<E>): void {
  app.get('/openapi.json', async (c) => {
    const json = (await loadDocs()).json();
    return c.body(json, 200, { 'content-type': 'application/json', 'cache-control': 'no-cache', 'access-control-allow-origin': '*' });
  });

  app.get('/docs', async (c) => {
    const html = (await loadDocs()).html();
    return c.body(html, 200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': DOCS_CSP, 'cache-control': 'no-cache' });
  });

  app.get('/docs/styles.css', async (c) => {
    const { css, cssHash } = await loadDocs();
    return c.body(css, 200, {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': c.req.query('v') === cssHash ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  });
}
