/**
 * Instants (CONTRACT §4: "times are compared as instants, never as strings"): parsing RFC 3339
 * with any offset, rejecting what is not a real instant, and the fixed-width form's order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Instant, formatInstant, instantOf, isCalendarDate, maxInstant, parseInstant } from '../../src/domain/time.ts';

const p = (text: string): Instant => {
  const instant = parseInstant(text);
  if (instant === undefined) throw new Error(`expected ${text} to parse`);
  return instant;
};

describe('parseInstant accepts RFC 3339 with an offset', () => {
  it.each([
    ['2025-10-31T09:00:00+09:00', '2025-10-31T00:00:00.000000000Z'],
    ['2025-10-31T00:00:00Z', '2025-10-31T00:00:00.000000000Z'],
    ['2025-10-31t00:00:00z', '2025-10-31T00:00:00.000000000Z'],
    ['2025-10-31T00:00:00+00:00', '2025-10-31T00:00:00.000000000Z'],
    ['2025-10-31T00:00:00-00:00', '2025-10-31T00:00:00.000000000Z'],
    ['2025-10-30T18:30:00-05:30', '2025-10-31T00:00:00.000000000Z'],
    ['2025-12-31T20:00:00-05:30', '2026-01-01T01:30:00.000000000Z'],
    ['2025-01-01T03:00:00+09:00', '2024-12-31T18:00:00.000000000Z'],
    ['2024-03-01T08:59:59+09:00', '2024-02-29T23:59:59.000000000Z'],
    ['2025-10-31T00:00:00.5Z', '2025-10-31T00:00:00.500000000Z'],
    ['2025-10-31T00:00:00.12Z', '2025-10-31T00:00:00.120000000Z'],
    ['2025-10-31T00:00:00.123Z', '2025-10-31T00:00:00.123000000Z'],
    ['2025-10-31T00:00:00.1234Z', '2025-10-31T00:00:00.123400000Z'],
    ['2025-10-31T00:00:00.123456Z', '2025-10-31T00:00:00.123456000Z'],
    ['2025-10-31T09:00:00.123456789+09:00', '2025-10-31T00:00:00.123456789Z'],
    ['2025-10-31T00:00:00.000000001Z', '2025-10-31T00:00:00.000000001Z'],
    ['2025-10-31T23:59:59+23:59', '2025-10-31T00:00:59.000000000Z'],
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000000000Z'],
    ['2000-02-29T12:00:00Z', '2000-02-29T12:00:00.000000000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000000000Z'],
    ['9999-12-31T23:59:59.999999999Z', '9999-12-31T23:59:59.999999999Z'],
  ])('%s is %s', (text, expected) => {
    expect(parseInstant(text)).toBe(expected);
  });

  it('treats the same instant written with different offsets and fraction widths as equal', () => {
    const same = [
      '2025-10-31T09:00:00+09:00',
      '2025-10-31T00:00:00Z',
      '2025-10-31T00:00:00.000z',
      '2025-10-30T18:30:00.000000000-05:30',
      '2025-10-31t05:30:00.0+05:30',
    ].map(p);
    expect(new Set(same).size).toBe(1);
  });

  it('orders instants across offsets, not as strings', () => {
    // String order says the first is later; as instants it is 4 hours earlier.
    expect(p('2025-10-31T10:00:00+09:00') < p('2025-10-31T05:00:00Z')).toBe(true);
    expect(p('2025-10-31T08:59:59+09:00') < p('2025-10-30T23:59:59.000000001Z')).toBe(true);
    expect(p('2025-10-30T20:00:00-05:00') > p('2025-10-31T00:59:59.999999999Z')).toBe(true);
    // "...00Z" > "...00.5Z" as strings ('Z' > '.'), yet .5 is later.
    expect(p('2025-10-31T00:00:00.5Z') > p('2025-10-31T00:00:00Z')).toBe(true);
    expect(p('2025-10-31T00:00:00.000000001Z') > p('2025-10-31T00:00:00Z')).toBe(true);
    expect(maxInstant(p('2025-10-31T10:00:00+09:00'), p('2025-10-31T05:00:00Z'))).toBe(p('2025-10-31T05:00:00Z'));
  });

  it('keeps years below 100 as they are (no 19xx mapping)', () => {
    expect(parseInstant('0050-06-01T00:00:00Z')).toBe('0050-06-01T00:00:00.000000000Z');
    expect(p('0050-06-01T00:00:00Z') < p('1950-06-01T00:00:00Z')).toBe(true);
    expect(parseInstant('0099-12-31T23:00:00-02:00')).toBe('0100-01-01T01:00:00.000000000Z');
    // Year 4 is a leap year (1904 too, but year 100 is not while 2000 is).
    expect(parseInstant('0004-02-29T00:00:00Z')).toBe('0004-02-29T00:00:00.000000000Z');
    expect(parseInstant('0100-02-29T00:00:00Z')).toBeUndefined();
  });
});

describe('parseInstant rejects what is not an instant', () => {
  it.each([
    ['Feb 30', '2025-02-30T00:00:00Z'],
    ['Feb 29 outside a leap year', '2025-02-29T00:00:00Z'],
    ['Feb 29 in 1900', '1900-02-29T00:00:00Z'],
    ['Apr 31', '2025-04-31T00:00:00Z'],
    ['day 32', '2025-01-32T00:00:00Z'],
    ['day 0', '2025-01-00T00:00:00Z'],
    ['month 13', '2025-13-01T00:00:00Z'],
    ['month 0', '2025-00-01T00:00:00Z'],
    ['hour 24', '2025-10-31T24:00:00Z'],
    ['minute 60', '2025-10-31T12:60:00Z'],
    ['second 61', '2025-10-31T12:00:61Z'],
    ['missing offset', '2025-10-31T14:00:00'],
    ['missing offset with fraction', '2025-10-31T14:00:00.123'],
    ['trailing junk', '2025-10-31T14:00:00Zjunk'],
    ['trailing space', '2025-10-31T14:00:00Z '],
    ['trailing newline', '2025-10-31T14:00:00Z\n'],
    ['leading junk', 'x2025-10-31T14:00:00Z'],
    ['offset hour 24', '2025-10-31T14:00:00+24:00'],
    ['offset minute 60', '2025-10-31T14:00:00+09:60'],
    ['offset without colon', '2025-10-31T14:00:00+0900'],
    ['offset hours only', '2025-10-31T14:00:00+09'],
    ['10 fraction digits', '2025-10-31T14:00:00.1234567890Z'],
    ['dot without digits', '2025-10-31T14:00:00.Z'],
    ['no seconds', '2025-10-31T14:00Z'],
    ['date only', '2025-10-31'],
    ['two-digit year', '25-10-31T14:00:00Z'],
    ['five-digit year', '12025-10-31T14:00:00Z'],
    ['one-digit month', '2025-1-31T14:00:00Z'],
    ['non-ASCII digits', '２０２５-10-31T14:00:00Z'],
    ['empty', ''],
    ['year 0', '0000-01-01T00:00:00Z'],
    ['before year 1 after the offset', '0001-01-01T00:00:00+01:00'],
    ['after year 9999 after the offset', '9999-12-31T23:00:00-05:00'],
  ])('%s: %s', (_label, text) => {
    expect(parseInstant(text)).toBeUndefined();
  });
});

/** An instant as (ms since epoch, nanoseconds within the ms), years 1–9999. */
const instantArb = fc.record({
  ms: fc.integer({ min: new Date('0001-01-02T00:00:00Z').getTime(), max: new Date('9999-12-30T00:00:00Z').getTime() }),
  subMs: fc.integer({ min: 0, max: 999_999 }),
  offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
  digits: fc.integer({ min: 0, max: 9 }),
});

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Writes the instant as RFC 3339 in the given offset with `digits` fraction digits (truncating). */
function render(ms: number, subMs: number, offsetMinutes: number, digits: number): string {
  const local = new Date(ms + offsetMinutes * 60_000);
  const nanos = pad((ms % 1000 + 1000) % 1000, 3) + pad(subMs, 6);
  const frac = digits > 0 ? `.${nanos.slice(0, digits)}` : '';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)}` +
    `T${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)}${frac}` +
    (offsetMinutes === 0 && digits % 2 === 0 ? 'Z' : `${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`)
  );
}

/** The instant's total order key, independent of time.ts: nanoseconds since the epoch, truncated like `render`. */
function nanosOf(ms: number, subMs: number, digits: number): bigint {
  const msFloor = BigInt(Math.floor(ms / 1000)) * 1000n;
  const nanos = pad((ms % 1000 + 1000) % 1000, 3) + pad(subMs, 6);
  const kept = digits > 0 ? nanos.slice(0, digits).padEnd(9, '0') : '000000000';
  return msFloor * 1_000_000n + BigInt(kept);
}

describe('parseInstant and formatInstant (properties)', () => {
  it('parses any rendering to the UTC instant it names, and formatInstant round trips', () => {
    fc.assert(
      fc.property(instantArb, ({ ms, subMs, offsetMinutes, digits }) => {
        const text = render(ms, subMs, offsetMinutes, digits);
        const instant = parseInstant(text);
        expect(instant, text).toBeDefined();
        // The same instant written in UTC parses to the same value.
        expect(parseInstant(render(ms, subMs, 0, digits))).toBe(instant);
        expect(instant!.slice(0, 19)).toBe(new Date(ms).toISOString().slice(0, 19));
        expect(instant).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
        const formatted = formatInstant(instant!);
        expect(formatted).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d*[1-9])?Z$/);
        expect(parseInstant(formatted)).toBe(instant);
        expect(formatInstant(parseInstant(formatted)!)).toBe(formatted);
      }),
      { numRuns: 500 },
    );
  });

  it('orders instants as their string order, whatever the offsets they were written with', () => {
    fc.assert(
      fc.property(instantArb, instantArb, (a, b) => {
        const ia = p(render(a.ms, a.subMs, a.offsetMinutes, a.digits));
        const ib = p(render(b.ms, b.subMs, b.offsetMinutes, b.digits));
        const na = nanosOf(a.ms, a.subMs, a.digits);
        const nb = nanosOf(b.ms, b.subMs, b.digits);
        expect(ia < ib).toBe(na < nb);
        expect(ia === ib).toBe(na === nb);
      }),
      { numRuns: 500 },
    );
  });

  it('orders close instants (same second, different offsets and fractions) correctly', () => {
    const near = fc.record({
      ms: fc.integer({ min: Date.UTC(2025, 9, 31), max: Date.UTC(2025, 9, 31) + 3_000 }),
      subMs: fc.integer({ min: 0, max: 999_999 }),
      offsetMinutes: fc.constantFrom(0, 540, -330, 330, -300),
      digits: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(
      fc.property(near, near, (a, b) => {
        const ia = p(render(a.ms, a.subMs, a.offsetMinutes, a.digits));
        const ib = p(render(b.ms, b.subMs, b.offsetMinutes, b.digits));
        const na = nanosOf(a.ms, a.subMs, a.digits);
        const nb = nanosOf(b.ms, b.subMs, b.digits);
        expect(ia < ib).toBe(na < nb);
        expect(ia === ib).toBe(na === nb);
      }),
      { numRuns: 500 },
    );
  });
});

describe('formatInstant, instantOf, isCalendarDate', () => {
  it('drops trailing zero fraction digits only', () => {
    expect(formatInstant(p('2025-10-31T14:00:00+09:00'))).toBe('2025-10-31T05:00:00Z');
    expect(formatInstant(p('2025-10-31T05:00:00.500Z'))).toBe('2025-10-31T05:00:00.5Z');
    expect(formatInstant(p('2025-10-31T05:00:00.000000010Z'))).toBe('2025-10-31T05:00:00.00000001Z');
    expect(formatInstant(p('2025-10-31T05:00:10Z'))).toBe('2025-10-31T05:00:10Z');
  });

  it('instantOf reads a Date at millisecond precision', () => {
    expect(instantOf(new Date('2025-10-31T00:00:00.123Z'))).toBe(p('2025-10-31T00:00:00.123Z'));
    expect(instantOf(new Date('2025-10-31T09:00:00+09:00'))).toBe(p('2025-10-31T00:00:00Z'));
  });

  it.each([
    ['2026-03-31', true],
    ['2024-02-29', true],
    ['2025-02-29', false],
    ['2025-02-30', false],
    ['2025-13-01', false],
    ['2025-00-10', false],
    ['2025-04-31', false],
    ['2025-4-30', false],
    ['31/03/2026', false],
    ['2026-03-31T00:00:00Z', false],
    ['', false],
  ])('isCalendarDate(%j) is %s', (text, expected) => {
    expect(isCalendarDate(text)).toBe(expected);
  });
});
