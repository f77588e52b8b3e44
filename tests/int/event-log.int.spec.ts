/**
 * The storage and messaging adapters against DynamoDB Local and fauxqs through the real SDK: the
 * event log's transactional append (gap-free heads, idempotency records, all-or-nothing), its reads,
 * the projection store's watermark-conditioned commit, and the work queue's messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldEvents, targetOf, type KeyState } from '../../src/domain/status.ts';
import { ConcurrentUpdateError } from '../../src/errors.ts';
import type { AppendGroup } from '../../src/ports.ts';
import { SUBJECT_SHARDS, keys, shardOf } from '../../src/tables.ts';
import { ev, newTracker, queueDepth, receiveAll, scanAll, startEmulators, stored, type Emulators } from './tracker-harness.ts';

let emu: Emulators;

beforeAll(async () => {
  emu = await startEmulators();
});

afterAll(async () => {
  await emu?.stop();
});

const A = 'recipients/alpha';
const B = 'recipients/beta';

describe('DynamoDB event log', () => {
  it('appends several subjects in one transaction with gap-free sequences, heads and id records', async () => {
    const { tracker, config } = await newTracker(emu);
    const a1 = stored(ev.registered(A, 'a-1'), 1);
    const a2 = stored(ev.allocation(A, 'a-2', 'p1', 10), 2);
    const b1 = stored(ev.allocation(B, 'b-1', 'p1', 5), 1);
    await tracker.log.append([
      { subject: A, expectedSequence: 0, events: [a1, a2] },
      { subject: B, expectedSequence: 0, events: [b1] },
    ]);
    const a3 = stored(ev.order(A, 'a-3', 'po-1', 7), 3);
    await tracker.log.append([{ subject: A, expectedSequence: 2, events: [a3] }]);

    const heads = await tracker.log.heads([A, B, 'recipients/nobody']);
    expect([...heads.keys()].sort()).toEqual([A, B]);
    expect(heads.get(A)?.sequence).toBe(3);
    expect(heads.get(B)?.sequence).toBe(1);
    expect(heads.get(A)?.recordedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);

    expect(await tracker.log.read(A, { after: 0, limit: 100 })).toEqual([a1.event, a2.event, a3.event]);
    expect(await tracker.log.read(B, { after: 0, limit: 100 })).toEqual([b1.event]);

    const ids = await tracker.log.findIds([
      { source: '/agencies/msit', id: 'a-1' },
      { source: '/agencies/msit', id: 'a-3' },
      { source: '/agencies/msit', id: 'b-1' },
      { source: '/agencies/msit', id: 'unknown' },
      { source: '/companies/other', id: 'a-1' },
    ]);
    expect(Object.fromEntries(ids)).toEqual({
      [targetOf('/agencies/msit', 'a-1')]: { hash: a1.hash, subject: A, sequence: 1, type: 'recipient.registered' },
      [targetOf('/agencies/msit', 'a-3')]: { hash: a3.hash, subject: A, sequence: 3, type: 'procurement.ordered' },
      [targetOf('/agencies/msit', 'b-1')]: { hash: b1.hash, subject: B, sequence: 1, type: 'allocation.announced' },
    });

    // 2 heads + 4 log items + 4 id records, and nothing else.
    const items = await scanAll(tracker, config.EVENTS_TABLE);
    expect(items.map((i) => `${String(i.pk)} ${String(i.sk)}`)).toEqual(
      [
        `${keys.eventId('/agencies/msit', 'a-1').pk} ID`,
        `${keys.eventId('/agencies/msit', 'a-2').pk} ID`,
        `${keys.eventId('/agencies/msit', 'a-3').pk} ID`,
        `${keys.eventId('/agencies/msit', 'b-1').pk} ID`,
        `S#${A} 0000000001`, `S#${A} 0000000002`, `S#${A} 0000000003`, `S#${A} HEAD`,
        `S#${B} 0000000001`, `S#${B} HEAD`,
      ].sort(),
    );
  });

  it('rejects a stale expectedSequence with ConcurrentUpdateError and writes nothing', async () => {
    const { tracker, config } = await newTracker(emu);
    await tracker.log.append([
      { subject: A, expectedSequence: 0, events: [stored(ev.registered(A, 'a-1'), 1), stored(ev.allocation(A, 'a-2', 'p1', 1), 2)] },
    ]);
    const before = await scanAll(tracker, config.EVENTS_TABLE);

    const stale: AppendGroup[][] = [
      // behind the head
      [{ subject: A, expectedSequence: 1, events: [stored(ev.order(A, 'x-1', 'po-1', 1), 2)] }],
      // "first event" of a subject that has events
      [{ subject: A, expectedSequence: 0, events: [stored(ev.order(A, 'x-2', 'po-1', 1), 1)] }],
      // ahead of the head
      [{ subject: A, expectedSequence: 5, events: [stored(ev.order(A, 'x-3', 'po-1', 1), 6)] }],
      // a valid group for a new subject in the same transaction as a stale one: neither is written
      [
        { subject: B, expectedSequence: 0, events: [stored(ev.registered(B, 'x-4'), 1)] },
        { subject: A, expectedSequence: 1, events: [stored(ev.order(A, 'x-5', 'po-1', 1), 2)] },
      ],
    ];
    for (const groups of stale) {
      await expect(tracker.log.append(groups)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    }

    expect(await scanAll(tracker, config.EVENTS_TABLE)).toEqual(before);
    expect(await tracker.log.subjects()).toEqual([A]);
    expect((await tracker.log.heads([A, B])).get(A)?.sequence).toBe(2);
    expect(await tracker.log.findIds([1, 2, 3, 4, 5].map((n) => ({ source: '/agencies/msit', id: `x-${n}` })))).toEqual(new Map());
  });

  it('fails the whole transaction, writing nothing, when an (source, id) is already present', async () => {
    const { tracker, config } = await newTracker(emu);
    const original = stored(ev.registered(A, 'same-id'), 1);
    await tracker.log.append([{ subject: A, expectedSequence: 0, events: [original] }]);
    const before = await scanAll(tracker, config.EVENTS_TABLE);

    // Same (source, id) under another subject, next to a perfectly fresh group.
    const reused = stored(ev.allocation(B, 'same-id', 'p1', 99), 1);
    await expect(
      tracker.log.append([
        { subject: 'recipients/gamma', expectedSequence: 0, events: [stored(ev.registered('recipients/gamma', 'fresh-1'), 1)] },
        { subject: B, expectedSequence: 0, events: [stored(ev.registered(B, 'fresh-2'), 1), { ...reused, event: { ...reused.event, sequence: 2 } }] },
      ]),
    ).rejects.toBeInstanceOf(ConcurrentUpdateError);
    // Same (source, id) again in the same subject, after a correct head.
    await expect(
      tracker.log.append([{ subject: A, expectedSequence: 1, events: [stored(ev.registered(A, 'same-id', { name: 'Other' }), 2)] }]),
    ).rejects.toBeInstanceOf(ConcurrentUpdateError);

    expect(await scanAll(tracker, config.EVENTS_TABLE)).toEqual(before);
    expect(await tracker.log.subjects()).toEqual([A]);
    const ids = await tracker.log.findIds([{ source: '/agencies/msit', id: 'same-id' }, { source: '/agencies/msit', id: 'fresh-1' }]);
    expect([...ids.values()]).toEqual([{ hash: original.hash, subject: A, sequence: 1, type: 'recipient.registered' }]);
  });

  it('reads a subject in sequence order, page by page with after and limit', async () => {
    const { tracker } = await newTracker(emu);
    const all = Array.from({ length: 23 }, (_, i) => stored(ev.allocation(A, `e-${i + 1}`, `p${i % 4}`, i), i + 1));
    // Appended in groups of varying size, as ingest does under load.
    for (const [from, to] of [[0, 1], [1, 8], [8, 9], [9, 23]] as const) {
      await tracker.log.append([{ subject: A, expectedSequence: from, events: all.slice(from, to) }]);
    }
    const events = all.map((s) => s.event);

    expect(await tracker.log.read(A, { after: 0, limit: 1000 })).toEqual(events);
    for (const limit of [1, 5, 10, 23, 50]) {
      const seen: number[] = [];
      for (let after = 0; ; ) {
        const page = await tracker.log.read(A, { after, limit });
        expect(page.length).toBeLessThanOrEqual(limit);
        expect(page).toEqual(events.slice(after, after + limit));
        if (page.length === 0) break;
        seen.push(...page.map((e) => e.sequence));
        after = page.at(-1)!.sequence;
      }
      expect(seen).toEqual(events.map((e) => e.sequence));
    }
    expect(await tracker.log.read(A, { after: 23, limit: 10 })).toEqual([]);
    expect(await tracker.log.read(A, { after: 30, limit: 10 })).toEqual([]);
    expect(await tracker.log.read(B, { after: 0, limit: 10 })).toEqual([]);
  });

  it('lists every subject once, over every shard, recipients and MoUs alike', async () => {
    const { tracker } = await newTracker(emu);
    const subjects = [
      ...Array.from({ length: 30 }, (_, i) => `recipients/r-${i}`),
      ...Array.from({ length: 6 }, (_, i) => `mous/m-${i}`),
    ];
    expect(new Set(subjects.map(shardOf)).size).toBe(SUBJECT_SHARDS);
    expect(await tracker.log.subjects()).toEqual([]);
    await Promise.all(
      subjects.map((s, i) =>
        tracker.log.append([{ subject: s, expectedSequence: 0, events: [stored(s.startsWith('mous/') ? ev.mou(s, `e${i}`, ['msit', 'nvidia']) : ev.registered(s, `e${i}`), 1)] }]),
      ),
    );
    // More events for a few subjects: their heads are updated, not listed again.
    for (const s of subjects.slice(0, 5)) {
      await tracker.log.append([{ subject: s, expectedSequence: 1, events: [stored(ev.allocation(s, `more-${s}`, 'p1', 1), 2)] }]);
    }
    expect(await tracker.log.subjects()).toEqual([...subjects].sort());
  });
});

describe('DynamoDB projection store', () => {
  const eventsOf = (subject: string) => [
    stored(ev.registered(subject, `${subject}-reg`, { name: 'Alpha', sector: 'public' }), 1).event,
    stored(ev.allocation(subject, `${subject}-al1`, 'p1', 100), 2).event,
    stored(ev.allocation(subject, `${subject}-al2`, 'p2', 40), 3).event,
    stored(ev.delivery('shipped', subject, `${subject}-sh`, 's1', 30), 4).event,
  ];

  it('commits the status and its keys together and loads them back', async () => {
    const { tracker, config } = await newTracker(emu);
    const { state, keys: folded } = foldEvents(A, eventsOf(A));
    await tracker.store.commit(state, 0, [...folded.values()]);

    expect(await tracker.store.load(A)).toEqual(state);
    expect(await tracker.store.load(B)).toBeUndefined();
    expect(await tracker.store.loadAllKeys(A)).toEqual(folded);
    expect(await tracker.store.loadAllKeys(B)).toEqual(new Map());
    const some = await tracker.store.loadKeys(A, ['alloc#p2', 'ship#s1', 'order#none']);
    expect(Object.fromEntries(some)).toEqual({ 'alloc#p2': folded.get('alloc#p2'), 'ship#s1': folded.get('ship#s1') });

    const items = await scanAll(tracker, config.STATE_TABLE);
    expect(items.map((i) => `${String(i.pk)} ${String(i.sk)}`)).toEqual(['R#alpha K#alloc#p1', 'R#alpha K#alloc#p2', 'R#alpha K#ship#s1', 'R#alpha STATUS']);
    expect(items.find((i) => i.sk === 'STATUS')).toMatchObject({ appliedSeq: 4, gsi1pk: 'recipients', gsi1sk: 'alpha' });
  });

  it('refuses a commit on a stale watermark with ConcurrentUpdateError and changes nothing', async () => {
    const { tracker, config } = await newTracker(emu);
    const events = eventsOf(A);
    const first = foldEvents(A, events.slice(0, 2));
    await tracker.store.commit(first.state, 0, [...first.keys.values()]);
    const full = foldEvents(A, events);
    await tracker.store.commit(full.state, 2, [...full.keys.values()].filter((k) => k.key !== 'alloc#p1'));
    const before = await scanAll(tracker, config.STATE_TABLE);

    const extra = stored(ev.delivery('received', A, 'a-rcv', 's1', 30), 5).event;
    const next = foldEvents(A, [...events, extra]);
    const changedKeys: KeyState[] = [next.keys.get('ship#s1')!, { key: 'alloc#p9', lists: { gpus: [] } }];
    // with keys (transaction) and without (single put); watermark 0 means "no status yet"
    for (const [expected, changed] of [[2, changedKeys], [0, changedKeys], [3, []], [0, []], [5, changedKeys]] as const) {
      await expect(tracker.store.commit(next.state, expected, changed)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    }
    expect(await scanAll(tracker, config.STATE_TABLE)).toEqual(before);
    expect(await tracker.store.load(A)).toEqual(full.state);

    await tracker.store.commit(next.state, 4, changedKeys.slice(0, 1));
    expect((await tracker.store.load(A))?.appliedSeq).toBe(5);
    expect(await tracker.store.loadAllKeys(A)).toEqual(next.keys);
  });

  it('lists recipients and MoUs separately', async () => {
    const { tracker } = await newTracker(emu);
    const recipients = ['recipients/alpha', 'recipients/beta', 'recipients/gamma'];
    const mous = ['mous/m-1', 'mous/m-2'];
    const events = new Map(recipients.map((s) => [s, eventsOf(s)]));
    for (const s of recipients) {
      const { state, keys: folded } = foldEvents(s, events.get(s)!);
      await tracker.store.commit(state, 0, [...folded.values()]);
    }
    for (const s of mous) {
      const { state } = foldEvents(s, [stored(ev.mou(s, `${s}-signed`, ['msit', 'nvidia']), 1).event]);
      await tracker.store.commit(state, 0, []);
    }
    const listed = await tracker.store.list('recipients');
    expect(listed.map((s) => s.subject).sort()).toEqual(recipients);
    for (const s of listed) expect(s).toEqual(foldEvents(s.subject, events.get(s.subject)!).state);
    const listedMous = await tracker.store.list('mous');
    expect(listedMous.map((s) => s.subject).sort()).toEqual(mous);
    expect(listedMous.every((s) => s.mou.length === 1 && s.appliedSeq === 1)).toBe(true);
  });
});

describe('SQS work queue', () => {
  it('sends one {"subject"} message per subject, in batches of ten', async () => {
    const { tracker, queue } = await newTracker(emu);
    const subjects = [...Array.from({ length: 23 }, (_, i) => `recipients/r-${i}`), 'mous/m-1'];
    await tracker.queue.requestProjection(subjects);
    await tracker.queue.requestProjection([]);

    const messages = await receiveAll(tracker, queue.url);
    expect(messages).toHaveLength(subjects.length);
    for (const m of messages) expect(Object.keys(JSON.parse(m.Body!) as object)).toEqual(['subject']);
    expect(messages.map((m) => (JSON.parse(m.Body!) as { subject: string }).subject).sort()).toEqual([...subjects].sort());
    expect(await queueDepth(tracker, queue.url)).toEqual({ visible: 0, inFlight: subjects.length });
  });
});
