/**
 * `GET /docs`: the OpenAPI document rendered on the server as one plain HTML page (operations by
 * tag, parameters, bodies, responses, the webhook and every schema as a property table). No
 * script at all and no renderer bundle: the page works under a CSP without `script-src`.
 */
import type { OpenApiDocument } from './openapi.ts';

type Json = Record<string, unknown>;

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The little Markdown the document's descriptions use: paragraphs, `- ` lists, `code`, **bold**. */
function markdown(text: string | undefined): string {
  if (!text) return '';
  const inline = (s: string) =>
    escape(s).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  return text
    .split(/\n{2,}/)
    .map((block) => {
      const lines = block.split('\n');
      if (lines[0]!.startsWith('- ')) {
        const items = block.split(/\n(?=- )/).map((item) => `<li>${inline(item.slice(2).replace(/\n\s*/g, ' '))}</li>`);
        return `<ul>${items.join('')}</ul>`;
      }
      return `<p>${inline(lines.join(' '))}</p>`;
    })
    .join('\n');
}

const refName = (ref: string) => ref.slice(ref.lastIndexOf('/') + 1);
const schemaLink = (name: string) => `<a href="#schema-${escape(name)}">${escape(name)}</a>`;

/** A schema's type in one line: `string`, `RecipientStatus[]`, `A | B | null`. */
function typeOf(schema: Json | undefined): string {
  if (!schema) return 'any';
  if (typeof schema.$ref === 'string') return schemaLink(refName(schema.$ref));
  const union = (schema.oneOf ?? schema.anyOf) as Json[] | undefined;
  if (union) return union.map(typeOf).join(' | ');
  if (schema.const !== undefined) return `<code>${escape(JSON.stringify(schema.const))}</code>`;
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => `<code>${escape(JSON.stringify(v))}</code>`).join(' | ');
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [schema.type as string] : [];
  return (types.length ? types : ['any'])
    .map((t) => {
      if (t === 'array') return `${typeOf(schema.items as Json)}[]`;
      if (t === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object' && !schema.properties) {
        return `map of ${typeOf(schema.additionalProperties as Json)}`;
      }
      return escape(t);
    })
    .join(' | ');
}

const SAFE = 9007199254740991;

/** Constraints worth reading: pattern, lengths, bounds, format, default. */
function constraintsOf(schema: Json | undefined): string {
  if (!schema) return '';
  const union = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
  if (union) return union.map(constraintsOf).filter(Boolean).join('; ');
  const parts: string[] = [];
  const add = (label: string, value: unknown) => parts.push(`${label} <code>${escape(String(value))}</code>`);
  if (schema.format) add('format', schema.format);
  if (schema.pattern) add('pattern', schema.pattern);
  if (schema.minLength !== undefined) add('min length', schema.minLength);
  if (schema.maxLength !== undefined) add('max length', schema.maxLength);
  if (schema.minimum !== undefined && Math.abs(schema.minimum as number) !== SAFE) add('≥', schema.minimum);
  if (schema.exclusiveMinimum !== undefined) add('>', schema.exclusiveMinimum);
  if (schema.maximum !== undefined && schema.maximum !== SAFE) add('≤', schema.maximum);
  if (schema.minItems !== undefined) add('min items', schema.minItems);
  if (schema.maxItems !== undefined) add('max items', schema.maxItems);
  if (schema.uniqueItems) parts.push('distinct');
  if (schema.default !== undefined) add('default', JSON.stringify(schema.default));
  const items = schema.items as Json | undefined;
  if (items && !items.$ref) {
    const inner = constraintsOf(items);
    if (inner) parts.push(`each: ${inner}`);
  }
  return parts.join(', ');
}

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '';
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function schemaSection(name: string, schema: Json): string {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows = Object.entries(props).map(([prop, s]) => [
    `<code>${escape(prop)}</code>${required.has(prop) ? '' : ' <span class="opt">optional</span>'}`,
    typeOf(s),
    [markdown(s.description as string | undefined), constraintsOf(s)].filter(Boolean).join(' '),
  ]);
  const extra: string[] = [];
  const names = (schema.propertyNames as { anyOf?: { pattern?: string }[] } | undefined)?.anyOf?.find((n) => n.pattern)?.pattern;
  if (names && typeof schema.additionalProperties === 'object') {
    extra.push(`<p>Extension attributes: names matching <code>${escape(names)}</code>, values ${typeOf(schema.additionalProperties as Json)}.</p>`);
  }
  if (schema.additionalProperties === false && Object.keys(props).length) extra.push('<p class="opt">No other properties.</p>');
  const shape = Object.keys(props).length ? '' : `<p>${typeOf(schema)} ${constraintsOf(schema)}</p>`;
  return `<section id="schema-${escape(name)}" class="schema"><h3>${escape(name)}</h3>${markdown(schema.description as string | undefined)}${shape}${table(['property', 'type', 'notes'], rows)}${extra.join('')}</section>`;
}

