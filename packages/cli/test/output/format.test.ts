import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvField, csvRow, money } from "../../src/output/format.js";
import { table } from "../../src/output/table.js";

describe("csv", () => {
  it("guards against spreadsheet formula injection and quotes per RFC 4180", () => {
    expect(csvField('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvField("+1")).toBe("'+1");
    expect(csvField("-cmd")).toBe("'-cmd");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField("\tx")).toBe("'\tx");
    expect(csvField(-12.34)).toBe("-12.34");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField("line\nbreak")).toBe('"line\nbreak"');
    expect(csvField(null)).toBe("");
    expect(csvRow(["a", 1])).toBe("a,1\r\n");
  });
  it("no text field ever starts with a formula character unquoted (property)", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const field = csvField(s);
        const inner = field.startsWith('"') ? field.slice(1) : field;
        expect(/^[=+\-@\t\r]/.test(inner)).toBe(false);
      }),
    );
  });
});

describe("table and money", () => {
  it("aligns columns and formats money in its currency", () => {
    expect(money(-1234, "GBP")).toBe("-£12.34");
    expect(money(500, "JPY")).toBe("JP¥500");
    const t = table(
      [
        { a: "x", b: "£1.00" },
        { a: "longer", b: "£10.00" },
      ],
      ["a", "b"],
      { right: ["b"] },
    );
    expect(t).toBe("A            B\nx        £1.00\nlonger  £10.00\n");
  });
});

describe("money for scripts", () => {
  it("writes pounds exactly as core's toDecimalString, without asking Intl (property)", async () => {
    const { decimal } = await import("../../src/output/format.js");
    const { toDecimalString } = await import("@monzokit/core");
    fc.assert(
      fc.property(fc.maxSafeInteger(), (pence) => {
        expect(decimal(pence, "GBP")).toBe(toDecimalString(pence, "GBP"));
      }),
    );
  });

  it("is the exact decimal string in the currency, and CSV writes it as a number with its decimals", async () => {
    const { CsvDecimal, decimal, decimalOrNull } = await import("../../src/output/format.js");
    expect(decimal(100, "GBP")).toBe("1.00");
    expect(decimal(-1234, "GBP")).toBe("-12.34");
    expect(decimal(500, "JPY")).toBe("500");
    expect(decimal(5, "??")).toBe("5");
    expect(decimal(-5, "GBP")).toBe("-0.05");
    expect(decimal(0, "GBP")).toBe("0.00");
    expect(decimalOrNull(undefined, "GBP")).toBeNull();
    expect(csvRow([new CsvDecimal("1.00"), new CsvDecimal("-12.34")])).toBe("1.00,-12.34\r\n");
    expect(() => new CsvDecimal("=1+1")).toThrow();
  });
});
