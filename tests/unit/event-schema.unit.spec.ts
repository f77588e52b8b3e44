/**
 * The event format (CONTRACT §1): every shipped sample, seed and demo event validates; every rule
 * has a rejected case with the `path` a client would be pointed at; content identity ignores key
 * order and white space.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from '../../src/domain/canonical.ts';
import { EVENT_TYPES, type FieldError, validateEvent } from '../../src/domain/event-schema.ts';

const EVENTS_DIR = join(import.meta.dirname, '../../events');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const jsonFiles = (dir: string) =>
  readdirSync(join(EVENTS_DIR, dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: `${dir}/${f}`, json: readJson(join(EVENTS_DIR, dir, f)) }));

/** CloudEvents among the samples; the API Gateway sample carries one in its body; the SQS sample carries none. */
const samples = jsonFiles('samples').flatMap(({ file, json }) => {
  const j = json as Record<string, unknown>;
  if (j.specversion) return [{ file, event: j }];
  if (j.routeKey === 'POST /v1/events') return [{ file, event: JSON.parse(String(j.body)) as Record<string, unknown> }];
  return [];
});
const batches = [...jsonFiles('seed'), ...jsonFiles('demo')];

type Json = Record<string, unknown>;

function errorsOf(input: unknown, index = 0): FieldError[] {
  const result = validateEvent(input, index);
  return result.ok ? [] : result.errors;
}

function sample(type: string): Json {
  const found = samples.find((s) => s.event.type === type && s.file === `samples/${type}.json`);
  if (!found) throw new Error(`no sample for ${type}`);
  return structuredClone(found.event);
}

