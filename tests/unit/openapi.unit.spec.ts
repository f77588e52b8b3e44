/**
 * The generated OpenAPI document: valid for Redocly's recommended rules, complete (every route of
 * the app, and no route it doesn't have), served at /openapi.json and rendered at /docs under a
 * CSP without scripts; its request schemas accept and refuse what the routes do.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type AppDeps, createApp } from '../../src/app/app.ts';
import { openApiDocument } from '../../src/app/openapi.ts';
import { querySchemas } from '../../src/app/query-params.ts';
import { NewKeyRequest } from '../../src/domain/access.ts';
import { openApiValidator } from '../support/openapi-validator.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** The app's routes as `METHOD /path/{param}`, middleware left out. */
function appRoutes(): string[] {
  const app = createApp({} as AppDeps);
  const routes = app.routes
    .filter((r) => METHODS.includes(r.method.toLowerCase()))
    .map((r) => `${r.method.toUpperCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
  return [...new Set(routes)].sort();
}

function documentedRoutes(): string[] {
  return Object.entries(openApiDocument().paths)
    .flatMap(([path, item]) => Object.keys(item).filter((m) => METHODS.includes(m)).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

describe('OpenAPI document', () => {
  it('documents every route of the app, and only those', () => {
    const routes = appRoutes();
    expect(routes.length).toBeGreaterThan(20);
    expect(documentedRoutes()).toEqual(routes);
  });

  it('passes redocly lint (recommended rules) with no error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(openApiDocument(), null, 2));
      const cli = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
      const run = await promisify(execFile)(process.execPath, [cli, 'lint', file, '--format=json'], {
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        maxBuffer: 16 * 1024 * 1024,
      }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
      const report = JSON.parse(run.stdout) as { totals: { errors: number }; problems: { severity: string; ruleId: string; message: string; location: { pointer: string }[] }[] };
      const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
      expect(errors).toEqual([]);
      expect(report.totals.errors).toBe(0);
      // Only expected warnings: no license (the project has none) and routes that answer no 4xx.
      expect(new Set(report.problems.map((p) => p.ruleId))).toEqual(new Set(['info-license', 'operation-4xx-response']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('is OpenAPI 3.1 with the bearer scheme, public reads and keyed writes', () => {
    const doc = openApiDocument();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
    expect(doc.paths['/v1/recipients']!.get!.security).toEqual([{}, { bearer: [] }]);
    expect(doc.paths['/v1/events']!.post!.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/keys']!.post!.security).toEqual([{ bearer: [] }]);
  });

  it('takes the query parameters the routes validate with, from the same schemas', () => {
    const names = (path: string) => ((openApiDocument().paths[path]!.get!.parameters ?? []) as { name: string; in: string }[])
      .filter((p) => p.in === 'query').map((p) => p.name).sort();
    expect(names('/v1/recipients')).toEqual(Object.keys(querySchemas.status.shape).sort());
    expect(names('/v1/mous')).toEqual(Object.keys(querySchemas.mous.shape).sort());
    expect(names('/v1/recipients/{id}/events')).toEqual(Object.keys(querySchemas.history.shape).sort());
    expect(names('/v1/feed')).toEqual(Object.keys(querySchemas.feed.shape).sort());
    expect(names('/v1/stream')).toEqual(Object.keys(querySchemas.stream.shape).sort());
  });

  it('documents binary mode: ce-* headers and the three encodings of POST /v1/events', () => {
    const op = openApiDocument().paths['/v1/events']!.post! as { parameters: { name: string; in: string }[]; requestBody: { content: object }; responses: object };
    expect(op.parameters.filter((p) => p.in === 'header').map((p) => p.name)).toEqual(['ce-specversion', 'ce-id', 'ce-source', 'ce-type', 'ce-subject', 'ce-time']);
    expect(Object.keys(op.requestBody.content).sort()).toEqual(['application/cloudevents+json', 'application/cloudevents-batch+json', 'application/json']);
    expect(Object.keys(op.responses).sort()).toEqual(['202', '400', '401', '403', '409', '413', '415', '429', '500', '503']);
  });

  it('describes the webhook notification with the Standard Webhooks headers', () => {
    const hook = (openApiDocument().webhooks as Record<string, { post: { parameters: { name: string }[] } }>).notification!.post;
    expect(hook.parameters.map((p) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  });

  it('request schemas accept the sample events and refuse what the API refuses', () => {
    const validate = openApiValidator().component;
    const samples = readdirSync(join(ROOT, 'events', 'samples'))
      .map((n) => JSON.parse(readFileSync(join(ROOT, 'events', 'samples', n), 'utf8')) as Record<string, unknown>)
      .filter((e) => e.specversion);
    expect(samples.length).toBe(8);
    for (const event of samples) {
      expect(validate('CloudEvent', event)).toBeNull();
      expect(validate(`${String(event.type).split(/[.-]/).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}Data`, event.data)).toBeNull();
    }
    expect(validate('CloudEventBatch', samples)).toBeNull();
    expect(validate('CloudEventBatch', [])).not.toBeNull();
    expect(validate('CloudEvent', { ...samples[0], data: { ...(samples[0]!.data as object), extra: 1 } })).not.toBeNull();
    const key = { name: 'MSIT reporter', role: 'reporter', sources: ['/agencies/msit'] };
    expect(NewKeyRequest.safeParse(key).success).toBe(true);
    expect(validate('NewKeyRequest', key)).toBeNull();
    expect(NewKeyRequest.safeParse({ ...key, role: 'root' }).success).toBe(false);
    expect(validate('NewKeyRequest', { ...key, role: 'root' })).not.toBeNull();
  });
});

describe('GET /openapi.json and GET /docs', () => {
  const app = createApp({} as AppDeps);

  it('serves the document as JSON', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('renders every operation, the webhook and every schema as HTML with no script, under a CSP that allows none', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    const html = await res.text();
    expect(html).not.toMatch(/<script|\son[a-z]+=|style="/i);
    for (const item of Object.values(openApiDocument().paths)) {
      for (const op of Object.values(item)) expect(html).toContain(`id="op-${op.operationId as string}"`);
    }
    expect(html).toContain('id="webhook-notification"');
    for (const name of Object.keys(openApiDocument().components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    const css = /href="(\/docs\/styles\.css\?v=[^"]+)"/.exec(html)![1]!;
    const style = await app.request(css);
    expect(style.status).toBe(200);
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);
    expect(style.headers.get('cache-control')).toContain('immutable');
  });
});
