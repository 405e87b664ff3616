/**
 * Pounds as people read them, `-£1,234.56`, exactly as `formatMoney(minor, "GBP")` (en-GB) writes them, but
 * without `Intl`: the first currency format in a process loads ICU's locale data, about 45 ms of CPU — a
 * third of `monzo balance` (bench/cli.ts; ADR 0006). Every other currency still goes through `Intl`.
 *
 * @param minor - an amount in pence (a safe integer)
 */
export function formatPounds(minor: number): string {
  const sign = minor < 0 ? "-" : "";
  const pence = Math.abs(minor);
  const pounds = String(Math.floor(pence / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}£${pounds}.${String(pence % 100).padStart(2, "0")}`;
}
