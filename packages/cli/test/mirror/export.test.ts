import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { loggedIn } from "../commands/fixtures.js";

describe("monzo transactions export --from-mirror", () => {
  it("writes byte for byte the file an export from Monzo writes, and keeps working with Monzo out of reach", async () => {
    const s = await loggedIn({ transactions: 900 });
    expect((await s.monzo("sync", "--quiet")).code).toBe(EXIT.ok);
    for (const format of ["csv", "ndjson", "json"]) {
      const live = join(s.home, `live.${format}`);
      const local = join(s.home, `local.${format}`);
      expect((await s.monzo("transactions", "export", "--all", "--quiet", live)).code).toBe(EXIT.ok);
      const r = await s.monzo("transactions", "export", "--from-mirror", "--all", local);
      expect(r.code).toBe(EXIT.ok);
      expect(r.out).toMatch(/^Exported \d+ transactions from the mirror to /);
      expect(await readFile(local, "utf8")).toBe(await readFile(live, "utf8"));
    }
    const lines = (await readFile(join(s.home, "local.ndjson"), "utf8")).trim().split("\n");
    const middle = JSON.parse(lines[Math.floor(lines.length / 2)]!).id as string;
    await s.close();
    // Offline now: the mirror alone answers, from any transaction on.
    const rest = join(s.home, "rest.ndjson");
    const r = await s.monzo("transactions", "export", "--from-mirror", "--since", middle, "--json", rest);
    expect(r.code).toBe(EXIT.ok);
    expect(JSON.parse(r.out)).toMatchObject({
      transactions: lines.length - Math.floor(lines.length / 2) - 1,
      from_mirror: true,
    });
    expect((await readFile(rest, "utf8")).trim().split("\n")).toEqual(
      lines.slice(Math.floor(lines.length / 2) + 1),
    );
    // Mistakes are named with the fix.
    const unknown = await s.monzo("transactions", "export", "--from-mirror", "--account", "acc_nope", rest);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.err).toMatch(/The mirror has no account acc_nope\n {2}→ Choose one of: acc_/);
    const noMirror = await s.monzo("transactions", "export", "--from-mirror", "--db", "none.db", rest);
    expect(noMirror.code).toBe(EXIT.config);
    expect((await s.monzo("transactions", "export", "--db", "x.db", rest)).code).toBe(EXIT.usage);
  });
});