function contentRows(content: Record<string, Json> | undefined): string[][] {
  return Object.entries(content ?? {}).map(([type, c]) => [`<code>${escape(type)}</code>`, typeOf(c.schema as Json)]);
}

function operationSection(doc: OpenApiDocument, method: string, path: string, op: Json, anchor: string): string {
  const responses = doc.components.responses as Record<string, Json>;
  const params = ((op.parameters ?? []) as Json[]).map((p) => [
    `<code>${escape(p.name as string)}</code>${p.required ? '' : ' <span class="opt">optional</span>'}`,
    escape(p.in as string),
    typeOf(p.schema as Json),
    [markdown(p.description as string | undefined), constraintsOf(p.schema as Json)].filter(Boolean).join(' '),
  ]);
  const body = op.requestBody as Json | undefined;
  const rows = Object.entries(op.responses as Record<string, Json>).map(([status, r]) => {
    const response = typeof r.$ref === 'string' ? responses[refName(r.$ref)]! : r;
    const content = contentRows(response.content as Record<string, Json>).map(([t, s]) => `${t} ${s}`).join('<br>');
    return [`<code>${escape(status)}</code>`, markdown(response.description as string), content];
  });
  const security = (op.security ?? doc.security) as Json[];
  const access = security.length === 0 ? 'no key' : security.some((s) => Object.keys(s).length === 0) ? 'public (a key is optional)' : 'needs a key';
  return `<section id="${escape(anchor)}" class="op">
<h3><span class="method ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3>
<p class="summary">${escape((op.summary as string) ?? '')} <span class="opt">· ${access}</span></p>
${markdown(op.description as string | undefined)}
${params.length ? `<h4>Parameters</h4>${table(['name', 'in', 'type', 'notes'], params)}` : ''}
${body ? `<h4>Request body</h4>${table(['content type', 'schema'], contentRows(body.content as Record<string, Json>))}` : ''}
<h4>Responses</h4>${table(['status', 'meaning', 'body'], rows)}
</section>`;
}

