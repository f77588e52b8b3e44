/**
 * The feed and the stream (CONTRACT §4) against DynamoDB Local: every accepted event exactly once,
 * in acceptance order, across hour buckets; a cursor never skips an event that commits later, even
 * with concurrent writers; the stream resumes with Last-Event-ID without loss or repetition.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/domain/event-schema.ts';
import { parseInstant } from '../../src/domain/time.ts';
import { type Emulators, asAdmin, ev, newTracker, startEmulators, type TestTracker } from './tracker-harness.ts';

let emu: Emulators;
beforeAll(async () => {
  emu = await startEmulators();
});
afterAll(async () => emu?.stop());

async function post(t: TestTracker, events: unknown[]) {
  const res = await t.app.request('/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents-batch+json', ...asAdmin },
    body: JSON.stringify(events),
  });
  expect(res.status, await res.clone().text()).toBe(202);
  return ((await res.json()) as { results: { status: string }[] }).results;
}

async function feedPage(t: TestTracker, after: string | null, limit: number) {
  const res = await t.app.request(`/v1/feed?limit=${limit}${after ? `&after=${after}` : ''}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { items: StoredEvent[]; next: string };
}

/** Walks the feed from `after` until a page comes back empty. */
async function walk(t: TestTracker, after: string | null, limit: number) {
  const items: StoredEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await feedPage(t, cursor, limit);
    items.push(...page.items);
    cursor = page.next;
    if (page.items.length === 0) return { items, cursor };
  }
}

const identity = (e: StoredEvent) => `${e.subject}#${e.sequence}`;

describe('GET /v1/feed', () => {
  it('returns every accepted event once, in acceptance order, with an opaque cursor', async () => {
    const t = await newTracker(emu, { FEED_SETTLE_SECONDS: '0' });
    const subjects = ['recipients/alpha', 'recipients/beta', 'mous/m-one'];
    for (let round = 0; round < 5; round++) {
      await post(t, subjects.map((s, i) => (s.startsWith('mous/') ? ev.mou(s, `m-${round}`, ['alpha', 'beta']) : ev.allocation(s, `a-${round}-${i}`, 'p1', round * 10))));
    }
    const { items, cursor } = await walk(t, null, 4);
    expect(items).toHaveLength(15);
    expect(new Set(items.map(identity)).size).toBe(15);
    const recorded = items.map((e) => parseInstant(e.recordedAt)!);
    expect(recorded).toEqual([...recorded].sort());
    for (const s of subjects) {
      expect(items.filter((e) => e.subject === s).map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    }
    // The cursor at the end stays valid: new events appear after it, and nothing before it again.
    await post(t, [ev.allocation('recipients/alpha', 'later', 'p2', 7)]);
    expect((await walk(t, cursor, 10)).items.map((e) => e.id)).toEqual(['later']);
  });

  it('serves only settled events: an event appears once the horizon has passed it', async () => {
    const t = await newTracker(emu, { FEED_SETTLE_SECONDS: '1' });
    await post(t, [ev.allocation('recipients/alpha', 'fresh', 'p1', 1)]);
    expect((await feedPage(t, null, 10)).items).toEqual([]);
    await new Promise((r) => setTimeout(r, 1300));
    expect((await feedPage(t, null, 10)).items.map((e) => e.id)).toEqual(['fresh']);
  });

  it('crosses empty hour buckets', async () => {
    let now = Date.parse('2026-03-01T08:59:59Z');
    const t = await newTracker(emu, { FEED_SETTLE_SECONDS: '0' }, { now: () => new Date(now) });
    await post(t, [ev.allocation('recipients/alpha', 'h8', 'p1', 1)]);
    now += 3 * 3_600_000; // hours 09 and 10 stay empty
    await post(t, [ev.allocation('recipients/alpha', 'h11', 'p1', 2)]);
    now += 1000;
    expect((await walk(t, null, 10)).items.map((e) => [e.id, e.recordedAt])).toEqual([
      ['h8', '2026-03-01T08:59:59.000Z'],
      ['h11', '2026-03-01T11:59:59.000Z'],
    ]);
  });

  it('never skips an event while writers commit concurrently', async () => {
    const t = await newTracker(emu, { FEED_SETTLE_SECONDS: '1' });
    const seen: StoredEvent[] = [];
    let cursor: string | null = null;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const page = await feedPage(t, cursor, 7);
        seen.push(...page.items);
        cursor = page.next;
        if (page.items.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const writers = Array.from({ length: 4 }, (_, w) =>
      (async () => {
        for (let n = 0; n < 15; n++) {
          await post(t, [ev.order(`recipients/r${n % 3}`, `w${w}-${n}`, `o-${w}`, n + 1)]);
        }
      })(),
    );
    await Promise.all(writers);
    await new Promise((r) => setTimeout(r, 1300));
    writing = false;
    await reader;
    seen.push(...(await walk(t, cursor, 50)).items);
    expect(seen).toHaveLength(60);
    expect(new Set(seen.map((e) => e.id)).size).toBe(60);
  });

  it('rejects a cursor it did not issue', async () => {
    const t = await newTracker(emu);
    const res = await t.app.request('/v1/feed?after=not-a-cursor');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('after');
  });
});

describe('GET /v1/stream', () => {
  /** Reads SSE messages (id + data) from a streaming response until `count` events arrived. */
  async function readEvents(res: Response, count: number): Promise<{ id: string; data: StoredEvent }[]> {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const out: { id: string; data: StoredEvent }[] = [];
    let buffer = '';
    while (out.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trimStart()]));
        if (fields.data && !fields.event) out.push({ id: fields.id!, data: JSON.parse(fields.data) as StoredEvent });
      }
    }
    await reader.cancel();
    return out;
  }

  it('streams the feed with cursor ids and resumes after Last-Event-ID', async () => {
    const t = await newTracker(emu, { FEED_SETTLE_SECONDS: '0' });
    await post(t, [1, 2, 3].map((n) => ev.allocation('recipients/alpha', `s-${n}`, `p${n}`, n)));
    const first = await readEvents(await t.app.request('/v1/stream?after=' + (await firstCursor(t))), 2);
    expect(first.map((e) => e.data.id)).toEqual(['s-2', 's-3']);

    await post(t, [ev.allocation('recipients/beta', 's-4', 'p1', 4)]);
    const resumed = await readEvents(await t.app.request('/v1/stream', { headers: { 'last-event-id': first[1]!.id } }), 1);
    expect(resumed.map((e) => e.data.id)).toEqual(['s-4']);
  });

  it('starts at the live tail without a cursor', async () => {
    const t = await newTracker(emu, { FEED_SETTLE_SECONDS: '0' });
    await post(t, [ev.allocation('recipients/alpha', 'old', 'p1', 1)]);
    await new Promise((r) => setTimeout(r, 20));
    const res = await t.app.request('/v1/stream');
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    setTimeout(() => void post(t, [ev.allocation('recipients/alpha', 'new', 'p1', 2)]), 300);
    expect((await readEvents(res, 1)).map((e) => e.data.id)).toEqual(['new']);
  });

  async function firstCursor(t: TestTracker): Promise<string> {
    return (await feedPage(t, null, 1)).next;
  }
});
