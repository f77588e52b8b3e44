/**
 * The projection path against DynamoDB Local and fauxqs: the SQS handler (one run per subject per
 * batch, poison messages failing alone, redelivery harmless), concurrent projector runs racing
 * ingestion ending exactly at the pure fold of the log, and the reconciler repairing lost enqueues.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectorHandler } from '../../src/consumers/projector-handler.ts';
import type { StoredEvent, TrackerEvent } from '../../src/domain/event-schema.ts';
import { CANDIDATE_CAP, capFold, equivalentKey, equivalentState, foldEvents, recipientView } from '../../src/domain/status.ts';
import { ConcurrentUpdateError } from '../../src/errors.ts';
import { createTracker } from '../../src/runtime.ts';
import type { ProjectionRun, Projector } from '../../src/services/projector.ts';
import {
  asAdmin, ev, newTracker, receiveAll, sqsEvent, sqsEventOf, startEmulators, stored, type Emulators, type TestTracker,
} from './tracker-harness.ts';

let emu: Emulators;

beforeAll(async () => {
  emu = await startEmulators();
});

afterAll(async () => {
  await emu?.stop();
});

const A = 'recipients/alpha';
const B = 'recipients/beta';
const M = 'mous/m-1';

async function logOf(t: TestTracker, subject: string): Promise<StoredEvent[]> {
  return t.tracker.log.read(subject, { after: 0, limit: 100_000 });
}

/**
 * The stored projection says what the pure fold of the whole log says: the same status, the same
 * keys with the same latest candidates, no list over the cap. (Stored lists are capped; after
 * retractions a capped list may keep fewer candidates than the capped fold's, so lists are compared
 * by their latest candidate, as `npm run rebuild` does.)
 */
async function expectProjectionEqualsFold(t: TestTracker, subject: string): Promise<void> {
  const reference = foldEvents(subject, await logOf(t, subject));
  const capped = capFold(reference);
  const state = await t.tracker.store.load(subject);
  expect(recipientView(state!)).toEqual(recipientView(reference.state));
  expect(equivalentState(state, capped.state)).toBe(true);
  const keys = await t.tracker.store.loadAllKeys(subject);
  expect([...keys.keys()].sort()).toEqual([...capped.keys.keys()].sort());
  for (const [name, ks] of keys) {
    expect(equivalentKey(ks, capped.keys.get(name)), name).toBe(true);
    for (const list of Object.values(ks.lists)) expect(list!.length).toBeLessThanOrEqual(CANDIDATE_CAP);
  }
}

/** The tracker's projector, counting its calls by subject. */
function spyOn(t: TestTracker) {
  const calls: string[] = [];
  const runs: ProjectionRun[] = [];
  const project: Projector = async (subject) => {
    calls.push(subject);
    const run = await t.tracker.project(subject);
    runs.push(run);
    return run;
  };
  return { calls, runs, project };
}

async function seed(t: TestTracker): Promise<void> {
  await t.tracker.ingest([
    ev.registered(A, 'reg-a', { name: 'Alpha', sector: 'private' }),
    ev.allocation(A, 'al-a', 'p1', 100),
    ev.delivery('shipped', A, 'sh-a', 's1', 30),
    ev.registered(B, 'reg-b', { name: 'Beta', sector: 'research' }),
    ev.allocation(B, 'al-b', 'p1', 40),
    ev.mou(M, 'mou-1', ['alpha', 'nvidia']),
  ]);
}

