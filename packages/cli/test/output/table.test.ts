import fc from "fast-check";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { printable } from "../../src/output/printable.js";
import { displayWidth, renderTable, truncate } from "../../src/output/table.js";

/** Anything a terminal would act on, or that reorders text, rather than show. */
const ACTIVE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const graphemes = (s: string) => [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(s)];

/** Text as bank data comes: ASCII, accents, East Asian wide characters, emoji and ZWJ sequences, controls. */
const bankText = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(
        "é",
        "ñ",
        "ü",
        "東京",
        "ラーメン",
        "한국",
        "🍕",
        "✈️",
        "👨‍👩‍👧",
        "🏳️‍🌈",
        "👍🏽",
        "e\u0301",
      ),
      fc.constantFrom("\u001b[2J", "\n", "\t", "\r", "\u009b", "\u202e", "\u2028", "\u0007"),
      fc.string({ unit: "binary", maxLength: 4 }),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(""));

describe("displayWidth", () => {
  it("counts emoji, ZWJ sequences and East Asian wide characters as two cells, marks as none", () => {
    expect(displayWidth("abc")).toBe(3);
    expect(displayWidth("東京")).toBe(4);
    expect(displayWidth("🍕")).toBe(2);
    expect(displayWidth("👨‍👩‍👧")).toBe(2);
    expect(displayWidth("Holiday ✈️")).toBe(10);
    expect(displayWidth("e\u0301")).toBe(1);
  });

  it("is additive over characters of known width (property)", () => {
    const unit = fc.constantFrom(
      ["a", 1],
      ["Z", 1],
      ["£", 1],
      ["é", 1],
      ["東", 2],
      ["ラ", 2],
      ["🍕", 2],
      ["👨‍👩‍👧", 2],
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 30 }), (units) => {
        const text = units.map(([c]) => c).join("");
        expect(displayWidth(text)).toBe(units.reduce((sum, [, w]) => sum + (w as number), 0));
      }),
    );
  });
});

