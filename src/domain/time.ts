/**
 * Instants. Event `time` comes with any offset; "latest" compares instants, never strings. Every
 * time is normalised once to a fixed-width UTC string with nanoseconds (`Instant`), whose string
 * order is its time order, so it can be compared, stored and used in keys as is.
 */

/** `2025-10-31T05:00:00.000000000Z`: UTC, always 9 fraction digits. */
export type Instant = string & { readonly __instant: unique symbol };

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Parses an RFC 3339 date-time with offset; `undefined` when it is not one (or not a real date). */
export function parseInstant(text: string): Instant | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', z, sign, oh = '0', om = '0'] = m;
  const year = Number(y), month = Number(mo), day = Number(d);
  const hour = Number(h), minute = Number(mi), second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || Number(oh) > 23 || Number(om) > 59) return undefined;
  const offsetMinutes = z ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const utc = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  utc.setUTCFullYear(year);
  utc.setTime(utc.getTime() - offsetMinutes * 60_000);
  if (utc.getUTCFullYear() < 1 || utc.getUTCFullYear() > 9999) return undefined;
  return `${utc.toISOString().slice(0, 19)}.${frac.padEnd(9, '0')}Z` as Instant;
}

/** A `Date` (the server clock) as an instant. */
export function instantOf(date: Date): Instant {
  return `${date.toISOString().slice(0, 23)}000000Z` as Instant;
}

/** The instant as RFC 3339 UTC, trailing zero fraction digits dropped: `2025-10-31T05:00:00Z`. */
export function formatInstant(instant: Instant): string {
  const [whole, frac = ''] = instant.slice(0, -1).split('.');
  const trimmed = frac.replace(/0+$/, '');
  return `${whole}${trimmed ? `.${trimmed}` : ''}Z`;
}

/** The instant as RFC 3339 UTC with exactly 3 fraction digits (server times: sortable as text). */
export function formatMillis(instant: Instant): string {
  return `${instant.slice(0, 23)}Z`;
}

export function maxInstant(a: Instant, b: Instant): Instant {
  return a >= b ? a : b;
}

/** `YYYY-MM-DD` that names a real calendar day. */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const month = Number(m[2]), day = Number(m[3]);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(Number(m[1]), month);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