describe('projector SQS handler', () => {
  it('projects each subject once per batch, however many messages name it', async () => {
    const t = await newTracker(emu);
    await seed(t);
    const spy = spyOn(t);
    const handler = createProjectorHandler(spy.project);
    const out = await handler(sqsEvent([
      JSON.stringify({ subject: A }),
      JSON.stringify({ subject: A }),
      JSON.stringify({ subject: B }),
      `{ "subject" : "${A}" }`,
      JSON.stringify({ subject: M }),
      JSON.stringify({ subject: B }),
    ]));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(spy.calls).toEqual([A, B, M]);
    const bySubject = Object.fromEntries(spy.runs.map((r) => [r.subject, [r.applied, r.commits, r.appliedSeq]]));
    expect(bySubject).toEqual({ [A]: [3, 1, 3], [B]: [2, 1, 2], [M]: [1, 1, 1] });
    for (const s of [A, B, M]) await expectProjectionEqualsFold(t, s);
    expect(recipientView((await t.tracker.store.load(A))!)).toMatchObject({ allocated: 100, shipped: 30, inTransit: 30, remaining: 100 });
  });

  it('reports only the poison messages in batchItemFailures; the others succeed', async () => {
    const t = await newTracker(emu);
    await seed(t);
    const spy = spyOn(t);
    const event = sqsEvent([
      JSON.stringify({ subject: A }),
      'not json at all',
      JSON.stringify({ subject: 'people/alpha' }),
      JSON.stringify({ subject: 'recipients/Alpha' }),
      JSON.stringify({ subject: B, extra: 1 }),
      '{}',
      JSON.stringify(A),
      JSON.stringify({ subject: B }),
      '',
    ]);
    const out = await createProjectorHandler(spy.project)(event);
    const poison = event.Records.filter((_, i) => ![0, 7].includes(i)).map((r) => r.messageId);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([...poison].sort());
    expect(spy.calls).toEqual([A, B]);
    await expectProjectionEqualsFold(t, A);
    await expectProjectionEqualsFold(t, B);
    expect(await t.tracker.store.load(M)).toBeUndefined();
  });

  it('changes nothing when the same batch is delivered again, one after the other or overlapping', async () => {
    const t = await newTracker(emu);
    await seed(t);
    const event = sqsEvent([A, B, M, A].map((subject) => JSON.stringify({ subject })));
    const handler = createProjectorHandler(t.tracker.project);
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const first = await Promise.all([A, B, M].map((s) => t.tracker.store.load(s)));

    const spy = spyOn(t);
    expect(await createProjectorHandler(spy.project)(event)).toEqual({ batchItemFailures: [] });
    expect(spy.runs.map((r) => r.applied)).toEqual([0, 0, 0]);
    expect(await Promise.all([A, B, M].map((s) => t.tracker.store.load(s)))).toEqual(first);

    // Overlapping redeliveries (a visibility timeout ran out while the first was still running).
    await t.tracker.ingest([ev.delivery('received', A, 'rc-a', 's1', 30), ev.allocation(B, 'al-b2', 'p2', 7)]);
    const outs = await Promise.all([handler(event), handler(event), handler(event)]);
    for (const out of outs) expect(out).toEqual({ batchItemFailures: [] });
    for (const s of [A, B, M]) await expectProjectionEqualsFold(t, s);
    expect(recipientView((await t.tracker.store.load(A))!)).toMatchObject({ shipped: 30, delivered: 30, inTransit: 0, remaining: 70, sequence: 4 });
    expect(recipientView((await t.tracker.store.load(B))!)).toMatchObject({ allocated: 47, sequence: 3 });
  });
});

