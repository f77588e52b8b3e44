/**
 * The pieces of the `tracker` CLI that need no tracker: the CSV reader, the CSV column mapping
 * (row numbers, numbers, lists, derived ids), the backoff, and how `postRows` accounts for every
 * row when the API refuses some events (400/403 by index), a body (413) or conflicts (409).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiError, type Client, backoffMs } from '../../cli/tracker/client.ts';
import { parseCsv } from '../../cli/tracker/csv.ts';
import { type EventRow, readEventFile } from '../../cli/tracker/event-files.ts';
import { postRows } from '../../cli/tracker/post.ts';
import { sseMessages } from '../../cli/tracker/tail.ts';
import type { TrackerEvent } from '../../src/domain/event-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'tracker-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const OPTIONS = { offset: '+09:00' };

describe('parseCsv', () => {
  it('reads quoted fields, escaped quotes, line breaks in quotes, CRLF and a BOM, keeping each record’s first line', () => {
    const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",z\n\n3,,\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['1', 'x, y', 'say "hi"'] },
      { line: 3, cells: ['2', 'two\nlines', 'z'] },
      { line: 6, cells: ['3', '', ''] },
    ]);
  });

  it('refuses an unclosed quote', () => {
    expect(() => parseCsv('a\n"open')).toThrow(/line 2: a quoted field is not closed/);
  });
});

describe('readEventFile (CSV)', () => {
  const header = 'type,source,recipient,time,orderId,shipmentId,quantity,gpuModel,site';

  it('maps columns to the envelope and the type’s data: numbers, dates, lists, empty cells left out', () => {
    const rows = readEventFile(file('ok.csv', [
      header,
      'delivery.shipped,/companies/samsung,samsung,2026-01-15,po-1,ship-1,"2,000",NVIDIA B200,',
    ].join('\n')), OPTIONS);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.event).toMatchObject({
      specversion: '1.0', source: '/companies/samsung', type: 'delivery.shipped', subject: 'recipients/samsung',
      time: '2026-01-15T00:00:00+09:00', data: { orderId: 'po-1', shipmentId: 'ship-1', quantity: 2000, gpuModel: 'NVIDIA B200' },
    });
    const mou = readEventFile(file('mou.csv', 'type,source,mou,time,title,parties,topics\nmou.signed,/agencies/msit,apec-ai,2025-10-31T14:00:00+09:00,AI MoU,samsung; sk-group,AI;robots\n'), OPTIONS);
    expect(mou[0]!.event).toMatchObject({ subject: 'mous/apec-ai', data: { parties: ['samsung', 'sk-group'], topics: ['AI', 'robots'] } });
  });

  it('derives the same id from the same row content, so a re-run is a duplicate', () => {
    const text = `${header}\ndelivery.shipped,/companies/samsung,samsung,2026-01-15,po-1,ship-1,2000,NVIDIA B200,Pyeongtaek\n`;
    const a = readEventFile(file('a.csv', text), OPTIONS)[0]!.event!;
    const b = readEventFile(file('b.csv', text), OPTIONS)[0]!.event!;
    expect(a.id).toMatch(/^row-[A-Za-z0-9_-]{32}$/);
    expect(b.id).toBe(a.id);
    const c = readEventFile(file('c.csv', text.replace('2000', '2001')), OPTIONS)[0]!.event!;
    expect(c.id).not.toBe(a.id);
  });

  it('names each bad row by its line, with every reason, and keeps the good rows', () => {
    const rows = readEventFile(file('bad.csv', [
      header,
      'delivery.shipped,/companies/samsung,samsung,2026-01-15,po-1,ship-1,many,NVIDIA B200,',
      '"delivery.shipped",/companies/samsung,samsung,2026-01-16,po-1,ship-2,10,"NVIDIA',
      'B200",',
      'delivery.shipped,/companies/samsung,,2026-01-17,po-1,ship-3,10,NVIDIA B200,',
      'procurement.ordered,/companies/samsung,samsung,2026-01-18,po-2,ship-4,10,NVIDIA B200,',
      'delivery.teleported,/companies/samsung,samsung,2026-01-18,po-2,ship-4,10,NVIDIA B200,',
      'delivery.received,/companies/samsung,samsung,2026-01-19,po-1,ship-2,0,NVIDIA B200,',
    ].join('\n')), OPTIONS);
    const summary = rows.map((r: EventRow) => [r.row, r.event ? 'ok' : r.errors!.join(' | ')]);
    expect(summary).toEqual([
      ['line 2', "quantity: 'many' is not a whole number"],
      ['line 3', 'ok'],
      ['line 5', 'subject: give a recipient (or subject) column value'],
      ['line 6', 'shipmentId: not a field of procurement.ordered'],
      ['line 7', expect.stringMatching(/^type: 'delivery.teleported' is not an event type/)],
      ['line 8', expect.stringMatching(/^data\.quantity: /)],
    ]);
    expect(rows[1]!.event!.data).toMatchObject({ gpuModel: 'NVIDIA\nB200' });
  });

  it('refuses a whole file with an unknown column or no type or source', () => {
    expect(() => readEventFile(file('typo.csv', 'type,source,recipient,time,quantiy\n'), OPTIONS)).toThrow(/unknown column 'quantiy'/);
    expect(() => readEventFile(file('notype.csv', 'source,recipient,time,gpus\n'), OPTIONS)).toThrow(/no 'type' column/);
    expect(() => readEventFile(file('nosource.csv', 'type,recipient,time,gpus\n'), OPTIONS)).toThrow(/no 'source' column/);
    const withFlags = readEventFile(file('flags.csv', 'recipient,time,programId,gpus\nsamsung,2025-10-31,kr-gpu-260k,"50,000"\n'), { ...OPTIONS, type: 'allocation.announced', source: '/agencies/msit' });
    expect(withFlags[0]!.event).toMatchObject({ type: 'allocation.announced', source: '/agencies/msit', data: { programId: 'kr-gpu-260k', gpus: 50_000 } });
  });

  it('reads JSON and NDJSON, naming items and lines', () => {
    const event = { specversion: '1.0', id: 'a', source: '/x', type: 'allocation.announced', subject: 'recipients/samsung', time: '2025-10-31T14:00:00Z', data: { programId: 'p1', gpus: 1 } };
    const json = readEventFile(file('e.json', JSON.stringify([event, { ...event, data: { programId: 'p1' } }])), OPTIONS);
    expect(json.map((r) => [r.row, Boolean(r.event)])).toEqual([['item 1', true], ['item 2', false]]);
    const nd = readEventFile(file('e.ndjson', `${JSON.stringify(event)}\n\n{oops\n`), OPTIONS);
    expect(nd.map((r) => [r.row, Boolean(r.event)])).toEqual([['line 1', true], ['line 3', false]]);
    expect(nd[1]!.errors![0]).toMatch(/not valid JSON/);
    expect(() => readEventFile(file('e.xlsx', ''), OPTIONS)).toThrow(/use \.json, \.ndjson\/\.jsonl or \.csv/);
  });
});

describe('backoffMs', () => {
  it('grows exponentially with jitter, caps at 30 s, and waits what Retry-After asks (up to 60 s)', () => {
    expect(backoffMs(0, () => 0.5)).toBe(500);
    expect(backoffMs(3, () => 0.5)).toBe(4000);
    expect(backoffMs(20, () => 1)).toBe(45_000);
    expect(backoffMs(0, () => 0.5, '7')).toBe(7000);
    expect(backoffMs(0, () => 0.5, '3600')).toBe(60_000);
    expect(backoffMs(2, () => 0.5, 'soon')).toBe(2000);
  });
});

describe('postRows', () => {
  const ev = (id: string): TrackerEvent => ({
    specversion: '1.0', id, source: '/x', type: 'allocation.announced', subject: 'recipients/samsung', time: '2025-10-31T14:00:00Z', data: { programId: 'p1', gpus: 1 },
  });
  const rows = (n: number): EventRow[] => Array.from({ length: n }, (_, i) => ({ file: 'f.json', row: `item ${i + 1}`, event: ev(`e${i + 1}`) }));

  /** A fake API: `answer` sees each request's events. */
  function fakeClient(answer: (events: TrackerEvent[]) => { status: number; body: unknown }) {
    const requests: string[][] = [];
    const client = {
      url: 'http://fake',
      hasKey: true,
      async request(_method: string, _path: string, req: { body?: unknown; accept?: number[] } = {}) {
        const events = JSON.parse(req.body as string) as TrackerEvent[];
        requests.push(events.map((e) => e.id));
        const { status, body } = answer(events);
        if (status < 300 || req.accept?.includes(status)) return { status, body, headers: new Headers() };
        throw new ApiError(status, body as object);
      },
    } as unknown as Client;
    return { client, requests };
  }
  const accepted = (events: TrackerEvent[]) => ({ status: 202, body: { results: events.map((e, i) => ({ source: e.source, id: e.id, status: 'accepted', sequence: i + 1 })) } });

  it('sends batches of at most the batch size, in order, and reports progress', async () => {
    const { client, requests } = fakeClient(accepted);
    const progress: number[] = [];
    const summary = await postRows(client, rows(250), { batchSize: 100, onProgress: (d) => progress.push(d) });
    expect(requests.map((r) => r.length)).toEqual([100, 100, 50]);
    expect(summary).toMatchObject({ accepted: 250, duplicate: 0, conflict: 0, rejected: 0 });
    expect(progress).toEqual([0, 100, 200, 250]);
  });

  it('marks the events a 400 or 403 names as rejected and sends the rest of the batch again', async () => {
    const { client, requests } = fakeClient((events) => {
      const bad = events.flatMap((e, index) => (e.id === 'e2' ? [{ index, path: 'data.gpus', message: 'too many' }] : e.id === 'e4' ? [{ index, path: 'source', message: 'not yours' }] : []));
      if (bad.some((b) => b.path === 'source')) return { status: 403, body: { title: 'Forbidden', errors: bad.filter((b) => b.path === 'source') } };
      if (bad.length) return { status: 400, body: { title: 'Invalid request', errors: bad } };
      return accepted(events);
    });
    const summary = await postRows(client, [...rows(5), { file: 'f.json', row: 'item 6', errors: ['time: bad'] }], { batchSize: 100 });
    expect(requests).toEqual([['e1', 'e2', 'e3', 'e4', 'e5'], ['e1', 'e2', 'e3', 'e5'], ['e1', 'e3', 'e5']]);
    expect(summary.results.map((r) => [r.row, r.status, r.reasons?.join()])).toEqual([
      ['item 1', 'accepted', undefined],
      ['item 2', 'rejected', 'invalid: data.gpus: too many'],
      ['item 3', 'accepted', undefined],
      ['item 4', 'rejected', 'refused: source: not yours'],
      ['item 5', 'accepted', undefined],
      ['item 6', 'rejected', 'time: bad'],
    ]);
  });

  it('splits a batch the API finds too large, and reports conflicts from a 409', async () => {
    const { client, requests } = fakeClient((events) => {
      if (events.length > 2) return { status: 413, body: { title: 'Payload too large' } };
      return { status: events.some((e) => e.id === 'e3') ? 409 : 202, body: { results: events.map((e) => ({ source: e.source, id: e.id, status: e.id === 'e3' ? 'conflict' : 'duplicate', sequence: 1 })) } };
    });
    const summary = await postRows(client, rows(5), { batchSize: 100 });
    expect(requests.map((r) => r.length)).toEqual([5, 3, 2, 1, 2]);
    expect(summary).toMatchObject({ accepted: 0, duplicate: 4, conflict: 1, rejected: 0 });
    expect(summary.results[2]!.reasons![0]).toMatch(/^conflict: \/x e3 was posted before with different content/);
  });

  it('stops at once on 401: no key is worth repeating', async () => {
    const { client } = fakeClient(() => ({ status: 401, body: { title: 'Unauthorized' } }));
    await expect(postRows(client, rows(3), { batchSize: 100 })).rejects.toThrow(/401 Unauthorized/);
  });
});

describe('sseMessages', () => {
  it('splits a stream into messages across chunk boundaries, skipping comments', async () => {
    const chunks = ['event: ready\nid: c0\ndata: {"connected":true}\n\n: heart', 'beat\n\nid: c1\r\ndata: {"a":', '1}\r\n\r\nid: c2\ndata: x\ndata: y\n\n'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
        controller.close();
      },
    });
    const messages = [];
    for await (const m of sseMessages(body)) messages.push(m);
    expect(messages).toEqual([
      { event: 'ready', id: 'c0', data: '{"connected":true}' },
      { id: 'c1', data: '{"a":1}' },
      { id: 'c2', data: 'x\ny' },
    ]);
  });
});
