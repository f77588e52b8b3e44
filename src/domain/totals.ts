/**
 * National and per-program totals, derived from recipients' statuses. They are sums of the same
 * counters, so they are computed on read rather than kept in one hot item.
 */
import type { MouEntry, RecipientStatus } from './status.ts';
import { type Instant, parseInstant } from './time.ts';

export interface Totals {
  recipients: number;
  allocated: number;
  ordered: number;
  shipped: number;
  inTransit: number;
  delivered: number;
  installed: number;
  remaining: number;
}

export interface Summary extends Totals {
  /** Per sector; recipients not (or no longer) registered count under `unregistered`. */
  bySector: Record<string, Totals>;
  updatedAt: string | null;
}

const emptyTotals = (): Totals => ({
  recipients: 0, allocated: 0, ordered: 0, shipped: 0, inTransit: 0, delivered: 0, installed: 0, remaining: 0,
});

function add(into: Totals, s: RecipientStatus): void {
  into.recipients += 1;
  into.allocated += s.allocated;
  into.ordered += s.ordered;
  into.shipped += s.shipped;
  into.inTransit += s.inTransit;
  into.delivered += s.delivered;
  into.installed += s.installed;
  into.remaining += s.remaining;
}

export function summarize(statuses: readonly RecipientStatus[]): Summary {
  const total = emptyTotals();
  const bySector: Record<string, Totals> = {};
  let latest: { at: Instant; text: string } | undefined;
  for (const s of statuses) {
    add(total, s);
    add((bySector[s.sector ?? 'unregistered'] ??= emptyTotals()), s);
    const at = s.updatedAt ? parseInstant(s.updatedAt) : undefined;
    if (at && (!latest || at > latest.at)) latest = { at, text: s.updatedAt! };
  }
  return {
    ...total,
    bySector: Object.fromEntries(Object.entries(bySector).sort(([a], [b]) => (a < b ? -1 : 1))),
    updatedAt: latest?.text ?? null,
  };
}

export interface ProgramTotals {
  programId: string;
  allocated: number;
  recipients: { recipientId: string; name: string | null; gpus: number }[];
}

/** `undefined` when no recipient has an allocation under the program. */
export function programTotals(programId: string, statuses: readonly RecipientStatus[]): ProgramTotals | undefined {
  const recipients = statuses
    .filter((s) => Object.hasOwn(s.programs, programId))
    .map((s) => ({ recipientId: s.recipientId, name: s.name, gpus: s.programs[programId] ?? 0 }))
    .sort((a, b) => (a.recipientId < b.recipientId ? -1 : 1));
  if (recipients.length === 0) return undefined;
  return { programId, allocated: recipients.reduce((n, r) => n + r.gpus, 0), recipients };
}

export function mousWithParty(mous: readonly MouEntry[], party: string | undefined): MouEntry[] {
  return party ? mous.filter((m) => m.parties.includes(party)) : [...mous];
}