/** Deterministic pseudo-random numbers (LCG), so a failure replays the same events. */
function random(seed: number) {
  let x = seed;
  return (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
}

/** Events for one subject that update the same keys again and again, with retractions. */
function busyEvents(subject: string, prefix: string, count: number, seed: number): TrackerEvent[] {
  const r = random(seed);
  const out: TrackerEvent[] = [];
  const time = () => `2026-0${1 + r(9)}-1${r(10)}T${10 + r(10)}:${10 + r(50)}:00+09:00`;
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${i}`;
    const pick = r(10);
    if (pick < 2) out.push(ev.allocation(subject, id, `p${r(3)}`, r(1000), { time: time() }));
    else if (pick < 3) out.push(ev.order(subject, id, `o${r(3)}`, 1 + r(500), { time: time() }));
    else if (pick < 7) {
      const stage = (['shipped', 'received', 'installed'] as const)[r(3)]!;
      out.push(ev.delivery(stage, subject, id, `s${r(6)}`, 1 + r(200), { time: time() }));
    } else if (pick < 8) out.push(ev.registered(subject, id, { name: `Name ${i}`, sector: 'public' }, { time: time() }));
    else if (i > 0) {
      // Mostly an earlier event, sometimes one that comes later (the retraction arrives first).
      const target = r(4) === 0 ? Math.min(count - 1, i + 1 + r(3)) : r(i);
      const targetEvent = out[target];
      if (target > i || (targetEvent && targetEvent.type !== 'event.retracted')) {
        out.push(ev.retraction(subject, id, `${prefix}-${target}`, { time: time() }));
      } else out.push(ev.allocation(subject, id, 'p9', r(100), { time: time() }));
    } else out.push(ev.allocation(subject, id, 'p9', r(100), { time: time() }));
  }
  // Retractions must not target retractions: re-point those that would.
  return out.map((e, i) => {
    if (e.type !== 'event.retracted') return e;
    const target = Number(e.data.eventId.split('-').at(-1));
    return out[target]?.type === 'event.retracted' ? ev.allocation(subject, `${prefix}-${i}`, 'p8', i, { time: e.time }) : e;
  });
}

describe('capped candidate lists', () => {
  it('keeps a corrected key small; retracting every kept candidate rebuilds the list from the log', async () => {
    const t = await newTracker(emu);
    const at = (day: number) => ({ time: `2025-11-${String(day).padStart(2, '0')}T00:00:00Z` });
    const corrections = Array.from({ length: 10 }, (_, i) => ev.allocation(A, `fix-${i + 1}`, 'p1', 100 + i + 1, at(i + 1)));
    await t.tracker.ingest(corrections);
    await t.tracker.project(A);
    const trimmed = (await t.tracker.store.loadAllKeys(A)).get('alloc#p1')!;
    expect(trimmed.lists.gpus!.map((c) => c.id).sort()).toEqual(['fix-10', 'fix-7', 'fix-8', 'fix-9']);
    expect(trimmed.trimmed).toEqual(['gpus']);
    expect(recipientView((await t.tracker.store.load(A))!)).toMatchObject({ allocated: 110 });

    // Retract the four kept candidates, then one of those the log gives back: the rest comes from the log.
    const retractions = ['fix-10', 'fix-9', 'fix-8', 'fix-7', 'fix-5'].map((id, i) => ev.retraction(A, `rx-${i}`, id, at(20)));
    await t.tracker.ingest(retractions);
    const run = await t.tracker.project(A);
    expect(run.applied).toBe(5);
    const rebuilt = (await t.tracker.store.loadAllKeys(A)).get('alloc#p1')!;
    // Refilled with fix-3…6 when fix-7 went; fix-5 went after; fix-1 and fix-2 are still left out.
    expect(rebuilt.lists.gpus!.map((c) => c.id).sort()).toEqual(['fix-3', 'fix-4', 'fix-6']);
    expect(rebuilt.trimmed).toEqual(['gpus']);
    expect(recipientView((await t.tracker.store.load(A))!)).toMatchObject({ allocated: 106, programs: { p1: 106 }, lastEventTime: '2025-11-06T00:00:00Z' });
    await expectProjectionEqualsFold(t, A);
  });
});

describe('concurrent projection', () => {
  it('two projectors racing each other and ingestion end equal to the fold of the log, nothing counted twice', async () => {
    const t = await newTracker(emu);
    const first = busyEvents(A, 'x', 60, 7);
    const second = busyEvents(A, 'y', 60, 11);
    expect(first.some((e) => e.type === 'event.retracted')).toBe(true);

    let ingesting = true;
    const runs: ProjectionRun[] = [];
    let gaveUp = 0;
    const projectLoop = async () => {
      while (ingesting) {
        try {
          runs.push(await t.tracker.project(A));
        } catch (error) {
          // A run that keeps losing races gives up (ConcurrentUpdateError); its SQS message would be
          // redelivered. Losing is safe (someone else committed): only the end state matters here.
          if (!(error instanceof ConcurrentUpdateError)) throw error;
          gaveUp++;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    };
    const ingestStream = async (events: TrackerEvent[], via: 'app' | 'service') => {
      for (let i = 0; i < events.length; i += 3) {
        const batch = events.slice(i, i + 3);
        if (via === 'service') await t.tracker.ingest(batch);
        else {
          const res = await t.app.request('/v1/events', {
            method: 'POST', headers: { ...asAdmin, 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(batch),
          });
          expect(res.status, await res.clone().text()).toBe(202);
        }
      }
    };
    const loops = [projectLoop(), projectLoop()];
    await Promise.all([ingestStream(first, 'app'), ingestStream(second, 'service')]);
    ingesting = false;
    await Promise.all(loops);
    runs.push(...(await Promise.all([t.tracker.project(A), t.tracker.project(A)])));

    const log = await logOf(t, A);
    expect(log.map((e) => e.sequence)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(new Set(log.map((e) => e.id)).size).toBe(120);
    await expectProjectionEqualsFold(t, A);
    const reference = foldEvents(A, log);
    expect(recipientView((await t.tracker.store.load(A))!)).toEqual(recipientView(reference.state));
    // Every run commits once (fewer than 99 keys): each event was folded in by exactly one run.
    expect(runs.every((r) => r.commits <= 1)).toBe(true);
    expect(runs.reduce((n, r) => n + r.applied, 0), `${runs.length} runs, ${gaveUp} gave up`).toBe(120);
    expect(runs.filter((r) => r.applied > 0).length).toBeGreaterThan(1);
  });
});

describe('reconciler', () => {
  it('re-queues the subjects whose log is ahead of their projection (a lost enqueue), and only those', async () => {
    const t = await newTracker(emu, { RECONCILE_GRACE_SECONDS: '0' });
    const synced = 'recipients/synced';
    const partly = 'recipients/partly';
    const lost = 'recipients/lost';
    await t.tracker.ingest([ev.registered(synced, 'reg-synced'), ev.registered(partly, 'reg-partly')]);
    await t.tracker.project(synced);
    await t.tracker.project(partly);
    // Writes the log as ingest does, but the enqueue that should follow never happens.
    await t.tracker.log.append([
      { subject: lost, expectedSequence: 0, events: [stored(ev.registered(lost, 'reg-lost'), 1), stored(ev.allocation(lost, 'al-lost', 'p1', 9), 2)] },
      { subject: partly, expectedSequence: 1, events: [stored(ev.allocation(partly, 'al-partly', 'p1', 3), 2)] },
    ]);
    await receiveAll(t.tracker, t.queue.url); // what ingest queued is taken (and left in flight)

    expect(await t.tracker.reconcile()).toEqual({ subjects: 3, requeued: [lost, partly] });
    const messages = await receiveAll(t.tracker, t.queue.url);
    expect(messages.map((m) => JSON.parse(m.Body!) as unknown).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)))
      .toEqual([{ subject: lost }, { subject: partly }]);

    // The re-queued messages, handled as Lambda would deliver them, repair the projections.
    expect(await createProjectorHandler(t.tracker.project)(sqsEventOf(messages))).toEqual({ batchItemFailures: [] });
    for (const s of [synced, partly, lost]) await expectProjectionEqualsFold(t, s);
    expect(recipientView((await t.tracker.store.load(lost))!)).toMatchObject({ allocated: 9, sequence: 2 });
    expect(await t.tracker.reconcile()).toEqual({ subjects: 3, requeued: [] });
    expect(await receiveAll(t.tracker, t.queue.url)).toEqual([]);
  });

  it('leaves a subject alone during the grace period', async () => {
    const t = await newTracker(emu);
    expect(t.config.RECONCILE_GRACE_SECONDS).toBe(30);
    const lost = 'recipients/lost';
    await t.tracker.log.append([{ subject: lost, expectedSequence: 0, events: [stored(ev.registered(lost, 'reg-lost'), 1)] }]);

    expect(await t.tracker.reconcile()).toEqual({ subjects: 1, requeued: [] });
    expect(await receiveAll(t.tracker, t.queue.url)).toEqual([]);

    const later = createTracker(t.config, emu.clients, { now: () => new Date(Date.now() + 31_000) });
    expect(await later.reconcile()).toEqual({ subjects: 1, requeued: [lost] });
    expect((await receiveAll(t.tracker, t.queue.url)).map((m) => m.Body)).toEqual([JSON.stringify({ subject: lost })]);
  });
});
