/**
 * `npm run schemas`: writes the JSON Schema of every event type's CloudEvent into `events/schemas/`,
 * generated from the zod schemas ingest validates with (`src/domain/event-json-schemas.ts`).
 * A unit test regenerates them in memory and fails when the committed files are stale.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventSchemaFiles } from '../src/domain/event-json-schemas.ts';

export const SCHEMAS_DIR = resolve(import.meta.dirname, '..', 'events', 'schemas');

const files = eventSchemaFiles();
mkdirSync(SCHEMAS_DIR, { recursive: true });
for (const name of readdirSync(SCHEMAS_DIR)) {
  if (name.endsWith('.schema.json') && !Object.hasOwn(files, name)) rmSync(join(SCHEMAS_DIR, name));
}
for (const [name, text] of Object.entries(files)) writeFileSync(join(SCHEMAS_DIR, name), text);
console.log(`wrote ${Object.keys(files).length} schemas to events/schemas/`);
