import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { terminalJson, terminalText } from "../../src/mirror/text.js";

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe("bank text on a terminal", () => {
  it("never keeps a control character, DEL or a bidi override, and keeps everything else in order", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => {
        const safe = terminalText(text);
        expect(UNSAFE.test(safe)).toBe(false);
        const kept = [...text]
          .map((ch) => (/[\t\n\r\v\f]/.test(ch) ? " " : ch))
          .filter((ch) => !UNSAFE.test(ch))
          .join("");
        expect(safe).toBe(kept);
      }),
      { numRuns: 400 },
    );
  });

  it("an escape sequence in a merchant name is shown as text, not obeyed", () => {
    expect(terminalText("Caf\u001b]0;pwned\u0007é\u009b2J\nLondon")).toBe("Caf]0;pwnedé2J London");
    expect(terminalText("\u202egnp.exe")).toBe("gnp.exe");
  });

  it("JSON for a terminal has no raw C1 control or bidi override and parses to the same value", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        const text = terminalJson(value);
        expect(UNSAFE.test(text.replace(/\n/g, ""))).toBe(false);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 500 },
    );
    expect(JSON.parse(terminalJson({ n: 2n ** 60n, small: 5n, blob: new Uint8Array([0, 255]) }))).toEqual({
      n: "1152921504606846976",
      small: 5,
      blob: "00ff",
    });
  });
});
