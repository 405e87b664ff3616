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

describe("csv on a terminal", () => {
  // A transaction description as a hostile payee could name it: colour, a window title (OSC 0), a bell.
  const hostile = "Caf\u001b[31mé\u001b]0;pwned\u0007\u009b2J\u202eok";

  it("to a file or a pipe a field is exact; on a terminal its control characters are visible escapes", () => {
    expect(csvField(hostile)).toBe(hostile);
    expect(csvField(hostile, { terminal: true })).toBe("Caf\\x1b[31mé\\x1b]0;pwned\\x07\\x9b2J\\u202eok");
    // Line breaks and tabs are data in CSV (quoted), on a terminal too; a carriage return is not.
    expect(csvField("a\nb\tc\rd", { terminal: true })).toBe('"a\nb\tc\\x0dd"');
    expect(csvRow([hostile, 1], { terminal: true })).toBe(`${csvField(hostile, { terminal: true })},1\r\n`);
    // The formula guard still applies to what is shown.
    expect(csvField("=1\u001b", { terminal: true })).toBe("'=1\\x1b");
  });

  it("nothing a terminal acts on survives in a row for a terminal; a row for a file reads back exact (property)", () => {
    const text = fc.string({ unit: "binary", maxLength: 40 });
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 4 }), (fields) => {
        const shown = csvRow(fields, { terminal: true });
        expect(shown.endsWith("\r\n")).toBe(true);
        expect(
          /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(
            shown.slice(0, -2),
          ),
        ).toBe(false);
        expect(parseCsvRow(csvRow(fields))).toEqual(fields.map(unguard));
      }),
    );
  });
});

/** The fields of one CSV row (RFC 4180), as a spreadsheet reads them back. */
function parseCsvRow(row: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const text = row.replace(/\r\n$/, "");
  for (;;) {
    let field = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        const end = text.indexOf('"', i);
        field += text.slice(i, end);
        i = end + 1;
        if (text[i] === '"') {
          field += '"';
          i++;
        } else break;
      }
    } else {
      const end = text.indexOf(",", i);
      field = text.slice(i, end === -1 ? text.length : end);
      i = end === -1 ? text.length : end;
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++;
  }
}

/** A field as written: the formula guard's leading `'` on text that starts like a formula. */
function unguard(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

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

describe("money's fallback for a currency Intl does not know", () => {
  const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
  it("shows a hostile currency's control characters as escapes, never raw", () => {
    const shown = money(1234, "\u001b]0;OWNED\u0007");
    expect(shown).not.toMatch(UNSAFE);
    expect(shown).toBe("1234 \\x1b]0;OWNED\\x07");
    expect(money(1234, "XBT\u202e")).toBe("1234 XBT\\u202e");
  });

  it("never lets a control character through, whatever the currency (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          fc.constantFrom("\u009b2J", "GB\u0000P", "\u2066EUR"),
        ),
        (amount, currency) => {
          expect(money(amount, currency)).not.toMatch(UNSAFE);
        },
      ),
      { numRuns: 2000 },
    );
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