/** The sample of `type` with `data` fields merged (undefined deletes) and envelope attributes overridden. */
function variant(type: string, data: Json = {}, envelope: Json = {}): Json {
  const event = sample(type);
  const merged: Json = { ...(event.data as Json), ...data };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const out: Json = { ...event, data: merged, ...envelope };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

describe('shipped events validate', () => {
  it('has a sample file for every event type, each valid', () => {
    const types = samples.filter((s) => s.file === `samples/${String(s.event.type)}.json`).map((s) => s.event.type);
    expect([...types].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it.each(samples.map((s) => [s.file, s.event] as const))('%s validates', (_file, event) => {
    expect(errorsOf(event)).toEqual([]);
  });

  it.each(batches.map((b) => [b.file, b.json] as const))('%s: every event validates', (_file, json) => {
    expect(Array.isArray(json)).toBe(true);
    const list = json as unknown[];
    expect(list.length).toBeGreaterThan(0);
    expect(list.length).toBeLessThanOrEqual(100);
    list.forEach((event, i) => expect(errorsOf(event, i), `event ${i}`).toEqual([]));
  });

  it('seed and demo events are unique by (source, id) and retract only events of their source and subject', () => {
    const all = batches.flatMap((b) => b.json as Json[]);
    const byIdentity = new Map(all.map((e) => [JSON.stringify([e.source, e.id]), e]));
    expect(byIdentity.size).toBe(all.length);
    const retractions = all.filter((e) => e.type === 'event.retracted');
    expect(retractions.length).toBeGreaterThan(0);
    for (const r of retractions) {
      const target = byIdentity.get(JSON.stringify([r.source, (r.data as Json).eventId]));
      expect(target, String(r.id)).toBeDefined();
      expect(target!.subject).toBe(r.subject);
      expect(target!.type).not.toBe('event.retracted');
    }
  });

  it('keeps the demo events\' extension attribute as posted', () => {
    const demo = batches.filter((b) => b.file.startsWith('demo/')).flatMap((b) => b.json as Json[]);
    for (const e of demo) {
      const result = validateEvent(e, 0);
      expect(result.ok && result.event.illustrative).toBe('true');
    }
  });
});

/** [label, event, expected error path(s)] */
const rejected: [string, Json, string[]][] = [
  // Envelope
  ['specversion 0.3', variant('allocation.announced', {}, { specversion: '0.3' }), ['specversion']],
  ['specversion missing', variant('allocation.announced', {}, { specversion: undefined }), ['specversion']],
  ['id missing', variant('allocation.announced', {}, { id: undefined }), ['id']],
  ['id empty', variant('allocation.announced', {}, { id: '' }), ['id']],
  ['id of 129 characters', variant('allocation.announced', {}, { id: 'a'.repeat(129) }), ['id']],
  ['id with a newline', variant('allocation.announced', {}, { id: 'abc\ndef' }), ['id']],
  ['id with a tab', variant('allocation.announced', {}, { id: 'abc\tdef' }), ['id']],
  ['id with DEL', variant('allocation.announced', {}, { id: 'abc\x7f' }), ['id']],
  ['id with non-ASCII', variant('allocation.announced', {}, { id: 'ré-1' }), ['id']],
  ['id a number', variant('allocation.announced', {}, { id: 42 }), ['id']],
  ['source missing', variant('allocation.announced', {}, { source: undefined }), ['source']],
  ['source empty', variant('allocation.announced', {}, { source: '' }), ['source']],
  ['source with a space', variant('allocation.announced', {}, { source: '/agencies/ms it' }), ['source']],
  ['source with a bad percent-escape', variant('allocation.announced', {}, { source: '/agencies/%zz' }), ['source']],
  ['source of 257 characters', variant('allocation.announced', {}, { source: `/${'a'.repeat(256)}` }), ['source']],
  ['type unknown', variant('allocation.announced', {}, { type: 'allocation.revised' }), ['type']],
  ['type missing', variant('allocation.announced', {}, { type: undefined }), ['type']],
  ['subject missing', variant('allocation.announced', {}, { subject: undefined }), ['subject']],
  ['subject of an unknown kind', variant('allocation.announced', {}, { subject: 'companies/samsung' }), ['subject']],
  ['subject id upper-case', variant('allocation.announced', {}, { subject: 'recipients/Samsung' }), ['subject']],
  ['subject id of 1 character', variant('allocation.announced', {}, { subject: 'recipients/s' }), ['subject']],
  ['subject id of 65 characters', variant('allocation.announced', {}, { subject: `recipients/${'s'.repeat(65)}` }), ['subject']],
  ['subject id starting with -', variant('allocation.announced', {}, { subject: 'recipients/-samsung' }), ['subject']],
  ['subject with a trailing slash', variant('allocation.announced', {}, { subject: 'recipients/samsung/' }), ['subject']],
  ['time missing', variant('allocation.announced', {}, { time: undefined }), ['time']],
  ['time without offset', variant('allocation.announced', {}, { time: '2025-10-31T14:10:00' }), ['time']],
  ['time Feb 30', variant('allocation.announced', {}, { time: '2025-02-30T14:10:00Z' }), ['time']],
  ['time hour 24', variant('allocation.announced', {}, { time: '2025-10-31T24:00:00+09:00' }), ['time']],
  ['time with trailing junk', variant('allocation.announced', {}, { time: '2025-10-31T14:10:00+09:00x' }), ['time']],
  ['time a number', variant('allocation.announced', {}, { time: 1761887400 }), ['time']],
  ['data missing', variant('allocation.announced', {}, { data: undefined }), ['data']],
  ['data an array', variant('allocation.announced', {}, { data: [1, 2] }), ['data']],
  ['data a string', variant('allocation.announced', {}, { data: '{"programId":"p1"}' }), ['data']],
  ['dataschema with a space', variant('allocation.announced', {}, { dataschema: 'https://x.org/a b' }), ['dataschema']],
  ['datacontenttype empty', variant('allocation.announced', {}, { datacontenttype: '' }), ['datacontenttype']],
  ['extension name upper-case', variant('allocation.announced', {}, { Illustrative: 'true' }), ['Illustrative']],
  ['extension name with _', variant('allocation.announced', {}, { ext_name: 'x' }), ['ext_name']],
  ['extension name with -', variant('allocation.announced', {}, { 'ext-name': 'x' }), ['ext-name']],
  ['extension name of 21 characters', variant('allocation.announced', {}, { ['a'.repeat(21)]: 'x' }), ['a'.repeat(21)]],
  ['extension value an object', variant('allocation.announced', {}, { illustrative: { yes: true } }), ['illustrative']],
  ['extension value an array', variant('allocation.announced', {}, { tags: ['a'] }), ['tags']],
  ['extension value a fraction', variant('allocation.announced', {}, { weight: 1.5 }), ['weight']],

  // Subject kind per type
  ['mou.signed on a recipients/ subject', variant('mou.signed', {}, { subject: 'recipients/samsung' }), ['subject']],
  ['allocation.announced on a mous/ subject', variant('allocation.announced', {}, { subject: 'mous/ai-startups-2025' }), ['subject']],
  ['recipient.registered on a mous/ subject', variant('recipient.registered', {}, { subject: 'mous/ai-startups-2025' }), ['subject']],
  ['procurement.ordered on a mous/ subject', variant('procurement.ordered', {}, { subject: 'mous/ai-startups-2025' }), ['subject']],
  ['delivery.shipped on a mous/ subject', variant('delivery.shipped', {}, { subject: 'mous/ai-startups-2025' }), ['subject']],
  ['delivery.received on a mous/ subject', variant('delivery.received', {}, { subject: 'mous/x1' }), ['subject']],
  ['delivery.installed on a mous/ subject', variant('delivery.installed', {}, { subject: 'mous/x1' }), ['subject']],

  // recipient.registered
  ['registered: name missing', variant('recipient.registered', { name: undefined }), ['data.name']],
  ['registered: name empty', variant('recipient.registered', { name: '' }), ['data.name']],
  ['registered: name blank', variant('recipient.registered', { name: '   ' }), ['data.name']],
  ['registered: name a number', variant('recipient.registered', { name: 7 }), ['data.name']],
  ['registered: nameKo empty', variant('recipient.registered', { nameKo: '' }), ['data.nameKo']],
  ['registered: sector unknown', variant('recipient.registered', { sector: 'government' }), ['data.sector']],
  ['registered: sector missing', variant('recipient.registered', { sector: undefined }), ['data.sector']],

  // allocation.announced
  ['allocation: programId missing', variant('allocation.announced', { programId: undefined }), ['data.programId']],
  ['allocation: programId not an id', variant('allocation.announced', { programId: 'KR_GPU' }), ['data.programId']],
  ['allocation: gpus negative', variant('allocation.announced', { gpus: -1 }), ['data.gpus']],
  ['allocation: gpus non-integer', variant('allocation.announced', { gpus: 1.5 }), ['data.gpus']],
  ['allocation: gpus a string', variant('allocation.announced', { gpus: '5' }), ['data.gpus']],
  ['allocation: gpus above 10,000,000', variant('allocation.announced', { gpus: 10_000_001 }), ['data.gpus']],
  ['allocation: gpus missing', variant('allocation.announced', { gpus: undefined }), ['data.gpus']],

  // procurement.ordered
  ['ordered: quantity 0', variant('procurement.ordered', { quantity: 0 }), ['data.quantity']],
  ['ordered: quantity negative', variant('procurement.ordered', { quantity: -3 }), ['data.quantity']],
  ['ordered: quantity non-integer', variant('procurement.ordered', { quantity: 2.5 }), ['data.quantity']],
  ['ordered: quantity above 10,000,000', variant('procurement.ordered', { quantity: 10_000_001 }), ['data.quantity']],
  ['ordered: orderId missing', variant('procurement.ordered', { orderId: undefined }), ['data.orderId']],
  ['ordered: orderId not an id', variant('procurement.ordered', { orderId: 'PO 1' }), ['data.orderId']],
  ['ordered: gpuModel missing', variant('procurement.ordered', { gpuModel: undefined }), ['data.gpuModel']],
  ['ordered: vendor empty', variant('procurement.ordered', { vendor: '' }), ['data.vendor']],
  ['ordered: expectedBy not a date', variant('procurement.ordered', { expectedBy: 'next spring' }), ['data.expectedBy']],
  ['ordered: expectedBy 31/03/2026', variant('procurement.ordered', { expectedBy: '31/03/2026' }), ['data.expectedBy']],
  ['ordered: expectedBy Feb 30', variant('procurement.ordered', { expectedBy: '2026-02-30' }), ['data.expectedBy']],
  ['ordered: expectedBy a date-time', variant('procurement.ordered', { expectedBy: '2026-03-31T00:00:00Z' }), ['data.expectedBy']],

  // mou.signed
  ['mou: title missing', variant('mou.signed', { title: undefined }), ['data.title']],
  ['mou: one party', variant('mou.signed', { parties: ['msit'] }), ['data.parties']],
  ['mou: no parties', variant('mou.signed', { parties: [] }), ['data.parties']],
  ['mou: parties not distinct', variant('mou.signed', { parties: ['msit', 'msit'] }), ['data.parties']],
  ['mou: party not an id', variant('mou.signed', { parties: ['msit', 'NVIDIA'] }), ['data.parties.1']],
  ['mou: parties a string', variant('mou.signed', { parties: 'msit,nvidia' }), ['data.parties']],
  ['mou: topic empty', variant('mou.signed', { topics: ['ai', ''] }), ['data.topics.1']],
  ['mou: documentUrl http://', variant('mou.signed', { documentUrl: 'http://www.msit.go.kr/mou.pdf' }), ['data.documentUrl']],
  ['mou: documentUrl ftp://', variant('mou.signed', { documentUrl: 'ftp://www.msit.go.kr/mou.pdf' }), ['data.documentUrl']],
  ['mou: documentUrl not a URL', variant('mou.signed', { documentUrl: 'the MSIT website' }), ['data.documentUrl']],
  ['mou: documentUrl relative', variant('mou.signed', { documentUrl: '/mou.pdf' }), ['data.documentUrl']],

  // event.retracted
  ['retracted: eventId missing', variant('event.retracted', { eventId: undefined }), ['data.eventId']],
  ['retracted: eventId empty', variant('event.retracted', { eventId: '' }), ['data.eventId']],
  ['retracted: eventId of 129 characters', variant('event.retracted', { eventId: 'e'.repeat(129) }), ['data.eventId']],
  ['retracted: eventId non-printable', variant('event.retracted', { eventId: 'e\u0000' }), ['data.eventId']],
  ['retracted: reason missing', variant('event.retracted', { reason: undefined }), ['data.reason']],
  ['retracted: reason empty', variant('event.retracted', { reason: '' }), ['data.reason']],
];

for (const type of ['delivery.shipped', 'delivery.received', 'delivery.installed']) {
  rejected.push(
    [`${type}: quantity 0`, variant(type, { quantity: 0 }), ['data.quantity']],
    [`${type}: quantity above 10,000,000`, variant(type, { quantity: 10_000_001 }), ['data.quantity']],
    [`${type}: quantity non-integer`, variant(type, { quantity: 0.5 }), ['data.quantity']],
    [`${type}: shipmentId missing`, variant(type, { shipmentId: undefined }), ['data.shipmentId']],
    [`${type}: shipmentId not an id`, variant(type, { shipmentId: 'S/1' }), ['data.shipmentId']],
    [`${type}: orderId missing`, variant(type, { orderId: undefined }), ['data.orderId']],
    [`${type}: gpuModel missing`, variant(type, { gpuModel: undefined }), ['data.gpuModel']],
    [`${type}: site empty`, variant(type, { site: '' }), ['data.site']],
  );
}

/** Unknown `data` fields: the issue names the field, either in its path or (unrecognized keys) its message. */
const unknownField: [string, Json][] = EVENT_TYPES.map((type) => [type, variant(type, { foo: 1 })]);

describe('rejected events, with the path of the offending field', () => {
  it.each(rejected)('%s', (_label, event, paths) => {
    const errors = errorsOf(event, 3);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.index === 3)).toBe(true);
    expect(errors.every((e) => typeof e.message === 'string' && e.message.length > 0)).toBe(true);
    expect([...new Set(errors.map((e) => e.path))].sort()).toEqual([...paths].sort());
  });

  it.each(unknownField)('%s: an unknown data field is rejected and named', (_type, event) => {
    const errors = errorsOf(event);
    expect(errors).toHaveLength(1);
    const [error] = errors;
    const named = error!.path === 'data.foo' || (error!.path === 'data' && error!.message.includes('foo'));
    expect(named, JSON.stringify(error)).toBe(true);
  });

  it('rejects what is not an event object', () => {
    for (const input of [null, 'event', 42, [], [sample('allocation.announced')]]) {
      expect(errorsOf(input).length).toBeGreaterThan(0);
    }
  });
});

describe('accepted edge values', () => {
  it.each([
    ['id of 128 characters', variant('allocation.announced', {}, { id: 'a'.repeat(128) })],
    ['id with spaces and punctuation', variant('allocation.announced', {}, { id: 'report #1 (2025/10/31) ~ok!' })],
    ['source an absolute URI', variant('allocation.announced', {}, { source: 'https://www.msit.go.kr/events' })],
    ['source a URN', variant('allocation.announced', {}, { source: 'urn:kr:msit' })],
    ['source of 256 characters', variant('allocation.announced', {}, { source: `/${'a'.repeat(255)}` })],
    ['subject id of 2 characters', variant('allocation.announced', {}, { subject: 'recipients/sk' })],
    ['subject id of 64 characters', variant('allocation.announced', {}, { subject: `recipients/${'s'.repeat(64)}` })],
    ['time in UTC with nanoseconds', variant('allocation.announced', {}, { time: '2025-10-31T05:10:00.123456789Z' })],
    ['time with a negative offset', variant('allocation.announced', {}, { time: '2025-10-30T23:40:00-05:30' })],
    ['time in lower case', variant('allocation.announced', {}, { time: '2025-10-31t05:10:00z' })],
    ['gpus 0 (withdrawal)', variant('allocation.announced', { gpus: 0 })],
    ['gpus 10,000,000', variant('allocation.announced', { gpus: 10_000_000 })],
    ['quantity 10,000,000', variant('procurement.ordered', { quantity: 10_000_000 })],
    ['ordered without optional fields', variant('procurement.ordered', { vendor: undefined, expectedBy: undefined })],
    ['registered without nameKo', variant('recipient.registered', { nameKo: undefined })],
    ['mou with 3 parties and an https documentUrl', variant('mou.signed', { parties: ['msit', 'nvidia', 'samsung'], documentUrl: 'https://www.msit.go.kr/mou.pdf' })],
    ['mou without topics', variant('mou.signed', { topics: undefined })],
    ['retraction on a mous/ subject', variant('event.retracted', {}, { subject: 'mous/ai-startups-2025' })],
    ['retraction of an id with spaces', variant('event.retracted', { eventId: 'report #1 (old)' })],
    ['without datacontenttype', variant('allocation.announced', {}, { datacontenttype: undefined })],
  ])('%s', (_label, event) => {
    expect(errorsOf(event)).toEqual([]);
  });

  it('keeps extensions with valid names and optional attributes as posted', () => {
    const event = variant('allocation.announced', {}, {
      illustrative: 'true',
      revision: 3,
      draft: false,
      dataschema: 'https://tracker.example/schemas/allocation.announced.json',
      datacontenttype: 'application/json',
    });
    const result = validateEvent(event, 0);
    expect(result.ok).toBe(true);
    expect(result.ok && result.event).toEqual(event);
  });
});

describe('canonical JSON and content hash', () => {
  const event = sample('procurement.ordered');

  it('writes keys sorted at every level without white space', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });

  it('ignores key order and white space', () => {
    const reordered = Object.fromEntries(
      Object.entries(event)
        .reverse()
        .map(([k, v]) => [k, k === 'data' ? Object.fromEntries(Object.entries(v as Json).reverse()) : v]),
    );
    const spaced = JSON.parse(JSON.stringify(event, null, 4)) as unknown;
    expect(Object.keys(reordered)).not.toEqual(Object.keys(event));
    expect(contentHash(reordered)).toBe(contentHash(event));
    expect(contentHash(spaced)).toBe(contentHash(event));
  });

  it('tells different values apart', () => {
    const hash = contentHash(event);
    const changed: Json[] = [
      variant('procurement.ordered', { quantity: 1001 }),
      variant('procurement.ordered', { quantity: '1000' }),
      variant('procurement.ordered', { vendor: undefined }),
      variant('procurement.ordered', { extra: null }),
      variant('procurement.ordered', {}, { time: '2025-11-20T01:00:00Z' }), // same instant, different text: different post
      variant('procurement.ordered', {}, { illustrative: 'true' }),
    ];
    for (const c of changed) expect(contentHash(c)).not.toBe(hash);
    expect(contentHash(['a', 'b'])).not.toBe(contentHash(['b', 'a']));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: '1' }));
    expect(contentHash({ a: { b: 1 } })).not.toBe(contentHash({ 'a.b': 1 }));
  });

  it('is stable under key shuffles and re-parsing (property)', () => {
    const shuffleKeys = (value: unknown, seed: number): unknown => {
      if (Array.isArray(value)) return value.map((v, i) => shuffleKeys(v, seed + i));
      if (value === null || typeof value !== 'object') return value;
      const entries = Object.entries(value as Json).map(([k, v], i) => [k, shuffleKeys(v, seed * 31 + i)] as const);
      const rotated = entries.length > 0 ? [...entries.slice(seed % entries.length), ...entries.slice(0, seed % entries.length)].reverse() : [];
      return Object.fromEntries(rotated);
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(1000), (value, seed) => {
        const canonical = canonicalJson(value);
        expect(contentHash(shuffleKeys(value, seed))).toBe(contentHash(value));
        expect(canonicalJson(JSON.parse(JSON.stringify(value, null, 2)))).toBe(canonical);
        expect(canonicalJson(JSON.parse(canonical))).toBe(canonical);
      }),
      { numRuns: 300 },
    );
  });
});
