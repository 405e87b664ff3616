import { readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT, UsageError } from "../src/errors.js";
import { formatFromPath } from "../src/export.js";
import { main } from "../src/main.js";
import { fakeIo, lossyProxy, tempHome } from "./helpers.js";

let emu: RunningEmulator;
let home: string;
/** In front of the emulator, passing everything until a test makes it fail; the login is made through it. */
let proxy: Awaited<ReturnType<typeof lossyProxy>>;
const env = () => ({ MONZOKIT_HOME: home, MONZO_API_URL: proxy.url });

beforeAll(async () => {
  emu = await serveEmulator({ seed: "export-test", transactions: 300 }, { port: 0 });
  proxy = await lossyProxy(emu.url);
  home = await tempHome();
  const token = emu.emulator.control.token({ ttlSeconds: 3600 });
  const login = fakeIo({ ...env(), MONZO_ACCESS_TOKEN: token });
  expect(await main(["login"], login.io), login.stderr()).toBe(EXIT.ok);
}, 30_000);
afterAll(async () => {
  await proxy?.close();
  await emu?.close();
});

describe("transactions export", () => {
  it("writes the file 0600 through an exclusive random temporary, leaving nothing beside it", async () => {
    const dir = await tempHome();
    const file = join(dir, "history.csv");
    const f = fakeIo(env());
    expect(await main(["transactions", "export", file], f.io)).toBe(EXIT.ok);
    expect((await readFile(file, "utf8")).split("\r\n")[0]).toMatch(/^id,created,/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["history.csv"]);
  });

  it("never writes through a symlink planted at the old predictable temporary name (F9)", async () => {
    const dir = await tempHome();
    const victim = join(await tempHome(), "victim.txt");
    await writeFile(victim, "untouched");
    const file = join(dir, "history.csv");
    // Before, the export wrote to `.history.csv.<pid>.partial`, following whatever was there.
    await symlink(victim, join(dir, `.history.csv.${process.pid}.partial`));
    expect(await main(["transactions", "export", file], fakeIo(env()).io)).toBe(EXIT.ok);
    expect(await readFile(victim, "utf8")).toBe("untouched");
    expect(await readFile(file, "utf8")).toMatch(/^id,created,/);
  });
});

describe("formatFromPath", () => {
  it("takes --format over the name, and a --format it does not know is named as the mistake", () => {
    expect(formatFromPath("x.json", "csv")).toBe("csv");
    expect(formatFromPath("-", undefined)).toBe("csv");
    expect(formatFromPath("a.jsonl", undefined)).toBe("ndjson");
    const bad = (() => {
      try {
        formatFromPath("x.json", "xml");
      } catch (e) {
        return e as UsageError;
      }
      throw new Error("did not throw");
    })();
    expect(bad).toBeInstanceOf(UsageError);
    expect(bad.message).toBe('--format "xml" is not an export format');
    expect(bad.hint).toBe("Use --format csv, json or ndjson (or leave it out: x.json says json).");
    expect(() => formatFromPath("x.txt", undefined)).toThrow("Cannot tell the export format of x.txt");
  });
});

