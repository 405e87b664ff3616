import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { journalPath, type MoveRecord } from "../../src/money/journal.js";
import { loggedIn, type lossyProxy } from "../helpers.js";

let bank: Awaited<ReturnType<typeof loggedIn>>;
let proxy: Awaited<ReturnType<typeof lossyProxy>>;

beforeAll(async () => {
  bank = await loggedIn("cli-pots", { viaProxy: true });
  proxy = bank.proxy!;
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await bank?.emu.close();
});
beforeEach(() => {
  proxy.state.drop = undefined;
  proxy.state.hold = undefined;
  bank.emu.emulator.control.setFaults({});
});

const potNamed = (name: string) =>
  [...bank.emu.emulator.state.bank.pots.values()].find((p) => p.json.name === name)!;
/** The money moves that reached the emulator (PUT /pots/…), from its own request log. */
const movesSent = () =>
  bank.emu.emulator.state.requestLog
    .entries()
    .filter((r) => r.method === "PUT" && r.path.startsWith("/pots/")).length;
const journal = async (): Promise<MoveRecord[]> =>
  JSON.parse(await readFile(journalPath(bank.env, "default"), "utf8")).moves;
const pence = (text: string) => Math.round(Number(text) * 100);
const json = (out: string) =>
  JSON.parse(out) as Record<string, unknown> & { balance: string; outcome: string };

describe("pots list", () => {
  it("an account without pots says so on stderr; stdout stays the empty result", async () => {
    const state = bank.emu.emulator.state.bank;
    const withPots = new Set([...state.pots.values()].map((p) => p.json.current_account_id));
    const bare = [...state.accounts.values()].find((a) => !a.json.closed && !withPots.has(a.json.id));
    expect(bare).toBeDefined();
    const human = await bank.run(["pots", "list", "--account", bare!.json.id]);
    expect(human).toEqual({
      code: 0,
      out: "",
      err: "No pots in this account (deleted ones show with --all).\n",
    });
    const asJson = await bank.run(["pots", "list", "--account", bare!.json.id, "--json"]);
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.out)).toEqual([]);
    expect((await bank.run(["pots", "list", "--account", bare!.json.id, "--quiet"])).err).toBe("");
  });
});

