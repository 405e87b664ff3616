import { MonzoError } from "../errors/monzo-error.js";

/**
 * An amount of money as Monzo sends it: an integer count of the currency's minor units
 * (pence for GBP), negative when money leaves the account. REFERENCE §1.5.
 */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/**
 * Raised when a decimal amount typed by a person cannot be turned into minor units exactly.
 *
 * @example try { parseAmount("12.345") } catch (e) { if (e instanceof InvalidAmountError) console.error(e.hint) }
 */
export class InvalidAmountError extends MonzoError {
  static {
    InvalidAmountError.prototype.name = "InvalidAmountError";
  }

  constructor(message: string, hint: string) {
    super("money.invalid_amount", message, { hint });
  }
}

const exponentCache = new Map<string, number>();

/**
 * How many minor-unit digits a currency has (GBP 2, JPY 0, BHD 3), from the runtime's ISO 4217 data.
 *
 * @example currencyExponent("GBP") // 2
 */
export function currencyExponent(currency: string): number {
  const code = currency.toUpperCase();
  let exponent = exponentCache.get(code);
  if (exponent === undefined) {
    if (!/^[A-Z]{3}$/.test(code)) {
      throw new InvalidAmountError(
        `"${currency}" is not a currency code`,
        "Use a three-letter ISO 4217 code such as GBP.",
      );
    }
    exponent = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions()
      .maximumFractionDigits as number;
    exponentCache.set(code, exponent);
  }
  return exponent;
}

const DECIMAL = /^([+-])?(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d*))?$/;

/**
 * Parses a decimal amount such as `"12.34"` into integer minor units (`1234` for GBP) without floating
 * point, so `"0.29"` is exactly 29 pence. Accepts an optional sign and `,` thousands separators
 * (`"1,234.50"`); rejects more decimal places than the currency has, exponents, and anything else.
 *
 * @param text - what a person typed
 * @param currency - ISO 4217 code; decides how many decimal places are allowed
 * @returns minor units as a safe integer
 * @throws {InvalidAmountError} with a message naming what was wrong
 * @example parseAmount("12.3", "GBP") // 1230
 */
export function parseAmount(text: string, currency = "GBP"): number {
  const exponent = currencyExponent(currency);
  const trimmed = text.trim();
  const match = DECIMAL.exec(trimmed);
  const whole = match?.[2];
  const fraction = match?.[3];
  if (!match || (whole === undefined && !fraction)) {
    throw new InvalidAmountError(
      `"${text}" is not an amount`,
      `Write it as a decimal number of ${currency.toUpperCase()}, e.g. ${example(exponent)}.`,
    );
  }
  const digits = fraction ?? "";
  const negative = match[1] === "-";
  if (digits.length > exponent) {
    // The two amounts either side of the one typed, exactly (the hint must not invent another amount).
    const below = BigInt((whole ?? "0").replaceAll(",", "") + digits.slice(0, exponent));
    const side = (minor: bigint) => decimalOf(negative ? -minor : minor, exponent, negative);
    throw new InvalidAmountError(
      `"${text}" has more decimal places than ${currency.toUpperCase()} allows (${exponent})`,
      `Round it to ${exponent} decimal place${exponent === 1 ? "" : "s"}: ${side(below)} or ${side(below + 1n)}.`,
    );
  }
  const minor = BigInt((whole ?? "0").replaceAll(",", "") + digits.padEnd(exponent, "0"));
  const signed = negative ? -minor : minor;
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new InvalidAmountError(`"${text}" is too large`, "Use an amount below 90 trillion.");
  }
  // -0 is not an amount anyone means; normalise it.
  return Number(signed) || 0;
}

/** `minor` units as a decimal string with `exponent` places, keeping the sign even for zero. */
function decimalOf(minor: bigint, exponent: number, negative: boolean): string {
  const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, "0");
  const sign = negative && minor !== 0n ? "-" : "";
  return exponent === 0 ? sign + digits : `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * The exact decimal string of an amount in minor units (`-1234` GBP → `"-12.34"`).
 *
 * @example toDecimalString(5, "GBP") // "0.05"
 */
export function toDecimalString(amount: number, currency = "GBP"): string {
  if (!Number.isSafeInteger(amount)) {
    throw new InvalidAmountError(
      `${amount} is not a whole number of minor units`,
      "Pass integer minor units.",
    );
  }
  const exponent = currencyExponent(currency);
  const sign = amount < 0 ? "-" : "";
  const digits = String(Math.abs(amount)).padStart(exponent + 1, "0");
  if (exponent === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/**
 * Formats minor units for people with `Intl` (`-1234`, `"GBP"` → `"-£12.34"`), exactly — the value
 * goes to `Intl` as a decimal string, never through a float division.
 *
 * @param locale - BCP 47 locale; defaults to `en-GB`
 * @example formatMoney(123456, "GBP") // "£1,234.56"
 */
export function formatMoney(amount: number, currency = "GBP", locale = "en-GB"): string {
  const code = currency.toUpperCase();
  const exponent = currencyExponent(code);
  const format = new Intl.NumberFormat(locale, {
    style: "currency",
    currency: code,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  return format.format(toDecimalString(amount, code) as `${number}`);
}

function example(exponent: number): string {
  return exponent === 0 ? "12" : `12.${"3".repeat(exponent)}`;
}
