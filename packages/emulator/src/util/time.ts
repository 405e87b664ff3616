/**
 * RFC 3339 in UTC with millisecond precision and trailing zeros trimmed, as Monzo emits
 * (`2022-08-31T02:02:20.44Z`, `2022-08-30T06:00:00Z`). REFERENCE §1.6.
 */
export function formatTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const millis = ms - Math.floor(ms / 1000) * 1000;
  if (millis === 0) return `${iso.slice(0, 19)}Z`;
  if (millis % 100 === 0) return `${iso.slice(0, 21)}Z`;
  if (millis % 10 === 0) return `${iso.slice(0, 22)}Z`;
  return iso;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 timestamp (0–9 fractional digits, `Z` or an offset) to epoch ms, or `undefined`. */
export function parseTime(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, , mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const normalised = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m[7] ?? "").slice(0, 4)}${m[8]!.toUpperCase()}`;
  const ms = Date.parse(normalised);
  return Number.isNaN(ms) ? undefined : ms;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