describe("pots deposit and withdraw", () => {
  it("says Withdrew only when money moved in this run: a re-run is already done, another amount refused before Monzo", async () => {
    const savings = potNamed("Savings");
    const start = savings.json.balance;
    const first = await bank.run(["pots", "withdraw", "Savings", "1", "--dedupe-id", "abc"]);
    expect(first).toMatchObject({ code: EXIT.ok, err: "" });
    expect(first.out).toMatch(/^Withdrew £1\.00 from Savings: it now holds £[\d,.]+\. \(dedupe id abc\)\n$/);
    expect(savings.json.balance).toBe(start - 100);
    const sentBefore = movesSent();

    const again = await bank.run(["pots", "withdraw", "Savings", "1", "--dedupe-id", "abc"]);
    expect(again.code).toBe(EXIT.ok);
    expect(again.out).toMatch(
      /^Already done on \d{4}-\d\d-\d\d \d\d:\d\d UTC: £1\.00 out of Savings \(dedupe id abc\)\. Nothing moved now\.\n$/,
    );
    expect(again.out).not.toMatch(/Withdrew|Moved/);

    const other = await bank.run(["pots", "withdraw", "Savings", "2", "--dedupe-id", "abc"]);
    expect(other.code).toBe(EXIT.usage);
    expect(other.err).toMatch(
      /^error: The dedupe id abc was used on .* for £1\.00 out of Savings; this is £2\.00 out of Savings\. Nothing was sent to Monzo\n/,
    );
    for (const argv of [
      ["pots", "deposit", "Savings", "1", "--dedupe-id", "abc"],
      ["pots", "withdraw", "Bills", "1", "--dedupe-id", "abc"],
    ])
      expect((await bank.run(argv)).code).toBe(EXIT.usage);
    // Neither the re-run nor the refused ones reached Monzo, and the money moved once.
    expect(movesSent()).toBe(sentBefore);
    expect(savings.json.balance).toBe(start - 100);
    const [record] = (await journal()).filter((m) => m.dedupe_id === "abc");
    expect(record).toMatchObject({
      outcome: "moved",
      pot_id: savings.json.id,
      amount: 100,
      direction: "withdraw",
      currency: "GBP",
    });
  });

  it("a dedupe id Monzo already knows (used elsewhere) is already done, not moved", async () => {
    const savings = potNamed("Savings");
    const account = bank.account.json.id;
    // Another machine made this move: straight at Monzo, not through this CLI or its journal.
    const res = await fetch(`${bank.emu.url}/pots/${savings.json.id}/deposit`, {
      method: "PUT",
      headers: { authorization: `Bearer ${bank.token}`, "content-type": "application/x-www-form-urlencoded" },
      body: `source_account_id=${account}&amount=300&dedupe_id=elsewhere-1`,
    });
    expect(res.status).toBe(200);
    const balance = savings.json.balance;
    const r = await bank.run(["pots", "deposit", "Savings", "3", "--dedupe-id", "elsewhere-1", "--json"]);
    expect(r.code).toBe(EXIT.ok);
    expect(json(r.out)).toMatchObject({ outcome: "already_done", moved: false, amount: "3.00" });
    expect(savings.json.balance).toBe(balance);
    // Asked again: the journal knows it is done, but not when the money moved (another machine moved it).
    const again = await bank.run(["pots", "deposit", "Savings", "3", "--dedupe-id", "elsewhere-1"]);
    expect(again.out).toMatch(
      /^Already done \(Monzo had moved it before \d{4}-\d\d-\d\d \d\d:\d\d UTC, when this machine learnt so\): £3\.00 into Savings \(dedupe id elsewhere-1\)\. Nothing moved now\.\n$/,
    );
    const human = await bank.run(["pots", "deposit", "Savings", "3", "--dedupe-id", "elsewhere-2"]);
    expect(human.out).toMatch(/^Moved £3\.00 into Savings/);
    expect(savings.json.balance).toBe(balance + 300);
  });

  it("£5 and 5.00 are the same; -1 says amounts are positive and which command moves it the other way", async () => {
    const a = json((await bank.run(["pots", "deposit", "Savings", "£5", "--json"])).out);
    const b = json((await bank.run(["pots", "deposit", "Savings", "5.00", "--json"])).out);
    expect([a.amount, b.amount]).toEqual(["5.00", "5.00"]);
    expect(pence(b.balance) - pence(a.balance)).toBe(500);
    const sent = movesSent();
    for (const argv of [
      ["pots", "deposit", "Savings", "-1"],
      ["pots", "deposit", "Savings", "--", "-1"],
    ]) {
      const r = await bank.run(argv);
      expect(r.code).toBe(EXIT.usage);
      expect(r.err).toBe(
        "error: Amounts are positive, not -1\n  → To move money out of a pot, use monzo pots withdraw POT 1.\n",
      );
    }
    expect((await bank.run(["pots", "withdraw", "Savings", "-£2"])).err).toMatch(
      /use monzo pots deposit POT 2/,
    );
    expect(movesSent()).toBe(sent);
  });

  it("an ambiguous name moves nothing and lists the pots it could be; the exact name wins", async () => {
    const bills = potNamed("Bills");
    bills.json.name = "savings";
    try {
      const sent = movesSent();
      const r = await bank.run(["pots", "deposit", "SAVINGS", "1"]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.err).toContain(`"Savings" (${potNamed("Savings").json.id}), "savings" (${bills.json.id})`);
      expect(movesSent()).toBe(sent);
      const exact = await bank.run(["pots", "deposit", "savings", "1", "--json"]);
      expect(json(exact.out).pot).toEqual({ id: bills.json.id, name: "savings" });
      const prefix = await bank.run(["pots", "deposit", "holiday", "1"]);
      expect(prefix.err).toMatch(/Did you mean "Holiday ✈️"/);
    } finally {
      bills.json.name = "Bills";
    }
  });

  it("a move whose answer is lost is an unknown outcome (exit 9) that a re-run with its dedupe id finishes without moving twice", async () => {
    const savings = potNamed("Savings");
    const balance = savings.json.balance;
    const via = { MONZO_API_URL: proxy.url, MONZO_TIMEOUT: "5" };
    proxy.state.drop = /^PUT \/pots\//;
    const lost = await bank.run(["pots", "deposit", "Savings", "7"], via);
    expect(lost.code).toBe(EXIT.outcomeUnknown);
    expect(lost.out).toBe("");
    const dedupe = /--dedupe-id (monzo-[\w-]+)/.exec(lost.err)?.[1];
    expect(lost.err).toMatch(/^error: Monzo did not confirm the move of £7\.00 into Savings/);
    expect(lost.err).toMatch(
      new RegExp(`→ .*finish it safely: monzo pots deposit ${savings.json.id} 7\\.00 --dedupe-id ${dedupe} `),
    );
    // Monzo did move it (once, though the client tried three times with the same key).
    expect(savings.json.balance).toBe(balance + 700);
    expect((await journal()).find((m) => m.dedupe_id === dedupe)).toMatchObject({ outcome: "unknown" });
    proxy.state.drop = undefined;

    // Run again as before, without the dedupe id: refused, naming the move to finish.
    const blind = await bank.run(["pots", "deposit", "Savings", "7"], via);
    expect(blind.code).toBe(EXIT.usage);
    expect(blind.err).toMatch(new RegExp(`unknown outcome \\(dedupe id ${dedupe}\\)`));
    expect(savings.json.balance).toBe(balance + 700);

    const finish = await bank.run(["pots", "deposit", savings.json.id, "7.00", "--dedupe-id", dedupe!], via);
    expect(finish.code).toBe(EXIT.ok);
    expect(finish.out).toMatch(
      /^Already done: the attempt of .* had gone through \(£7\.00 into Savings, dedupe id monzo-.*\)\. Nothing moved now; the pot holds/,
    );
    expect(savings.json.balance).toBe(balance + 700);
    expect((await journal()).find((m) => m.dedupe_id === dedupe)).toMatchObject({ outcome: "already_done" });
  });

  it("a move Monzo never received (its server failing) is unknown too, and the re-run moves it once", async () => {
    const savings = potNamed("Savings");
    const balance = savings.json.balance;
    bank.emu.emulator.control.setFaults({ rules: [{ route: "PUT /pots/*", kind: 500 }] });
    const failed = await bank.run(["pots", "deposit", "Savings", "4", "--dedupe-id", "five-hundred"]);
    expect(failed.code).toBe(EXIT.outcomeUnknown);
    bank.emu.emulator.control.setFaults({});
    const finish = await bank.run(["pots", "deposit", "Savings", "4", "--dedupe-id", "five-hundred"]);
    expect(finish.out).toMatch(
      /^Moved £4\.00 into Savings \(the attempt of .* had not gone through\): it now holds/,
    );
    expect(savings.json.balance).toBe(balance + 400);
  });

  it("a refusal moves nothing, is recorded as refused, and the same id can be used once the money is there", async () => {
    const bills = potNamed("Bills");
    const amount = String(bills.json.balance / 100 + 1);
    const r = await bank.run(["pots", "withdraw", "Bills", amount, "--dedupe-id", "too-much"]);
    expect(r.code).toBe(EXIT.refused);
    expect(r.err).toMatch(/the pot holds £/);
    expect((await journal()).find((m) => m.dedupe_id === "too-much")).toMatchObject({ outcome: "refused" });
    expect((await bank.run(["pots", "deposit", "Bills", "5", "--quiet"])).code).toBe(EXIT.ok);
    const retry = await bank.run(["pots", "withdraw", "Bills", amount, "--dedupe-id", "too-much"]);
    expect(retry.out).toMatch(
      /^Withdrew £[\d,.]+ from Bills: it now holds £4\.00\. \(dedupe id too-much\)\n$/,
    );
  });

  it("--quiet says nothing on success; --json says what happened", async () => {
    expect(await bank.run(["pots", "deposit", "Savings", "1", "--quiet"])).toEqual({
      code: EXIT.ok,
      out: "",
      err: "",
    });
    const r = json(
      (await bank.run(["pots", "deposit", "Savings", "1", "--dedupe-id", "quiet-1", "--json"])).out,
    );
    expect(r).toMatchObject({
      outcome: "moved",
      moved: true,
      direction: "deposit",
      amount: "1.00",
      currency: "GBP",
      pot: { name: "Savings" },
      dedupe_id: "quiet-1",
      moved_at: expect.any(String),
    });
  });
});