describe("transactions export never loses or overwrites data", () => {
  const run = async (argv: string[], extra: Record<string, string> = {}) => {
    const f = fakeIo({ ...env(), TZ: "UTC", ...extra });
    const code = await main(argv, f.io);
    return { code, out: f.stdout(), err: f.stderr().replace(/^note: the API is .*\n/m, "") };
  };

  it("refuses to overwrite a file (exit 2) unless --force, and then replaces it whole", async () => {
    const dir = await tempHome();
    const file = join(dir, "history.csv");
    await writeFile(file, "1,355 transactions of full history\n");
    const refused = await run(["transactions", "export", file]);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.err).toMatch(
      /^error: .*history\.csv already exists \(35 bytes, .*\): not overwritten\n {2}→ Pass --force to replace it, or give another file name\.\n$/,
    );
    expect(await readFile(file, "utf8")).toBe("1,355 transactions of full history\n");
    expect(await readdir(dir)).toEqual(["history.csv"]);
    const forced = await run(["transactions", "export", file, "--force"]);
    expect(forced.code).toBe(EXIT.ok);
    expect(await readFile(file, "utf8")).toMatch(/^id,created,/);
    expect(await readdir(dir)).toEqual(["history.csv"]);
  });

  it("login --export-history checks its file before logging in, not after the window has started", async () => {
    const dir = await tempHome();
    const file = join(dir, "history.csv");
    await writeFile(file, "keep me\n");
    const before = emu.emulator.state.requestLog.entries().length;
    const r = await run(["login", "--export-history", file]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toMatch(/already exists .*: not overwritten/);
    expect(emu.emulator.state.requestLog.entries().length).toBe(before);
    expect(await readFile(file, "utf8")).toBe("keep me\n");
  });

  it("a missing directory is one line naming it, exit 2, before anything is asked of Monzo", async () => {
    const dir = await tempHome();
    const before = emu.emulator.state.requestLog.entries().length;
    const r = await run(["transactions", "export", join(dir, "nope", "h.csv")]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toBe(
      `error: The directory ${join(dir, "nope")} does not exist (for ${join(dir, "nope", "h.csv")})\n  → Create it first (mkdir -p ${join(dir, "nope")}) or export somewhere else.\n`,
    );
    expect(emu.emulator.state.requestLog.entries().length).toBe(before);
  });

  it("- writes to stdout (CSV unless --format), nothing to disk", async () => {
    const csv = await run(["transactions", "export", "-", "--quiet"]);
    expect(csv.code).toBe(EXIT.ok);
    expect(csv.out).toMatch(/^id,created,settled,amount,.*\r\ntx_/);
    const ndjson = await run(["transactions", "export", "-", "--format", "ndjson", "--quiet"]);
    const lines = ndjson.out.trimEnd().split("\n");
    expect(lines.length).toBe(csv.out.trimEnd().split("\r\n").length - 1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      amount: expect.stringMatching(/^-?\d+\.\d\d$/),
      currency: "GBP",
    });
  });

  it("a file gets bank text exactly, even when stdout is a terminal; - on a terminal shows its controls as escapes (N4)", async () => {
    const hostile = "Shop\u001b]0;pwned\u0007\u009b2J\u202e";
    const account = [...emu.emulator.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!;
    emu.emulator.control.createTransaction({
      accountId: account.json.id,
      amount: -50,
      merchant: "none",
      description: hostile,
    });
    const dir = await tempHome();
    const file = join(dir, "history.csv");
    const f = fakeIo(env(), { stdoutTty: true });
    expect(await main(["transactions", "export", file, "--quiet"], f.io)).toBe(EXIT.ok);
    expect(await readFile(file, "utf8")).toContain(`,${hostile},`);
    const g = fakeIo(env(), { stdoutTty: true });
    expect(await main(["transactions", "export", "-", "--quiet"], g.io)).toBe(EXIT.ok);
    expect(g.stdout()).toContain(",Shop\\x1b]0;pwned\\x07\\x9b2J\\u202e,");
  });

  it("a failed export removes its temporary, leaves the old file, and --resume finishes it byte for byte", async () => {
    try {
      const dir = await tempHome();
      const reference = join(dir, "reference.ndjson");
      const file = join(dir, "history.ndjson");
      expect((await run(["transactions", "export", reference, "--all", "--concurrency", "1"])).code).toBe(0);
      await writeFile(file, "the old export\n");
      // The server starts failing after the first pages of the walk.
      proxy.state.fail = { match: /^GET \/transactions\?/, after: 2 };
      const failed = await run(["transactions", "export", file, "--all", "--force", "--concurrency", "1"]);
      expect(failed.code).toBe(EXIT.network);
      expect(failed.err).toMatch(
        /^The export stopped after [\d,]+ transactions \(up to \d{4}-\d\d-\d\d \d\d:\d\d UTC\): .*history\.ndjson was not written \(the file there is unchanged\)\. Continue where it stopped: monzo transactions export .*history\.ndjson --resume --force\.\nerror: /,
      );
      expect(await readFile(file, "utf8")).toBe("the old export\n");
      expect((await readdir(dir)).sort()).toEqual(["history.ndjson", "reference.ndjson"]);
      const kept = await readdir(join(home, "data", "default", "exports"));
      expect(kept).toHaveLength(2);
      for (const name of kept)
        expect((await stat(join(home, "data", "default", "exports", name))).mode & 0o777).toBe(0o600);

      proxy.state.fail = undefined;
      const resumed = await run(["transactions", "export", file, "--resume", "--force"]);
      expect(resumed.err).toBe("");
      expect(resumed.out).toMatch(/^Finished the interrupted export: \d+ transactions to /);
      expect(await readFile(file, "utf8")).toBe(await readFile(reference, "utf8"));
      expect(await readdir(join(home, "data", "default", "exports"))).toEqual([]);
      const again = await run(["transactions", "export", file, "--resume", "--force"]);
      expect(again.code).toBe(EXIT.usage);
      expect(again.err).toMatch(/There is no interrupted export of .* to resume/);
    } finally {
      proxy.state.fail = undefined;
    }
  });
});
