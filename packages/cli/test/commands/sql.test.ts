import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { loggedIn } from "./fixtures.js";

let s: Awaited<ReturnType<typeof loggedIn>>;
beforeAll(async () => {
  s = await loggedIn();
});
afterAll(() => s.close());

describe("monzo sql", () => {
  it("before any sync: exit 3, naming monzo sync", async () => {
    const r = await s.monzo("sql", "SELECT 1");
    expect(r.code).toBe(EXIT.config);
    expect(r.err).toMatch(/^error: There is no mirror at .*\n {2}→ Run monzo sync first/);
  });

  it("prints a table, --json or --csv", async () => {
    expect((await s.monzo("sync", "--quiet")).code).toBe(EXIT.ok);
    const sql =
      "SELECT type, closed, joint FROM accounts WHERE type IN ('uk_retail', 'uk_retail_joint') ORDER BY type";
    const human = await s.monzo("sql", sql);
    expect(human.code).toBe(EXIT.ok);
    expect(human.out).toBe(
      "TYPE             CLOSED  JOINT\nuk_retail             0      0\nuk_retail_joint       0      1\n(2 rows)\n",
    );
    expect(JSON.parse((await s.monzo("sql", sql, "--json")).out)).toEqual([
      { type: "uk_retail", closed: 0, joint: 0 },
      { type: "uk_retail_joint", closed: 0, joint: 1 },
    ]);
    expect((await s.monzo("sql", sql, "--csv")).out).toBe(
      "type,closed,joint\r\nuk_retail,0,0\r\nuk_retail_joint,0,1\r\n",
    );
    const empty = await s.monzo("sql", "SELECT id FROM accounts WHERE 0");
    expect(empty.out).toBe("ID\n(0 rows)\n");
    const views = await s.monzo(
      "sql",
      "SELECT month, category, spent FROM spending_by_category_month LIMIT 1",
      "--json",
    );
    expect(JSON.parse(views.out)[0]).toEqual({
      month: expect.stringMatching(/^\d{4}-\d\d$/),
      category: expect.any(String),
      spent: expect.any(Number),
    });
  });

  it("refuses writes and several statements with exit 2, and the mirror stays as it was", async () => {
    const count = async () =>
      JSON.parse((await s.monzo("sql", "SELECT count(*) AS n FROM transactions", "--json")).out)[0].n;
    const before = await count();
    for (const sql of [
      "DELETE FROM transactions",
      "SELECT 1; DELETE FROM transactions",
      "DROP TABLE accounts",
    ]) {
      const r = await s.monzo("sql", sql);
      expect({ sql, code: r.code }).toEqual({ sql, code: EXIT.usage });
      expect(r.err).toMatch(/^error: monzo sql (only reads|runs one statement)/);
    }
    expect(await count()).toBe(before);
  });

  it("long values are cut in the table, whole in --json; control characters never reach the terminal", async () => {
    const r = await s.monzo("sql", "SELECT raw FROM transactions LIMIT 1");
    expect(r.out.split("\n")[1]!.length).toBe(60);
    expect(r.err).toMatch(/cut at 60 characters/);
    const j = await s.monzo("sql", "SELECT raw FROM transactions LIMIT 1", "--json");
    expect(JSON.parse(JSON.parse(j.out)[0].raw).id).toMatch(/^tx_/);
    const c = await s.monzo(
      "sql",
      "SELECT 'a' || char(27) || '[2J' || char(155) || 'b' AS t, char(10) AS nl",
    );
    // Shown as visible escapes, never obeyed.
    expect(c.out).toBe("T              NL\na\\x1b[2J\\x9bb  \\x0a\n(1 row)\n");
    const hostile = "SELECT 'a' || char(27) || 'b' || char(155) AS t, 'x' || char(10) || 'y' AS nl";
    // On a terminal, line breaks stay (data in a quoted field); every other control is shown, never obeyed.
    const csv = await s.monzoOnTty("sql", hostile, "--csv");
    expect(csv.out).toBe('t,nl\r\na\\x1bb\\x9b,"x\ny"\r\n');
    // To a pipe or a file the result is exact.
    expect((await s.monzo("sql", hostile, "--csv")).out).toBe('t,nl\r\na\u001bb\u009b,"x\ny"\r\n');
  });
});
