/**
 * `events/schemas/` (JSON Schema 2020-12 of every event type, generated from the zod schemas by
 * `npm run schemas`): the committed files are current, every CloudEvent under `events/` (and every
 * row of its CSV examples, as `tracker post` reads them) validates against its type's schema, and
 * the schemas refuse what the API refuses.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { readEventFile } from '../../cli/tracker/event-files.ts';
import { eventSchemaFiles } from '../../src/domain/event-json-schemas.ts';
import { EVENT_TYPES, validateEvent } from '../../src/domain/event-schema.ts';

const EVENTS = resolve(import.meta.dirname, '..', '..', 'events');
const SCHEMAS = join(EVENTS, 'schemas');

let compiled: Ajv2020 | undefined;
function validator(): Ajv2020 {
  if (compiled) return compiled;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats.default(ajv);
  for (const name of readdirSync(SCHEMAS).filter((n) => n.endsWith('.schema.json'))) {
    ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, name), 'utf8')) as object);
  }
  return (compiled = ajv);
}

/** Every CloudEvent in a JSON file of events/: an event, an array of them, or (Lambda samples) none. */
function cloudEventsIn(dir: string): { file: string; event: Record<string, unknown> }[] {
  return readdirSync(join(EVENTS, dir))
    .filter((n) => n.endsWith('.json'))
    .flatMap((n) => {
      const json = JSON.parse(readFileSync(join(EVENTS, dir, n), 'utf8')) as unknown;
      const items = (Array.isArray(json) ? json : [json]) as Record<string, unknown>[];
      return items.filter((e) => e.specversion !== undefined).map((event) => ({ file: `${dir}/${n}`, event }));
    });
}

/** The events the spreadsheet examples under events/csv/ become (`tracker post`). */
function csvEvents(): { file: string; event: Record<string, unknown> }[] {
  return readdirSync(join(EVENTS, 'csv'))
    .filter((n) => n.endsWith('.csv'))
    .flatMap((n) => readEventFile(join(EVENTS, 'csv', n), { offset: '+09:00' }).map((r) => {
      expect(r.errors, `csv/${n} ${r.row}`).toBeUndefined();
      return { file: `csv/${n}`, event: r.event as unknown as Record<string, unknown> };
    }));
}

const ALL_EVENTS = [...['seed', 'demo', 'samples'].flatMap(cloudEventsIn), ...csvEvents()];

describe('events/schemas', () => {
  it('are current: npm run schemas regenerates exactly the committed files', () => {
    const expected = eventSchemaFiles();
    const committed = readdirSync(SCHEMAS).filter((n) => n.endsWith('.json')).sort();
    expect(committed, 'run npm run schemas').toEqual(Object.keys(expected).sort());
    for (const [name, text] of Object.entries(expected)) {
      expect(readFileSync(join(SCHEMAS, name), 'utf8'), `${name} is stale: run npm run schemas`).toBe(text);
    }
  });

  it('cover every event type', () => {
    expect(Object.keys(eventSchemaFiles()).sort()).toEqual([...EVENT_TYPES.map((t) => `${t}.schema.json`), 'cloudevent.schema.json'].sort());
  });

  it('accept every CloudEvent under events/ (seed, demo, samples, and the rows of csv/), as the API does', () => {
    const ajv = validator();
    expect(ALL_EVENTS.length).toBeGreaterThan(20);
    for (const type of EVENT_TYPES) expect(ALL_EVENTS.some((e) => e.event.type === type), `a sample of ${type}`).toBe(true);
    for (const { file, event } of ALL_EVENTS) {
      const byType = ajv.getSchema(`${String(event.type)}.schema.json`)!;
      expect(byType(event), `${file} ${String(event.id)}: ${ajv.errorsText(byType.errors)}`).toBe(true);
      const any = ajv.getSchema('cloudevent.schema.json')!;
      expect(any(event), `${file} ${String(event.id)}: ${ajv.errorsText(any.errors)}`).toBe(true);
      expect(validateEvent(event, 0).ok, `${file} ${String(event.id)} passes the API's own validation`).toBe(true);
    }
  });

  const sample = (type: string) => structuredClone(ALL_EVENTS.find((e) => e.event.type === type)!.event) as Record<string, any>;
  const refused: [string, () => Record<string, any>][] = [
    ['an unknown data field', () => ({ ...sample('delivery.shipped'), data: { ...sample('delivery.shipped').data, quantiy: 3 } })],
    ['a recipient type on a mous/ subject', () => ({ ...sample('delivery.shipped'), subject: 'mous/apec-2025' })],
    ['a quantity of 0', () => ({ ...sample('procurement.ordered'), data: { ...sample('procurement.ordered').data, quantity: 0 } })],
    ['a quantity above 10,000,000', () => ({ ...sample('delivery.received'), data: { ...sample('delivery.received').data, quantity: 10_000_001 } })],
    ['a fractional gpus', () => ({ ...sample('allocation.announced'), data: { ...sample('allocation.announced').data, gpus: 1.5 } })],
    ['a time without offset', () => ({ ...sample('recipient.registered'), time: '2025-10-31T14:00:00' })],
    ['a missing subject', () => { const e = sample('recipient.registered'); delete e.subject; return e; }],
    ['an extension with an upper-case name', () => ({ ...sample('recipient.registered'), Region: 'kr' })],
    ['an extension with an object value', () => ({ ...sample('recipient.registered'), region: { a: 1 } })],
    ['repeated MoU parties', () => ({ ...sample('mou.signed'), data: { ...sample('mou.signed').data, parties: ['samsung', 'samsung'] } })],
    ['an http documentUrl', () => ({ ...sample('mou.signed'), data: { ...sample('mou.signed').data, documentUrl: 'http://example.org/mou.pdf' } })],
    ['a malformed expectedBy', () => ({ ...sample('procurement.ordered'), data: { ...sample('procurement.ordered').data, expectedBy: '2026-13' } })],
    ['specversion 0.3', () => ({ ...sample('delivery.installed'), specversion: '0.3' })],
    ['an unknown sector', () => ({ ...sample('recipient.registered'), data: { name: 'X', sector: 'military' } })],
  ];

  it.each(refused)('refuse %s, as the API does', (_name, make) => {
    const ajv = validator();
    const event = make();
    expect(validateEvent(event, 0).ok).toBe(false);
    expect(ajv.getSchema(`${String(event.type)}.schema.json`)!(event)).toBe(false);
    expect(ajv.getSchema('cloudevent.schema.json')!(event)).toBe(false);
  });
});
