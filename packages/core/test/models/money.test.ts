import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  currencyExponent,
  formatMoney,
  InvalidAmountError,
  parseAmount,
  toDecimalString,
} from "../../src/models/money.js";

describe("currencyExponent", () => {
  it("knows the minor-unit digits of common currencies", () => {
    expect(currencyExponent("GBP")).toBe(2);
    expect(currencyExponent("eur")).toBe(2);
    expect(currencyExponent("JPY")).toBe(0);
    expect(currencyExponent("BHD")).toBe(3);
  });
  it("rejects something that is not a currency code", () => {
    expect(() => currencyExponent("pounds")).toThrow(InvalidAmountError);
  });
});

describe("parseAmount", () => {
  it("parses decimal strings exactly, with no float rounding", () => {
    expect(parseAmount("12.34")).toBe(1234);
    expect(parseAmount("0.29")).toBe(29);
    expect(parseAmount("12.3")).toBe(1230);
    expect(parseAmount("12")).toBe(1200);
    expect(parseAmount(".5")).toBe(50);
    expect(parseAmount("-3.10")).toBe(-310);
    expect(parseAmount("1,234.56")).toBe(123456);
    expect(parseAmount(" 7 ")).toBe(700);
    expect(parseAmount("1500", "JPY")).toBe(1500);
    expect(parseAmount("1.234", "BHD")).toBe(1234);
    expect(parseAmount("-0.00")).toBe(0);
    expect(Object.is(parseAmount("-0"), 0)).toBe(true);
  });

  it.each([
    ["", "is not an amount"],
    ["abc", "is not an amount"],
    ["1e3", "is not an amount"],
    ["12.345", "more decimal places than GBP allows (2)"],
    ["1,23.00", "is not an amount"],
    ["£12", "is not an amount"],
    ["NaN", "is not an amount"],
    ["99999999999999999", "too large"],
  ])("rejects %j with a message saying what is wrong", (text, message) => {
    const error = (() => {
      try {
        parseAmount(text);
      } catch (e) {
        return e;
      }
      throw new Error("did not throw");
    })();
    expect(error).toBeInstanceOf(InvalidAmountError);
    expect((error as InvalidAmountError).message).toContain(message);
    expect((error as InvalidAmountError).code).toBe("money.invalid_amount");
    expect((error as InvalidAmountError).hint).toMatch(/\d/);
  });

  it("a hint for too many decimal places names the two amounts either side of the one typed", () => {
    const hint = (text: string, currency?: string) => {
      try {
        parseAmount(text, currency);
      } catch (e) {
        return (e as InvalidAmountError).hint;
      }
      throw new Error("did not throw");
    };
    expect(hint("1.234")).toBe("Round it to 2 decimal places: 1.23 or 1.24.");
    expect(hint("-1,000.999")).toBe("Round it to 2 decimal places: -1000.99 or -1001.00.");
    expect(hint(".005")).toBe("Round it to 2 decimal places: 0.00 or 0.01.");
    expect(hint("10.5", "JPY")).toBe("Round it to 0 decimal places: 10 or 11.");
  });

  it("rejects decimals in a currency without minor units", () => {
    expect(() => parseAmount("10.5", "JPY")).toThrow(/more decimal places than JPY allows \(0\)/);
  });

  it("round-trips every safe integer through toDecimalString (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
        fc.constantFrom("GBP", "JPY", "BHD", "USD"),
        (minor, currency) => {
          expect(parseAmount(toDecimalString(minor, currency), currency)).toBe(minor);
        },
      ),
    );
  });

  it("agrees with integer arithmetic on pounds and pence (property)", () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.nat({ max: 99 }), (pounds, pence) => {
        const text = `${pounds}.${String(pence).padStart(2, "0")}`;
        expect(parseAmount(text)).toBe(pounds * 100 + pence);
      }),
    );
  });

  it("never throws anything but InvalidAmountError on arbitrary input (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        try {
          const value = parseAmount(text);
          expect(Number.isSafeInteger(value)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidAmountError);
        }
      }),
    );
  });
});

describe("toDecimalString and formatMoney", () => {
  it("pads small amounts and keeps the sign", () => {
    expect(toDecimalString(5)).toBe("0.05");
    expect(toDecimalString(-1234)).toBe("-12.34");
    expect(toDecimalString(0)).toBe("0.00");
    expect(toDecimalString(42, "JPY")).toBe("42");
    expect(toDecimalString(1, "BHD")).toBe("0.001");
  });
  it("refuses a fractional minor-unit amount", () => {
    expect(() => toDecimalString(1.5)).toThrow(InvalidAmountError);
  });
  it("formats with the currency symbol, exactly, even past float precision", () => {
    expect(formatMoney(123456, "GBP")).toBe("£1,234.56");
    expect(formatMoney(-1234, "GBP")).toBe("-£12.34");
    expect(formatMoney(500, "JPY")).toBe("JP¥500");
    expect(formatMoney(Number.MAX_SAFE_INTEGER, "GBP")).toBe("£90,071,992,547,409.91");
  });
});
