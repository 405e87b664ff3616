import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { wantsLowMemory } from "../../src/low-memory.js";
import { acquireSyncLock } from "../../src/mirror/lock.js";
import { loggedIn } from "./fixtures.js";

let s: Awaited<ReturnType<typeof loggedIn>>;
beforeAll(async () => {
  s = await loggedIn();
});
afterAll(() => s.close());

describe("monzo sync", () => {
  it("mirrors every account into the profile's data directory (0700, 0600) and prints what it added per account", async () => {
    const r = await s.monzo("sync");
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/^ACCOUNT +ID +NEW +CHANGED +TRANSACTIONS +HISTORY +BALANCE\n/);
    expect(r.out).toMatch(/Current account +acc_\w+ +\d+ +0 +[\d,]+ +complete since \d{4}-\d\d-\d\d +£/);
    expect(r.out).toMatch(/Joint account/);
    expect(r.out).toMatch(/Prepaid \(closed\)/);
    expect(r.out).toMatch(/Flex backing loan .* not shared by Monzo/);
    expect(r.out).toMatch(/\d+ new, 0 changed in [\d.]+ s · .*mirror\.db\n$/);
    expect((await stat(s.mirror)).mode & 0o777).toBe(0o600);
    expect((await stat(join(s.mirror, ".."))).mode & 0o777).toBe(0o700);
    expect((await stat(join(s.home, "data"))).mode & 0o777).toBe(0o700);

    const again = await s.monzo("sync", "--json");
    expect(again.code).toBe(EXIT.ok);
    const report = JSON.parse(again.out);
    expect(report).toMatchObject({ added: 0, changed: 0, removed: 0 });
    expect(report.accounts[0]).toMatchObject({
      type: "uk_retail",
      added: 0,
      history: { complete: true, missing: [] },
      history_limited: false,
      transactions_refused: null,
    });
  });

  it("writes every count the same way: thousands grouped in NEW as in TRANSACTIONS and in the summary", async () => {
    const big = await loggedIn({ transactions: 2500 });
    try {
      const r = await big.monzo("sync");
      expect(r.code, r.err).toBe(EXIT.ok);
      const row = /Current account +acc_\w+ +(\S+) +0 +(\S+) /.exec(r.out);
      expect(row, r.out).not.toBeNull();
      const [, added, total] = row!;
      // The first sync adds every transaction: the two cells say the same number, written alike.
      expect(added).toMatch(/^\d{1,3}(,\d{3})+$/);
      expect(added).toBe(total);
      const summary = /^(\S+) new, (\S+) changed in /m.exec(r.out)!;
      expect(summary[1]).toMatch(/^\d{1,3}(,\d{3})+$/);
    } finally {
      await big.close();
    }
  });

  it("picks up new transactions and an annotate edit, and says which fields changed", async () => {
    const current = (await (await fetch(`${s.emu.url}/_emulator`)).json()).users[0].accounts[0].id as string;
    await fetch(`${s.emu.url}/_emulator/transactions`, {
      method: "POST",
      body: JSON.stringify({
        account_id: current,
        amount: -4200,
        description: "CAFE \u001b]0;owned\u0007 LONDON",
      }),
    });
    const list = JSON.parse((await s.monzo("transactions", "list", "--json", "--limit", "5")).out);
    const edited = list[0].id as string;
    expect((await s.monzo("transactions", "annotate", edited, "notes=Dinner")).code).toBe(EXIT.ok);
    const r = await s.monzo("sync");
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/Current account +acc_\w+ +1 +1 \(1 notes, 1 metadata\)/);
    const q = await s.monzo("sql", "SELECT description FROM transactions WHERE amount = -4200");
    // Bank text never reaches the terminal raw.
    expect(q.out).toBe("DESCRIPTION\nCAFE \\x1b]0;owned\\x07 LONDON\n(1 row)\n");
  });

  it("another sync of the same mirror running: says so at once (exit 11), or waits for it with --wait", async () => {
    const lock = await acquireSyncLock(`${s.mirror}.sync-lock`, { waitMs: 0, displayPath: s.mirror });
    const busy = await s.monzo("sync");
    expect(busy.code).toBe(EXIT.busy);
    expect(busy.err).toMatch(
      /^error: Another monzo sync is writing the mirror .*\n {2}→ Nothing was changed.*--wait/,
    );
    setTimeout(() => lock.release(), 300);
    expect((await s.monzo("sync", "--wait", "20", "--quiet")).code).toBe(EXIT.ok);
  });

  it("outside the 5-minute window a first sync reads 89 days and says how to get the rest; --full-history then says it cannot (exit 5)", async () => {
    s.emu.emulator.control.advanceClock(6 * 60_000);
    const db = join(s.home, "late.db");
    const r = await s.monzo("sync", "--db", "late.db");
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/Current account .* since \d{4}-\d\d-\d\d, older missing/);
    expect(r.err).toMatch(
      /only the last 89 days could be read.*\n {2}→ To add the rest: run monzo login, then monzo sync --full-history within 5 minutes\.\n/,
    );
    const refused = await s.monzo("sync", "--db", db, "--full-history");
    expect(refused.code).toBe(EXIT.permission);
    expect(refused.err).toMatch(
      /(^|\n)error: The full history could not be read.*\n {2}→ Everything newer was synced\. Run monzo login/,
    );
    // A new login: the rest comes in.
    await s.relogin();
    const full = await s.monzo("sync", "--db", db, "--full-history");
    expect(full.code).toBe(EXIT.ok);
    expect(full.out).toMatch(/Current account +acc_\w+ +\d+ .* complete since/);
    // Nothing but the note that the API is this machine's emulator, not Monzo (security F1).
    expect(full.err).toMatch(/^(note: the API is http:\/\/127\.0\.0\.1:\d+ .*\n)?$/);
  });

  it("mistakes are usage errors; a file that is not a mirror or an unsafe directory is refused, untouched", async () => {
    for (const argv of [
      ["sync", "--trailing-days", "90"],
      ["sync", "--trailing-days", "x"],
      ["sync", "--wait", "-1"],
      ["sync", "--account", "acc_nope"],
      ["sync", "--concurrency", "0"],
      ["sync", "--concurrency", "33"],
    ]) {
      const r = await s.monzo(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: EXIT.usage });
      expect(r.err).toMatch(/(^|\n)error: .+\n {2}→ .+\n$/);
    }
    const notes = join(s.home, "notes.csv");
    await writeFile(notes, "date,amount\n2026-01-01,3.50\n");
    const r = await s.monzo("sync", "--db", notes);
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(/is not a Monzokit mirror/);
    expect(await readFile(notes, "utf8")).toBe("date,amount\n2026-01-01,3.50\n");
    const shared = join(s.home, "shared");
    await mkdir(shared);
    await chmod(shared, 0o777);
    const unsafe = await s.monzo("sync", "--db", join(shared, "m.db"));
    expect(unsafe.code).toBe(EXIT.config);
    expect(unsafe.err).toMatch(/can be written by other users/);
  });

  it("runs as a child with the memory-bounding V8 flags, as exports do (a first sync reads a whole history)", () => {
    expect(wantsLowMemory(["sync"])).toBe(true);
    expect(wantsLowMemory(["sync", "--full-history"])).toBe(true);
    expect(wantsLowMemory(["sync", "--help"])).toBe(false);
    expect(wantsLowMemory(["sql", "SELECT 1"])).toBe(false);
  });

  it("not logged in: exit 3 naming monzo login, and no mirror is created", async () => {
    const f = await loggedIn({ transactions: 20 });
    try {
      const r = await f.monzo("sync", "--profile", "nobody");
      expect(r.code).toBe(EXIT.config);
      expect(r.err).toMatch(/monzo login --profile nobody/);
      await expect(stat(join(f.home, "data"))).rejects.toThrow();
    } finally {
      await f.close();
    }
  });
});
