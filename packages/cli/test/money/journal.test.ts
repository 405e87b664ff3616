import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { journalPath, MoveJournal, type MoveRecord } from "../../src/money/journal.js";
import { tempHome } from "../helpers.js";

const record = (dedupe: string, extra: Partial<MoveRecord> = {}): MoveRecord => ({
  dedupe_id: dedupe,
  user_id: "user_1",
  account_id: "acc_1",
  pot_id: "pot_1",
  pot_name: "Savings",
  direction: "deposit",
  amount: 100,
  currency: "GBP",
  started_at: "2026-11-30T10:56:00.000Z",
  updated_at: "2026-11-30T10:56:00.000Z",
  outcome: "moved",
  ...extra,
});

describe("MoveJournal", () => {
  it("lives in the profile's data directory, 0600 in a 0700 directory", async () => {
    const home = await tempHome();
    const path = journalPath({ MONZOKIT_HOME: home }, "work");
    expect(path).toBe(join(home, "data", "work", "pot-moves.json"));
    const journal = new MoveJournal(path);
    await journal.transaction((j) => j.put(record("a")));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(path))).mode & 0o777).toBe(0o700);
    const text = JSON.parse(await readFile(path, "utf8"));
    expect(text).toEqual({ version: 1, moves: [record("a")] });
  });

  it("finds a move by user and dedupe id, replaces it when updated, and lists unfinished ones", async () => {
    const journal = new MoveJournal(join(await tempHome(), "moves.json"));
    await journal.transaction(async (j) => {
      await j.put(record("a", { outcome: "pending" }));
      await j.put(record("b", { user_id: "user_2", outcome: "unknown" }));
      await j.put(record("a", { outcome: "unknown" }));
    });
    await journal.transaction(async (j) => {
      expect(j.find("user_1", "a")?.outcome).toBe("unknown");
      expect(j.find("user_2", "a")).toBeUndefined();
      expect(j.unfinished("user_1").map((m) => m.dedupe_id)).toEqual(["a"]);
    });
  });

  it("two processes' moves happen one after the other, and neither loses the other's record", async () => {
    const path = join(await tempHome(), "moves.json");
    const order: string[] = [];
    const one = new MoveJournal(path).transaction(async (j) => {
      order.push("one in");
      await new Promise((r) => setTimeout(r, 50));
      await j.put(record("one"));
      order.push("one out");
    });
    const two = new MoveJournal(path).transaction(async (j) => {
      order.push("two in");
      await j.put(record("two"));
      order.push("two out");
    });
    await Promise.all([one, two]);
    expect(order.join(",")).toMatch(/^(one in,one out,two in,two out|two in,two out,one in,one out)$/);
    await new MoveJournal(path).transaction(async (j) => {
      expect(j.find("user_1", "one")).toBeDefined();
      expect(j.find("user_1", "two")).toBeDefined();
    });
  });

  it("a damaged journal is never replaced: the run stops and says how to keep it", async () => {
    const path = join(await tempHome(), "data", "default", "pot-moves.json");
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '{"version":1,"moves":[{"dedupe_id":', { mode: 0o600 });
    const run = new MoveJournal(path).transaction(async (j) => j.put(record("x")));
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(run).rejects.toThrow(/is damaged/);
    expect(await readFile(path, "utf8")).toBe('{"version":1,"moves":[{"dedupe_id":');
  });
});
