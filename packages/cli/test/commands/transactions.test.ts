import type { Transaction } from "@monzokit/core";
import stringWidth from "string-width";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { loggedIn } from "../helpers.js";

const DAY = 86_400_000;
let bank: Awaited<ReturnType<typeof loggedIn>>;

beforeAll(async () => {
  bank = await loggedIn("cli-transactions", { transactions: 3000 });
}, 60_000);
afterAll(() => bank?.emu.close());

/** What the emulator holds for the account between two instants, oldest first. */
function held(from: number, to: number): string[] {
  return bank.account.transactions
    .filter((t) => t.createdMs >= from && t.createdMs < to)
    .map((t) => t.json.id);
}

describe("transactions list", () => {
  it("refuses dates it would have to guess, and a --since after --before (exit 2)", async () => {
    for (const [args, said] of [
      [["--since", "01/02/2026"], /--since "01\/02\/2026" is not a date/],
      [["--since", "2026-02-30"], /--since "2026-02-30" is not a day of the calendar/],
      [["--before", "2026-01-31T12:00"], /--before "2026-01-31T12:00" is not a date/],
      [
        ["--since", "2026-03-01", "--before", "2026-02-01"],
        /--since 2026-03-01 is not before --before 2026-02-01/,
      ],
      [["--before", "tx_0000AbC"], /--before takes a time/],
    ] as const) {
      const r = await bank.run(["transactions", "list", ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: EXIT.usage });
      expect(r.err).toMatch(said);
      expect(r.out).toBe("");
    }
  });

  it("walks a range longer than Monzo's 365 days in windows instead of failing", async () => {
    const now = bank.emu.emulator.control.now();
    const from = new Date(now - 800 * DAY).toISOString().slice(0, 10);
    const r = await bank.run(["transactions", "list", "--since", from, "--all", "--json"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(EXIT.ok);
    const ids = (JSON.parse(r.out) as { id: string }[]).map((t) => t.id);
    const expected = held(Date.parse(`${from}T00:00:00Z`), now + 1);
    expect(ids.length).toBeGreaterThan(300);
    expect(ids).toEqual(expected);
    // Without --all: the first page of the range, from its start.
    const first = await bank.run([
      "transactions",
      "list",
      "--since",
      from,
      "--before",
      new Date(now).toISOString(),
      "--limit",
      "5",
      "--json",
    ]);
    expect((JSON.parse(first.out) as { id: string }[]).map((t) => t.id)).toEqual(expected.slice(0, 5));
    // A range of years with nothing in its first windows still finds the page.
    const older = await bank.run(["transactions", "list", "--since", "2015-01-01", "--limit", "3", "--json"]);
    expect(older.code).toBe(EXIT.ok);
    expect((JSON.parse(older.out) as { id: string }[]).map((t) => t.id)).toEqual(
      bank.account.transactions.slice(0, 3).map((t) => t.json.id),
    );
  });

  it("an empty range says so on stderr; --json prints [] and CSV only its header", async () => {
    const range = ["--since", "2016-01-01", "--before", "2016-02-01"];
    const table = await bank.run(["transactions", "list", ...range]);
    expect(table).toEqual({ code: EXIT.ok, out: "", err: "No transactions in that range.\n" });
    const json = await bank.run(["transactions", "list", ...range, "--json"]);
    expect(json.out).toBe("[]\n");
    const csv = await bank.run(["transactions", "list", ...range, "--csv"]);
    expect(csv.out).toMatch(/^id,created,.*\r\n$/);
    const quiet = await bank.run(["transactions", "list", ...range, "--quiet"]);
    expect(quiet.err).toBe("");
  });

  it("shows local times with their zone (or UTC with --utc), oldest first by instant, and pot transfers by the pot's name", async () => {
    const savings = [...bank.emu.emulator.state.bank.pots.values()].find((p) => p.json.name === "Savings")!;
    const moved = await bank.run(["pots", "deposit", "Savings", "2.50", "--quiet"]);
    expect(moved.code).toBe(EXIT.ok);
    const london = await bank.run(
      ["transactions", "list", "--limit", "100"],
      { TZ: "Europe/London" },
      { columns: 120 },
    );
    const lines = london.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^DATE +AMOUNT +DESCRIPTION/);
    for (const line of lines.slice(1)) expect(line).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d (GMT|BST) /);
    expect(london.out).toMatch(/ -£2\.50 +To pot Savings /);
    expect(london.out).not.toContain(savings.json.id);
    const utc = await bank.run(["transactions", "list", "--limit", "5", "--utc"], { TZ: "Asia/Tokyo" });
    for (const line of utc.out.trimEnd().split("\n").slice(1)) expect(line).toMatch(/^\S+ \d\d:\d\d UTC /);
    const json = JSON.parse((await bank.run(["transactions", "list", "--limit", "100", "--json"])).out) as {
      created: string;
      pot: { id: string; name: string } | null;
      amount: string;
    }[];
    const times = json.map((t) => Date.parse(t.created));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(json.at(-1)).toMatchObject({ amount: "-2.50", pot: { id: savings.json.id, name: "Savings" } });
  });

  it("fits 80 columns, and lays rows out as a list at 40", async () => {
    const at80 = await bank.run(["transactions", "list", "--limit", "20"], {}, { columns: 80 });
    for (const line of at80.out.split("\n")) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    expect(at80.out).toMatch(/^DATE +AMOUNT +DESCRIPTION .*ID\n/);
    const at40 = await bank.run(["transactions", "list", "--limit", "2"], {}, { columns: 40 });
    expect(at40.out).toMatch(/^DATE {9}\d{4}-\d\d-\d\d \d\d:\d\d UTC\nAMOUNT {7}\S+\n/);
    for (const line of at40.out.split("\n")) expect(stringWidth(line)).toBeLessThanOrEqual(40);
  });

  it("bank text never drives the terminal, while --json and --csv keep it exact", async () => {
    const hostile = "Caf\u001b[2J\u001b[31mé\nnext\tcol\u202e\u009b";
    const tx = bank.emu.emulator.control.createTransaction({
      accountId: bank.account.json.id,
      amount: -199,
      merchant: "none",
      description: hostile,
      notes: hostile,
    });
    const table = await bank.run(["transactions", "list", "--limit", "3"], {}, { columns: 200 });
    expect(table.out).toContain("Caf\\x1b[2J\\x1b[31mé\\x0anext\\x09col\\u202e\\x9b");
    expect(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/.test(table.out)).toBe(false);
    const get = await bank.run(["transactions", "get", tx.id]);
    expect(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/.test(get.out)).toBe(false);
    expect(get.out).toContain("notes Caf\\x1b[2J");
    const json = await bank.run(["transactions", "get", tx.id, "--json"]);
    expect(/[\u007f-\u009f\u202e]/.test(json.out)).toBe(false);
    expect((JSON.parse(json.out) as Transaction).description).toBe(hostile);
    const csv = await bank.run(["transactions", "list", "--limit", "3", "--csv"]);
    expect(csv.out).toContain(`"${hostile}"`);
    expect(csv.out).toMatch(/,-1\.99,GBP,/);
  });

  it("CSV on a terminal shows bank text's control characters as escapes; to a pipe it stays exact (N4)", async () => {
    // What anyone who pays the user can name a payment: clear the screen, retitle the window, a C1 CSI, bidi.
    const hostile = "Pay\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202eok\r\nnext";
    const tx = bank.emu.emulator.control.createTransaction({
      accountId: bank.account.json.id,
      amount: -321,
      merchant: "none",
      description: hostile,
      notes: hostile,
    });
    const tty = { stdoutTty: true, columns: 200 };
    const shown = "Pay\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202eok\\x0d\nnext";
    // Tabs and newlines are data inside quoted CSV fields; a carriage return only ever ends a CSV row.
    const raw =
      /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
    const list = await bank.run(["transactions", "list", "--limit", "3", "--csv"], {}, tty);
    expect(list.code).toBe(EXIT.ok);
    const row = list.out.split("\r\n").find((line) => line.startsWith(tx.id))!;
    expect(row).toContain(`,"${shown}",`);
    expect(raw.test(list.out.replace(/\r\n/g, ""))).toBe(false);
    for (const format of ["csv", "ndjson", "json"]) {
      const exported = await bank.run(
        ["transactions", "export", "-", "--format", format, "--quiet"],
        {},
        tty,
      );
      expect({ format, code: exported.code }).toEqual({ format, code: EXIT.ok });
      expect(exported.out).toContain(tx.id);
      expect({ format, raw: raw.test(exported.out.replace(/\r\n/g, "")) }).toEqual({ format, raw: false });
    }
    const exportedCsv = await bank.run(["transactions", "export", "-", "--quiet"], {}, tty);
    expect(exportedCsv.out).toContain(`"${shown}"`);
    // To a pipe (or a file) the same commands write the bank's text exactly.
    const piped = await bank.run(["transactions", "list", "--limit", "3", "--csv"]);
    expect(piped.out).toContain(`,"${hostile}",`);
    const pipedExport = await bank.run(["transactions", "export", "-", "--quiet"]);
    expect(pipedExport.out).toContain(`,"${hostile}",`);
  });

  it("CSV writes amounts with their decimals (1.00), like JSON's decimal strings", async () => {
    bank.emu.emulator.control.createTransaction({
      accountId: bank.account.json.id,
      amount: -100,
      merchant: "tesco",
      settled: true,
    });
    const csv = await bank.run(["transactions", "list", "--limit", "1", "--csv"]);
    expect(csv.out.split("\r\n")[1]).toMatch(/^tx_\w+,[^,]+,[^,]+,-1\.00,GBP,-1\.00,GBP,/);
    const json = JSON.parse((await bank.run(["transactions", "list", "--limit", "1", "--json"])).out);
    expect(json[0]).toMatchObject({ amount: "-1.00", currency: "GBP", local_amount: "-1.00" });
  });
});

