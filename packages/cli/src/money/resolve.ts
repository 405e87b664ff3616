import { InvalidAmountError, type Pot, parseAmount } from "@monzokit/core";
import { UsageError } from "../errors.js";
import { printable } from "../output/printable.js";

/** A name as people compare them: Unicode-normalised, accents and variation selectors dropped, case folded, spaces collapsed. */
export function foldName(name: string): string {
  return name.normalize("NFKD").replace(/\p{M}/gu, "").toLocaleLowerCase("en-GB").replace(/\s+/g, " ").trim();
}

const quoted = (p: Pot) => `"${printable(p.name)}" (${p.id})`;

/**
 * The pot a person named, never a guess: its id; else the one pot with exactly that name; else the one pot
 * whose name matches ignoring case and accents ("savings" → "Savings", "cafe" → "Café"). Several matches
 * are a usage error listing each with its id; a name that only starts another's ("holiday" → "Holiday ✈️")
 * is offered as a suggestion, never taken.
 *
 * @example resolvePot(await client.pots.list(accountId), "savings")
 */
export function resolvePot(all: readonly Pot[], ref: string, accountId: string): Pot {
  const pots = all.filter((p) => !p.deleted);
  const byId = all.find((p) => p.id === ref);
  if (byId?.deleted)
    throw new UsageError(
      `The pot ${ref} ("${printable(byId.name)}") is deleted`,
      "monzo pots list shows your pots.",
    );
  if (byId) return byId;
  const exact = pots.filter((p) => p.name.normalize("NFC") === ref.normalize("NFC"));
  if (exact.length === 1) return exact[0]!;
  const folded = foldName(ref);
  const alike = exact.length > 1 ? exact : pots.filter((p) => foldName(p.name) === folded);
  if (alike.length === 1) return alike[0]!;
  if (alike.length > 1)
    throw new UsageError(
      `"${printable(ref)}" could be any of ${alike.length} pots: ${alike.map(quoted).join(", ")}`,
      "Name the pot by its id, or by its exact name (capitals and accents as shown).",
    );
  const starts = folded === "" ? [] : pots.filter((p) => foldName(p.name).startsWith(folded));
  if (starts.length > 0)
    throw new UsageError(
      `No pot is called "${printable(ref)}" on ${accountId}`,
      `Did you mean ${starts.map(quoted).join(" or ")}? Run it again with the whole name or the id.`,
    );
  throw new UsageError(
    `No pot is called "${printable(ref)}" on ${accountId}`,
    pots.length
      ? `Your pots: ${pots.map(quoted).join(", ")}.`
      : "This account has no pots (--account picks another).",
  );
}

const SYMBOLS: Record<string, string> = { "£": "GBP", "€": "EUR", $: "USD" };

/**
 * Checks an amount as typed, before anything is asked of Monzo: `5`, `5.00`, `£5`, `5 GBP` and `1,250.00`
 * are amounts; a negative one gets the command that moves money the other way.
 *
 * @returns the digits, and the currency the text named if it named one
 */
export function readAmount(
  text: string,
  direction: "deposit" | "withdraw",
): { digits: string; currency: string | undefined } {
  let t = text.trim();
  let currency: string | undefined;
  const symbol = SYMBOLS[t.charAt(0)] ?? SYMBOLS[t.charAt(1)];
  const sign = t.startsWith("-") || t.startsWith("+") ? t.charAt(0) : "";
  if (symbol) {
    currency = symbol;
    t = sign + t.slice(sign ? 2 : 1);
  }
  const code = /^(.*?)\s*([A-Za-z]{3})$/.exec(t);
  if (code && !/^[\d.,+-]*$/.test(code[2]!)) {
    currency = code[2]!.toUpperCase();
    t = code[1]!;
  }
  if (t.startsWith("-")) {
    const other = direction === "deposit" ? "withdraw" : "deposit";
    throw new UsageError(
      `Amounts are positive, not ${printable(text)}`,
      `To move money ${direction === "deposit" ? "out of" : "into"} a pot, use monzo pots ${other} POT ${t.slice(1)}.`,
    );
  }
  if (!/^\+?(\d{1,3}(,\d{3})+|\d+)?(\.\d*)?$/.test(t) || !/\d/.test(t))
    throw new UsageError(
      `"${printable(text)}" is not an amount`,
      `Write it like 12.34 or £12.34, e.g. monzo pots ${direction} Savings 12.34`,
    );
  return { digits: t.replace(/^\+/, ""), currency };
}

/** The amount in the pot's minor units, exactly; zero, too many decimals or another currency are usage errors. */
export function amountFor(
  text: string,
  read: { digits: string; currency: string | undefined },
  pot: Pot,
  direction: "deposit" | "withdraw",
): number {
  if (read.currency && read.currency !== pot.currency.toUpperCase())
    throw new UsageError(
      `${printable(text)} is in ${read.currency}, but the pot "${printable(pot.name)}" holds ${printable(pot.currency)}`,
      `Give the amount in ${printable(pot.currency)}.`,
    );
  let amount: number;
  try {
    amount = parseAmount(read.digits, pot.currency);
  } catch (error) {
    if (error instanceof InvalidAmountError) throw new UsageError(printable(error.message), error.hint ?? "");
    throw error;
  }
  if (amount <= 0)
    throw new UsageError(
      `The amount must be more than zero, not ${printable(text)}`,
      `E.g. monzo pots ${direction} Savings 12.34`,
    );
  return amount;
}