export function docsHtml(doc: OpenApiDocument, stylesheetUrl: string): string {
  const info = doc.info as Json;
  const tags = (doc.tags ?? []) as { name: string; description?: string }[];
  const sections: string[] = [];
  const toc: string[] = [];
  for (const tag of tags) {
    const ops: string[] = [];
    const links: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!((op.tags ?? []) as string[]).includes(tag.name)) continue;
        const anchor = `op-${op.operationId as string}`;
        ops.push(operationSection(doc, method, path, op, anchor));
        links.push(`<li><a href="#${escape(anchor)}"><span class="method ${escape(method)}">${escape(method.toUpperCase())}</span> ${escape(path)}</a></li>`);
      }
    }
    if (ops.length === 0) continue;
    sections.push(`<section id="tag-${escape(tag.name)}"><h2>${escape(tag.name)}</h2>${markdown(tag.description)}${ops.join('\n')}</section>`);
    toc.push(`<li><a href="#tag-${escape(tag.name)}">${escape(tag.name)}</a><ul>${links.join('')}</ul></li>`);
  }
  const webhooks = Object.entries((doc.webhooks ?? {}) as Record<string, Record<string, Json>>).flatMap(([name, item]) =>
    Object.entries(item).map(([method, op]) => operationSection(doc, method, `webhook: ${name}`, op, `webhook-${name}`)),
  );
  const schemas = Object.entries(doc.components.schemas)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, s]) => schemaSection(name, s));
  const schemes = Object.entries((doc.components.securitySchemes ?? {}) as Record<string, Json>)
    .map(([name, s]) => `<p><strong>${escape(name)}</strong>: HTTP ${escape(String(s.scheme))}. ${markdown(s.description as string)}</p>`)
    .join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(info.title as string)} – reference</title>
<link rel="stylesheet" href="${escape(stylesheetUrl)}">
<link rel="icon" href="data:,">
</head>
<body>
<nav aria-label="Contents"><p><strong>${escape(info.title as string)}</strong> ${escape(info.version as string)}</p>
<p><a href="/openapi.json">openapi.json</a> · <a href="/">dashboard</a></p>
<ol>${toc.join('')}<li><a href="#webhooks">webhooks</a></li><li><a href="#schemas">schemas</a></li></ol></nav>
<main>
<h1>${escape(info.title as string)}</h1>
<p class="summary">${escape((info.summary as string) ?? '')}</p>
${markdown(info.description as string | undefined)}
<p>The machine-readable document is <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI ${escape(doc.openapi as string)}): generate a client from it.</p>
<h2 id="auth">Authentication</h2>${schemes}
${sections.join('\n')}
<section id="webhooks"><h2>webhooks</h2>${webhooks.join('\n')}</section>
<section id="schemas"><h2>schemas</h2>${schemas.join('\n')}</section>
</main>
</body>
</html>
`;
}

export const DOCS_CSS = `:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --code: #f3f4f6; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b3; --line: #30363d; --bg: #0d1117; --code: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; display: grid; grid-template-columns: 18rem 1fr; font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
nav { position: sticky; top: 0; height: 100vh; overflow: auto; padding: 1rem; border-right: 1px solid var(--line); font-size: 13px; }
nav ol, nav ul { padding-left: 1rem; }
nav li li { list-style: none; margin: .15rem 0; }
nav li li a { display: flex; gap: .4rem; align-items: baseline; text-decoration: none; overflow-wrap: anywhere; }
nav .method { min-width: 4.2em; font-size: 10px; flex: none; }
main { padding: 1rem 2rem 4rem; max-width: 70rem; min-width: 0; }
a { color: #0969da; }
@media (prefers-color-scheme: dark) { a { color: #58a6ff; } }
code { font: 13px/1.4 ui-monospace, monospace; background: var(--code); padding: 0 .25em; border-radius: 3px; overflow-wrap: anywhere; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: .25rem; margin-top: 2.5rem; text-transform: capitalize; }
.op, .schema { border: 1px solid var(--line); border-radius: 6px; padding: .25rem 1rem 1rem; margin: 1rem 0; }
.method { display: inline-block; min-width: 4.5em; text-align: center; border-radius: 4px; font: 600 12px/1.8 ui-monospace, monospace; color: #fff; background: #57606a; }
.method.get { background: #1a7f37; } .method.post { background: #0969da; } .method.delete { background: #cf222e; }
.opt, .summary { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: 14px; }
th, td { text-align: left; vertical-align: top; border-top: 1px solid var(--line); padding: .35rem .5rem; }
td p { margin: 0; }
@media (max-width: 50rem) { body { grid-template-columns: 1fr; } nav { position: static; height: auto; border-right: 0; border-bottom: 1px solid var(--line); } }
`;
