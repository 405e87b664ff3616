import { UsageError } from "../errors.js";

/**
 * The time zone times are shown in: UTC with `--utc`, else `TZ` from the environment when it names a
 * zone the runtime knows, else the system's own. `undefined` means the system zone.
 */
export function timeZoneFor(env: Record<string, string | undefined>, utc: boolean): string | undefined {
  if (utc) return "UTC";
  const tz = env["TZ"]?.replace(/^:/, "");
  if (!tz) return undefined;
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatIn(zone: string | undefined): Intl.DateTimeFormat {
  const key = zone ?? "";
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      ...(zone ? { timeZone: zone } : {}),
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    });
    formats.set(key, format);
  }
  return format;
}

function parts(ms: number, zone: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of formatIn(zone).formatToParts(ms)) out[p.type] = p.value;
  return out;
}

/**
 * An instant for people, in `zone` with the zone's name: `2026-11-30 10:56 GMT` (`2026-06-30 11:56 BST`
 * in summer in London, `2026-11-30 10:56 UTC` with `--utc`). Text that is not a time is returned as it is.
 *
 * @example formatInstant("2026-11-30T10:56:31.7Z", "Europe/London") // "2026-11-30 10:56 GMT"
 */
export function formatInstant(
  value: string | number,
  zone: string | undefined,
  options: { seconds?: boolean } = {},
): string {
  const ms = typeof value === "number" ? value : Date.parse(value);
  if (Number.isNaN(ms)) return String(value);
  const p = parts(ms, zone);
  const name = zone === "UTC" ? "UTC" : (p["timeZoneName"] ?? "");
  return `${p["year"]}-${p["month"]}-${p["day"]} ${p["hour"]}:${p["minute"]}${options.seconds ? `:${p["second"]}` : ""} ${name}`.trimEnd();
}

/** The whole instant, with digits beyond the millisecond that `Date.parse` drops (RFC 3339 allows nine). */
function instantKey(value: string): [number, number] {
  const ms = Date.parse(value);
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? "";
  return [Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms, Number(fraction.slice(3, 9).padEnd(6, "0"))];
}

/**
 * Orders two RFC 3339 times by the instants they name, not by their text (`…31.7Z` is after `…31.692Z`,
 * though it sorts before it as a string).
 *
 * @example ["2026-01-01T10:00:31.7Z", "2026-01-01T10:00:31.692Z"].sort(compareInstants)
 */
export function compareInstants(a: string, b: string): number {
  const [am, an] = instantKey(a);
  const [bm, bn] = instantKey(b);
  return am !== bm ? (am < bm ? -1 : 1) : an - bn;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

/** The UTC offset of `zone` at instant `ms`, in ms (positive east of Greenwich). */
function offsetAt(ms: number, zone: string | undefined): number {
  const p = parts(ms, zone);
  const asUtc = Date.UTC(
    Number(p["year"]),
    Number(p["month"]) - 1,
    Number(p["day"]),
    Number(p["hour"]),
    Number(p["minute"]),
    Number(p["second"]),
  );
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** Midnight starting day `y-m-d` in `zone`, as an instant. */
function midnightIn(y: number, m: number, d: number, zone: string | undefined): number {
  const wall = Date.UTC(y, m - 1, d);
  // Two passes settle the offset across a daylight-saving change (the second uses the offset in force then).
  let ms = wall - offsetAt(wall, zone);
  ms = wall - offsetAt(ms, zone);
  return ms;
}

/**
 * A `--since`/`--before` time, strictly: `YYYY-MM-DD` (midnight starting that day in `zone`) or an RFC 3339
 * time with seconds and an offset (`2026-01-31T12:00:00Z`, `2026-01-31T12:00:00+01:00`). Anything else —
 * `01/02/2026`, `2026-02-30`, `2026-1-5`, a time without its zone — is a usage error, never a guess.
 *
 * @returns the instant, as an RFC 3339 UTC string with milliseconds
 * @example parseWhen("2026-01-31", "--since", "UTC") // "2026-01-31T00:00:00.000Z"
 */
export function parseWhen(text: string, option: string, zone: string | undefined): string {
  const fail = (why: string) =>
    new UsageError(
      `${option} "${text}" ${why}`,
      "Use YYYY-MM-DD (midnight in your time zone, or UTC with --utc) or an RFC 3339 time like 2026-01-31T12:00:00Z.",
    );
  const date = DATE.exec(text);
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    if (!validDay(y, m, d)) throw fail("is not a day of the calendar");
    return new Date(midnightIn(y, m, d, zone)).toISOString();
  }
  const t = RFC3339.exec(text);
  if (!t) throw fail("is not a date");
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(t[i]));
  if (!validDay(y!, mo!, d!)) throw fail("is not a day of the calendar");
  if (h! > 23 || mi! > 59 || s! > 59) throw fail("is not a time of day");
  if (t[9] && (Number(t[10]) > 23 || Number(t[11]) > 59)) throw fail("has an offset that does not exist");
  const ms = Date.parse(text.replace(" ", "T"));
  if (Number.isNaN(ms)) throw fail("is not a date");
  return new Date(ms).toISOString();
}
