/**
 * Seeded random CloudEvents for end-to-end tests and benchmarks: a few recipients with programs,
 * orders and shipments through their stages, times with mixed offsets, and retractions of earlier
 * events of the same source and subject.
 */
import type { TrackerEvent } from '../../src/domain/event-schema.ts';

/** Mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const OFFSETS = ['Z', '+09:00', '-05:00', '+05:30'];

function randomTime(random: () => number): string {
  const base = Date.UTC(2025, 10, 1) + Math.floor(random() * 300) * 86_400_000 + Math.floor(random() * 24) * 3_600_000;
  const offset = OFFSETS[Math.floor(random() * OFFSETS.length)]!;
  const shiftMinutes = offset === 'Z' ? 0 : (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4)));
  const local = new Date(base + shiftMinutes * 60_000).toISOString().slice(0, 19);
  return `${local}${offset}`;
}

export interface RandomEventsOptions {
  seed: number;
  count: number;
  recipients: number;
  /** Share of retractions among the events (of earlier events of the same source and subject). */
  retractionShare?: number;
  prefix?: string;
}

/** `count` unique events (distinct `(source, id)`), retractions only of non-retraction events. */
export function randomEvents(options: RandomEventsOptions): TrackerEvent[] {
  const random = rng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const prefix = options.prefix ?? 'e2e';
  const recipients = Array.from({ length: options.recipients }, (_, i) => `${prefix}-r${i}`);
  const sources = ['/companies/alpha', '/companies/beta', '/agencies/msit'];
  const events: TrackerEvent[] = [];
  const retractable: TrackerEvent[] = [];
  for (let n = 0; events.length < options.count; n++) {
    const recipient = pick(recipients);
    const subject = `recipients/${recipient}`;
    const source = pick(sources);
    const base = { specversion: '1.0' as const, id: `${prefix}-${options.seed}-${n}`, source, subject, time: randomTime(random) };
    const roll = random();
    let event: TrackerEvent;
    if (roll < (options.retractionShare ?? 0.05) && retractable.length > 0) {
      const target = pick(retractable.filter((e) => e.subject === subject && e.source === source).concat([]));
      if (!target) continue;
      event = { ...base, type: 'event.retracted', data: { eventId: target.id, reason: 'posted in error' } };
    } else if (roll < 0.1) {
      event = { ...base, type: 'recipient.registered', data: { name: `Recipient ${recipient}`, sector: pick(['public', 'private', 'research'] as const) } };
    } else if (roll < 0.25) {
      event = { ...base, type: 'allocation.announced', data: { programId: pick(['p-one', 'p-two']), gpus: Math.floor(random() * 50_000) } };
    } else if (roll < 0.45) {
      event = { ...base, type: 'procurement.ordered', data: { orderId: `o-${Math.floor(random() * 6)}`, quantity: 1 + Math.floor(random() * 5000), gpuModel: 'NVIDIA B200' } };
    } else {
      const type = pick(['delivery.shipped', 'delivery.received', 'delivery.installed'] as const);
      event = {
        ...base, type,
        data: { shipmentId: `s-${Math.floor(random() * 12)}`, quantity: 1 + Math.floor(random() * 2000), orderId: `o-${Math.floor(random() * 6)}`, gpuModel: 'NVIDIA B200' },
      };
    }
    events.push(event);
    if (event.type !== 'event.retracted') retractable.push(event);
  }
  return events;
}
