import type { Pot } from "@monzokit/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { amountFor, foldName, readAmount, resolvePot } from "../../src/money/resolve.js";

const pot = (id: string, name: string, extra: Partial<Pot> = {}): Pot =>
  ({ id, name, balance: 1000, currency: "GBP", deleted: false, ...extra }) as Pot;

const pots = [
  pot("pot_1", "Savings"),
  pot("pot_2", "savings"),
  pot("pot_3", "Holiday ✈️"),
  pot("pot_4", "Café fund"),
  pot("pot_5", "Old bike", { deleted: true }),
  pot("pot_6", "Rainy day"),
];

const fails = (ref: string, all = pots) => {
  try {
    resolvePot(all, ref, "acc_1");
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return `${(error as UsageError).message}\n${(error as UsageError).hint}`;
  }
  throw new Error(`"${ref}" resolved`);
};

describe("resolvePot", () => {
  it("an exact name wins over others that match without case", () => {
    expect(resolvePot(pots, "Savings", "acc_1").id).toBe("pot_1");
    expect(resolvePot(pots, "savings", "acc_1").id).toBe("pot_2");
    expect(resolvePot(pots, "pot_6", "acc_1").id).toBe("pot_6");
  });

  it("ignores case and accents only when that leaves exactly one pot", () => {
    expect(resolvePot(pots, "cafe FUND", "acc_1").id).toBe("pot_4");
    expect(resolvePot(pots, "holiday ✈", "acc_1").id).toBe("pot_3");
    expect(resolvePot(pots, "RAINY  day", "acc_1").id).toBe("pot_6");
    const said = fails("SAVINGS");
    expect(said).toMatch(/could be any of 2 pots: "Savings" \(pot_1\), "savings" \(pot_2\)/);
    expect(said).toMatch(/by its id, or by its exact name/);
  });

  it("two pots with the very same name are ambiguous too", () => {
    expect(fails("Twin", [pot("pot_a", "Twin"), pot("pot_b", "Twin")])).toMatch(/pot_a.*pot_b/);
  });

  it("offers a name that only starts with the words as a suggestion, never takes it", () => {
    expect(fails("holiday")).toMatch(/No pot is called "holiday".*\n.*Did you mean "Holiday ✈️" \(pot_3\)\?/);
    expect(fails("nothing")).toMatch(/Your pots: "Savings" \(pot_1\)/);
    expect(fails("nothing")).not.toContain("Old bike");
    expect(fails("pot_5")).toMatch(/is deleted/);
  });

  it("a pot name from the bank cannot drive the terminal in the message", () => {
    expect(fails("x", [pot("pot_e", "Evil\u001b[2J\n")])).toContain("Evil\\x1b[2J\\x0a");
  });

  it("folding is idempotent and ignores case and marks (property)", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(foldName(foldName(s))).toBe(foldName(s));
        expect(foldName(s.toUpperCase())).toBe(foldName(s.toLowerCase()));
      }),
    );
  });
});

describe("amounts", () => {
  const savings = pots[0]!;
  const parse = (text: string, direction: "deposit" | "withdraw" = "deposit") =>
    amountFor(text, readAmount(text, direction), savings, direction);

  it("£5, 5, 5.00, +5 and 5 GBP are the same amount", () => {
    for (const text of ["£5", "5", "5.00", "5.0", "+5", "5 GBP", "5gbp", " £5.00 "])
      expect(parse(text), text).toBe(500);
    expect(parse("1,250.5")).toBe(125_050);
    expect(parse("0.29")).toBe(29);
  });

  it("a negative amount names the command that moves money the other way", () => {
    expect(() => readAmount("-1", "deposit")).toThrow(/Amounts are positive, not -1/);
    try {
      readAmount("-£2.50", "withdraw");
    } catch (error) {
      expect((error as UsageError).hint).toBe("To move money into a pot, use monzo pots deposit POT 2.50.");
    }
    try {
      readAmount("-1", "deposit");
    } catch (error) {
      expect((error as UsageError).hint).toMatch(/use monzo pots withdraw POT 1/);
    }
  });

  it("a pot's currency from the API is shown with its control characters as escapes", () => {
    const odd = pot("pot_odd", "Odd", { currency: "\u001b]0;OWNED\u0007" });
    try {
      amountFor("5 EUR", readAmount("5 EUR", "deposit"), odd, "deposit");
      expect.unreachable();
    } catch (error) {
      expect((error as UsageError).message).toContain("holds \\x1b]0;OWNED\\x07");
      expect((error as UsageError).message + (error as UsageError).hint).not.toMatch(/[\u0007\u001b]/);
    }
  });

  it("refuses zero, too many decimals, another currency and what is not an amount", () => {
    for (const [text, said] of [
      ["0", /more than zero/],
      ["0.00", /more than zero/],
      ["1.234", /more decimal places than GBP/],
      ["5 EUR", /in EUR, but the pot "Savings" holds GBP/],
      ["€5", /in EUR/],
      ["five", /is not an amount/],
      ["1e3", /is not an amount/],
      ["12..3", /is not an amount/],
      ["", /is not an amount/],
    ] as const)
      expect(() => parse(text), text).toThrow(said);
  });

  it("any amount in pence reads back exactly, with or without £ (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 12 }), fc.boolean(), (pence, symbol) => {
        const text = `${symbol ? "£" : ""}${Math.floor(pence / 100)}.${String(pence % 100).padStart(2, "0")}`;
        expect(parse(text)).toBe(pence);
      }),
    );
  });
});
