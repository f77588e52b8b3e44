/**
 * National and per-program totals and the MoU party filter (CONTRACT §4: `/v1/summary`,
 * `/v1/programs/{programId}`, `/v1/mous?party=`), computed from recipients' statuses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MouEntry, RecipientStatus } from '../../src/domain/status.ts';
import { mousWithParty, programTotals, summarize } from '../../src/domain/totals.ts';

function recipient(recipientId: string, fields: Partial<RecipientStatus> = {}): RecipientStatus {
  const allocated = fields.allocated ?? 0;
  const shipped = fields.shipped ?? 0;
  const delivered = fields.delivered ?? 0;
  return {
    recipientId,
    name: null,
    nameKo: null,
    sector: null,
    programs: {},
    ordered: 0,
    installed: 0,
    sequence: 1,
    lastEventTime: null,
    updatedAt: null,
    ...fields,
    allocated,
    shipped,
    delivered,
    inTransit: shipped - delivered,
    remaining: Math.max(allocated - delivered, 0),
  };
}

const samsung = recipient('samsung', {
  name: 'Samsung', sector: 'private', allocated: 50_000, programs: { 'kr-gpu-260k': 50_000 },
  ordered: 10_000, shipped: 4_000, delivered: 3_000, installed: 1_000, updatedAt: '2026-01-22T06:30:00Z',
});
const sk = recipient('sk-group', {
  name: 'SK Group', sector: 'private', allocated: 50_000, programs: { 'kr-gpu-260k': 50_000, 'ai-ran': 100 },
  ordered: 0, updatedAt: '2026-01-22T06:30:00.5Z',
});
const kisti = recipient('kisti', {
  name: 'KISTI', sector: 'research', allocated: 100, programs: { 'kr-gpu-260k': 100 },
  ordered: 300, shipped: 300, delivered: 300, installed: 300, updatedAt: '2026-01-22T06:30:00Z',
});
const orphan = recipient('orphan', { allocated: 10, programs: { 'kr-gpu-260k': 10 }, shipped: 2, updatedAt: null });

describe('summarize', () => {
  it('is all zeros with no recipients', () => {
    expect(summarize([])).toEqual({
      recipients: 0, allocated: 0, ordered: 0, shipped: 0, inTransit: 0, delivered: 0, installed: 0, remaining: 0,
      bySector: {}, updatedAt: null,
    });
  });

  it('sums every counter nationally and per sector, unregistered recipients under "unregistered"', () => {
    const s = summarize([samsung, orphan, kisti, sk]);
    expect(s).toMatchObject({
      recipients: 4,
      allocated: 100_110,
      ordered: 10_300,
      shipped: 4_302,
      inTransit: 1_002,
      delivered: 3_300,
      installed: 1_300,
      remaining: 47_000 + 50_000 + 0 + 10,
    });
    expect(s.bySector).toEqual({
      private: { recipients: 2, allocated: 100_000, ordered: 10_000, shipped: 4_000, inTransit: 1_000, delivered: 3_000, installed: 1_000, remaining: 97_000 },
      research: { recipients: 1, allocated: 100, ordered: 300, shipped: 300, inTransit: 0, delivered: 300, installed: 300, remaining: 0 },
      unregistered: { recipients: 1, allocated: 10, ordered: 0, shipped: 2, inTransit: 2, delivered: 0, installed: 0, remaining: 10 },
    });
    expect(Object.keys(s.bySector)).toEqual(['private', 'research', 'unregistered']);
  });

  it('takes updatedAt as the latest instant, whatever the fraction width', () => {
    // As strings "…00Z" > "…00.5Z"; as instants .5 is later.
    expect(summarize([samsung, sk, kisti]).updatedAt).toBe('2026-01-22T06:30:00.5Z');
    expect(summarize([sk, samsung]).updatedAt).toBe('2026-01-22T06:30:00.5Z');
    expect(summarize([samsung, orphan]).updatedAt).toBe('2026-01-22T06:30:00Z');
    expect(summarize([orphan]).updatedAt).toBeNull();
    const late = recipient('late', { updatedAt: '2026-01-22T06:30:00.000000001Z' });
    expect(summarize([late, samsung]).updatedAt).toBe('2026-01-22T06:30:00.000000001Z');
  });

  it('totals equal the sum over sectors, in any order (property)', () => {
    const statusArb = fc
      .record({
        id: fc.stringMatching(/^[a-z][a-z0-9-]{1,8}$/),
        sector: fc.constantFrom('public', 'private', 'research', 'academic', null),
        allocated: fc.nat(1000), ordered: fc.nat(1000), shipped: fc.nat(1000), deliveredShare: fc.nat(100),
        ms: fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) }),
      })
      .map(({ id, sector, allocated, ordered, shipped, deliveredShare, ms }) => {
        const delivered = Math.floor((shipped * deliveredShare) / 100);
        return recipient(id, {
          sector, allocated, ordered, shipped, delivered, installed: Math.floor(delivered / 2),
          updatedAt: new Date(ms).toISOString().replace('.000Z', 'Z'),
        });
      });
    fc.assert(
      fc.property(fc.array(statusArb, { maxLength: 12 }), (statuses) => {
        const s = summarize(statuses);
        const counters = ['recipients', 'allocated', 'ordered', 'shipped', 'inTransit', 'delivered', 'installed', 'remaining'] as const;
        for (const c of counters) {
          expect(Object.values(s.bySector).reduce((n, t) => n + t[c], 0)).toBe(s[c]);
        }
        expect(s.allocated).toBe(statuses.reduce((n, r) => n + r.allocated, 0));
        expect(summarize([...statuses].reverse())).toEqual(s);
        const latest = statuses.map((r) => Date.parse(r.updatedAt!)).reduce((a, b) => Math.max(a, b), -Infinity);
        expect(s.updatedAt === null ? null : Date.parse(s.updatedAt)).toBe(statuses.length ? latest : null);
      }),
      { numRuns: 200 },
    );
  });
});

describe('programTotals', () => {
  it('is undefined (404) for a program no recipient has', () => {
    expect(programTotals('unknown-program', [samsung, sk, kisti])).toBeUndefined();
    expect(programTotals('kr-gpu-260k', [])).toBeUndefined();
  });

  it('is undefined for program ids that are names of Object.prototype members', () => {
    // `constructor` is a valid id (^[a-z0-9][a-z0-9-]{1,63}$) and must not match the prototype.
    expect(programTotals('constructor', [samsung, sk, kisti])).toBeUndefined();
  });

  it('counts a program id named like a prototype member when a recipient has it', () => {
    const odd = recipient('odd', { allocated: 5, programs: { constructor: 5 } });
    expect(programTotals('constructor', [samsung, odd])).toEqual({
      programId: 'constructor', allocated: 5, recipients: [{ recipientId: 'odd', name: null, gpus: 5 }],
    });
  });

  it('sums allocations and lists recipients sorted by recipientId', () => {
    expect(programTotals('kr-gpu-260k', [sk, orphan, samsung, kisti])).toEqual({
      programId: 'kr-gpu-260k',
      allocated: 100_110,
      recipients: [
        { recipientId: 'kisti', name: 'KISTI', gpus: 100 },
        { recipientId: 'orphan', name: null, gpus: 10 },
        { recipientId: 'samsung', name: 'Samsung', gpus: 50_000 },
        { recipientId: 'sk-group', name: 'SK Group', gpus: 50_000 },
      ],
    });
    expect(programTotals('ai-ran', [samsung, sk])).toEqual({
      programId: 'ai-ran', allocated: 100, recipients: [{ recipientId: 'sk-group', name: 'SK Group', gpus: 100 }],
    });
  });
});

describe('mousWithParty', () => {
  const mou = (mouId: string, parties: string[]): MouEntry => ({
    mouId, title: mouId, parties, signedAt: '2025-10-31T05:00:00Z', source: '/agencies/msit', sequence: 1, updatedAt: null,
  });
  const mous = [mou('ai-ran-2025', ['msit', 'nvidia', 'samsung']), mou('physical-ai-2025', ['msit', 'hyundai-motor-group', 'nvidia'])];

  it('returns every MoU (as a copy) without a party', () => {
    const all = mousWithParty(mous, undefined);
    expect(all).toEqual(mous);
    expect(all).not.toBe(mous);
  });

  it('keeps the MoUs the party signed', () => {
    expect(mousWithParty(mous, 'nvidia').map((m) => m.mouId)).toEqual(['ai-ran-2025', 'physical-ai-2025']);
    expect(mousWithParty(mous, 'samsung').map((m) => m.mouId)).toEqual(['ai-ran-2025']);
    expect(mousWithParty(mous, 'hyundai-motor-group').map((m) => m.mouId)).toEqual(['physical-ai-2025']);
    expect(mousWithParty(mous, 'lg')).toEqual([]);
    expect(mousWithParty(mous, 'nvidi')).toEqual([]);
  });
});