describe("transactions annotate", () => {
  const latest = () => bank.account.transactions.at(-1)!.json.id;

  it("says every key it set and removed, not only the notes", async () => {
    const id = latest();
    const set = await bank.run(["transactions", "annotate", id, "notes=hello", "foo=bar"]);
    expect(set.code, set.err).toBe(EXIT.ok);
    expect(set.out).toBe(`Annotated ${id}: set notes=hello, foo=bar.\n`);
    const removed = await bank.run(["transactions", "annotate", id, "foo="]);
    expect(removed.code, removed.err).toBe(EXIT.ok);
    expect(removed.out).toBe(`Annotated ${id}: removed foo.\n`);
    expect(removed.out).not.toContain("notes");
  });

  it("tells what Monzo did not keep (since 2021 only notes sticks: REFERENCE §7.5), from its answer", async () => {
    const id = latest();
    bank.emu.emulator.state.quirks.annotateKeepsCustomKeys = false;
    try {
      const r = await bank.run(["transactions", "annotate", id, "notes=Team lunch", "project=alpha"]);
      expect(r.code, r.err).toBe(EXIT.ok);
      expect(r.out).toBe(`Annotated ${id}: set notes='Team lunch'.\n`);
      expect(r.out).not.toContain("project");
      expect(r.err).toMatch(/Monzo did not keep project=alpha: its answer does not have it/);
      // Only a key Monzo did not keep: nothing was set.
      const none = await bank.run(["transactions", "annotate", id, "project=beta"]);
      expect(none.out).toBe(`Annotated ${id}: Monzo kept none of it.\n`);
      expect(none.err).toMatch(/Monzo did not keep project=beta/);
    } finally {
      bank.emu.emulator.state.quirks.annotateKeepsCustomKeys = true;
    }
  });

  it("shows keys and values as escapes, never raw control characters", async () => {
    const id = latest();
    const r = await bank.run(["transactions", "annotate", id, "notes=a\u001b]0;x\u0007b", "k\u009b=v"]);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(r.out).toContain("\\x1b]0;x\\x07b");
    expect(r.out).toContain("\\x9b");
  });
});