describe("truncate", () => {
  it("cuts by whole graphemes with an ellipsis", () => {
    expect(truncate("Pret A Manger", 8)).toBe("Pret A …");
    expect(truncate("Pret", 8)).toBe("Pret");
    expect(truncate("👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧", 5)).toBe("👨‍👩‍👧👨‍👩‍👧…");
    expect(truncate("東京ラーメン", 6)).toBe("東京…");
    expect(truncate("abc", 0)).toBe("");
    expect(truncate("abc", 1)).toBe("…");
  });

  it("never exceeds the width, keeps a prefix of whole graphemes, and leaves what fits alone (property)", () => {
    fc.assert(
      fc.property(bankText, fc.integer({ min: 1, max: 40 }), (text, width) => {
        const out = truncate(text, width);
        expect(stringWidth(out)).toBeLessThanOrEqual(width);
        if (stringWidth(text) <= width) expect(out).toBe(text);
        else {
          expect(out.endsWith("…")).toBe(true);
          const kept = out.slice(0, -1);
          expect(text.startsWith(kept)).toBe(true);
          // The cut falls between graphemes.
          expect(graphemes(text).map((g) => g.index)).toContain(kept.length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("renderTable", () => {
  const rows = [
    { id: "pot_0000AbCdEfGhIjKlMnOp", name: "Holiday ✈️", balance: "£1,234.56" },
    { id: "pot_0000QrStUvWxYzAbCdEf", name: "東京 trip 👨‍👩‍👧", balance: "£5.00" },
  ];
  const columns = [{ key: "id", shrink: false }, "name", { key: "balance", align: "right" as const }];

  it("aligns columns by display width, money on the right", () => {
    const out = renderTable(rows, columns).split("\n");
    expect(out[0]).toMatch(/^ID {24}NAME {12}BALANCE$/);
    const ends = out.slice(0, 3).map((l) => stringWidth(l));
    expect(new Set(ends).size).toBe(1);
    expect(out[2]).toMatch(/東京 trip 👨‍👩‍👧 +£5\.00$/);
  });

  it("shows bank text's escapes, newlines and tabs as visible text: a row stays one line", () => {
    const out = renderTable([{ name: "Caf\u001b[2J\u001b[31mé\nnext\tcol\u202e" }], ["name"]);
    expect(out).toBe("NAME\nCaf\\x1b[2J\\x1b[31mé\\x0anext\\x09col\\u202e\n");
  });

  it("cuts long text with an ellipsis to the terminal's width, and drops optional columns first", () => {
    const long = [
      {
        date: "2026-11-30 10:56 GMT",
        description: "A".repeat(60),
        category: "eating_out",
        id: "tx_0000AbCdEfGhIjKlMnOpQr",
      },
    ];
    const cols = [
      { key: "date", shrink: false },
      { key: "description", min: 12 },
      { key: "category", min: 6, drop: 1 },
      { key: "id", shrink: false },
    ];
    const at80 = renderTable(long, cols, { width: 80 }).split("\n");
    expect(at80.every((l) => stringWidth(l) <= 80)).toBe(true);
    expect(at80[1]).toContain("…");
    expect(at80[1]).toContain("eating_out");
    const at64 = renderTable(long, cols, { width: 64 }).split("\n");
    expect(at64[0]).not.toContain("CATEGORY");
    expect(at64.every((l) => stringWidth(l) <= 64)).toBe(true);
  });

  it("at 40 columns lays each row out as a list", () => {
    const out = renderTable(rows, columns, { width: 40 });
    expect(out).toBe(
      "ID       pot_0000AbCdEfGhIjKlMnOp\nNAME     Holiday ✈️\nBALANCE  £1,234.56\n\nID       pot_0000QrStUvWxYzAbCdEf\nNAME     東京 trip 👨‍👩‍👧\nBALANCE  £5.00\n",
    );
  });

  describe('a column with overflow "below"', () => {
    const profiles = [
      {
        profile: "default",
        user: "user_00009237aqC8c5umZmrRdh",
        token: "unknown",
        note: "not asked: made at http://127.0.0.1:6601; this profile uses https://api.monzo.com (the default)",
        expires: "2026-12-01 21:00 UTC",
      },
      { profile: "work", user: "user_0000Other", token: "live", note: "", expires: "2026-12-02 09:00 UTC" },
    ];
    const cols = [
      { key: "profile", min: 8 },
      { key: "user", min: 10, drop: 2 },
      { key: "token", shrink: false },
      { key: "note", omitEmpty: true, overflow: "below" as const },
      { key: "expires", shrink: false, drop: 3 },
    ];

    it("goes whole onto its own lines under its row when the table is too wide, every other cell uncut", () => {
      const out = renderTable(profiles, cols, { width: 80 });
      expect(out).toBe(
        [
          "PROFILE  USER                         TOKEN    EXPIRES",
          "default  user_00009237aqC8c5umZmrRdh  unknown  2026-12-01 21:00 UTC",
          "  note: not asked: made at http://127.0.0.1:6601; this profile uses",
          "        https://api.monzo.com (the default)",
          "work     user_0000Other               live     2026-12-02 09:00 UTC",
          "",
        ].join("\n"),
      );
    });

    it("stays in the row when the table fits", () => {
      const out = renderTable(profiles, cols, { width: 200 }).split("\n");
      expect(out[0]).toMatch(/^PROFILE +USER +TOKEN +NOTE +EXPIRES$/);
      expect(out[1]).toContain("(the default)  2026-12-01 21:00 UTC");
    });

    it("is wrapped, not cut, in the list layout of a narrow terminal", () => {
      const out = renderTable(profiles.slice(0, 1), cols, { width: 44 });
      expect(out).toBe(
        [
          "PROFILE  default",
          "USER     user_00009237aqC8c5umZmrRdh",
          "TOKEN    unknown",
          "NOTE     not asked: made at",
          "         http://127.0.0.1:6601; this profile",
          "         uses https://api.monzo.com (the",
          "         default)",
          "EXPIRES  2026-12-01 21:00 UTC",
          "",
        ].join("\n"),
      );
    });

    it("keeps every line within the width, loses no character of the text, and shows nothing active (property)", () => {
      fc.assert(
        fc.property(
          fc.record({ a: bankText, b: bankText, note: bankText }),
          fc.integer({ min: 20, max: 160 }),
          (row, width) => {
            const out = renderTable([row], ["a", "b", { key: "note", overflow: "below" }], { width });
            for (const line of out.slice(0, -1).split("\n")) {
              expect(stringWidth(line)).toBeLessThanOrEqual(width);
              expect(ACTIVE.test(line)).toBe(false);
            }
            // (A wrapped note comes back in NFC, as wrap-ansi normalises: the same text on a terminal.)
            const shown = printable(row.note).normalize().replace(/\s/g, "");
            expect(out.normalize().replace(/\s/g, "")).toContain(shown);
          },
        ),
        { numRuns: 1000 },
      );
    });
  });

  it("every line fits the width and nothing active reaches the terminal, whatever the text (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: bankText, b: bankText, c: bankText }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 20, max: 160 }),
        (data, width) => {
          const out = renderTable(data, ["a", { key: "b", align: "right" }, { key: "c", drop: 1 }], {
            width,
          });
          for (const line of out.slice(0, -1).split("\n")) {
            expect(stringWidth(line)).toBeLessThanOrEqual(width);
            expect(ACTIVE.test(line)).toBe(false);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
