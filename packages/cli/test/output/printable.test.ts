import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { printable } from "../../src/output/printable.js";

/** Everything a terminal acts on instead of showing, and the bidi controls that reorder text. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

describe("printable", () => {
  it("shows escape sequences, overwrites and reordering as visible text", () => {
    expect(printable("\u001b[2J\u001b[31mYou were logged out")).toBe("\\x1b[2J\\x1b[31mYou were logged out");
    expect(printable("ok\rhacked")).toBe("ok\\x0dhacked");
    expect(printable("\u001b]8;;https://evil.example\u0007here\u001b]8;;\u0007")).toBe(
      "\\x1b]8;;https://evil.example\\x07here\\x1b]8;;\\x07",
    );
    expect(printable("\u009b31m")).toBe("\\x9b31m");
    expect(printable("pay \u202eevil\u202c")).toBe("pay \\u202eevil\\u202c");
    expect(printable("line one\n  → run this")).toBe("line one\\x0a  → run this");
    expect(printable("at a\n\tat b", { multiline: true })).toBe("at a\n\tat b");
  });

  it("leaves ordinary text alone: £, emoji, accents, other scripts", () => {
    for (const text of ["£12.34 at Café Müller", "🍕 Pizza 👨‍👩‍👧", "東京 ラーメン", "שלום", ""])
      expect(printable(text)).toBe(text);
  });

  it("never lets a control character through, and is its own fixed point (property)", () => {
    const hostile = fc.string({ unit: "binary", maxLength: 200 });
    fc.assert(
      fc.property(hostile, fc.boolean(), (text, multiline) => {
        const out = printable(text, { multiline });
        const left = multiline ? out.replace(/[\n\t]/g, "") : out;
        expect(UNSAFE.test(left)).toBe(false);
        expect(printable(out, { multiline })).toBe(out);
        // Nothing safe is lost or changed.
        if (!UNSAFE.test(text)) expect(out).toBe(text);
      }),
      { numRuns: 3000 },
    );
  });
});
