/**
 * Events shaped like a real recipient's log, for the cost and lag measurements: a registration,
 * an allocation now and then, orders, and shipments that are each shipped, received and installed
 * once, so a recipient's status and key items stay small however long its history (unlike the
 * tests' random generator, which keeps correcting the same 12 shipments; `growth.ts` measures
 * that shape too). One event in a hundred retracts the one before it.
 */
import type { TrackerEvent } from '../src/domain/event-schema.ts';
import { rng, shuffle } from '../tests/support/random-events.ts';

const STAGES = ['delivery.shipped', 'delivery.received', 'delivery.installed'] as const;

/** Events `startAt`… of one recipient's log (ids `${prefix}-${n}`), `count` of them. */
export function realisticHistory(recipient: string, count: number, prefix: string, startAt = 0): TrackerEvent[] {
  const subject = `recipients/${recipient}`;
  const source = '/companies/alpha';
  const out: TrackerEvent[] = [];
  for (let n = startAt; out.length < count; n++) {
    const base = { specversion: '1.0' as const, id: `${prefix}-${n}`, source, subject, time: new Date(Date.UTC(2025, 10, 1) + n * 3_600_000).toISOString() };
    if (n === 0) {
      out.push({ ...base, type: 'recipient.registered', data: { name: `Recipient ${recipient}`, sector: 'private' } });
    } else if (n % 100 === 99) {
      out.push({ ...base, type: 'event.retracted', data: { eventId: `${prefix}-${n - 1}`, reason: 'posted in error' } });
    } else if (n % 50 === 1) {
      out.push({ ...base, type: 'allocation.announced', data: { programId: `p-${Math.floor(n / 500)}`, gpus: 1000 + n } });
    } else if (n % 10 === 2) {
      out.push({ ...base, type: 'procurement.ordered', data: { orderId: `o-${Math.floor(n / 10)}`, quantity: 500, gpuModel: 'NVIDIA B200' } });
    } else {
      out.push({
        ...base,
        type: STAGES[n % 3]!,
        data: { shipmentId: `s-${Math.floor(n / 3)}`, quantity: 100, orderId: `o-${Math.floor(n / 10)}`, gpuModel: 'NVIDIA B200' },
      });
    }
  }
  return out;
}

/**
 * `count` events over `recipients` recipients, interleaved in a seeded random order that keeps
 * each recipient's own order (its log is posted as it happened).
 */
export function realisticMix(options: { seed: number; count: number; recipients: number; prefix: string; types?: (type: string) => boolean }): TrackerEvent[] {
  const random = rng(options.seed);
  const per = Math.ceil(options.count / options.recipients);
  const keep = options.types ?? (() => true);
  const logs = Array.from({ length: options.recipients }, (_, r) => {
    const id = `${options.prefix}-r${r}`;
    // Generous, then filtered (the lag test keeps only delivery events).
    return realisticHistory(id, options.types ? per * 3 + 10 : per, id).filter((e) => keep(e.type)).slice(0, per);
  });
  const order = shuffle(logs.flatMap((log, r) => log.map(() => r)), random);
  const next = logs.map(() => 0);
  return order.map((r) => logs[r]![next[r]!++]!).slice(0, options.count);
}
