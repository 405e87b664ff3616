/**
 * Ctrl+C during an export, for real: the built `monzo` as a subprocess against the emulator (through a
 * proxy that slows its transaction pages, so the export is still running), a real SIGINT, and then
 * `--resume` to a file identical to an uninterrupted export.
 */
import { spawn } from "node:child_process";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/errors.js";
import { loggedIn, type lossyProxy, tempHome } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));
let bank: Awaited<ReturnType<typeof loggedIn>>;
let proxy: Awaited<ReturnType<typeof lossyProxy>>;

beforeAll(async () => {
  bank = await loggedIn("cli-export-e2e", { transactions: 4000, viaProxy: true });
  proxy = bank.proxy!;
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await bank?.emu.close();
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("timed out waiting");
}

describe("Ctrl+C during an export", () => {
  it("removes the temporary, leaves the old file, says how to resume; --resume then finishes it", async () => {
    const dir = await tempHome();
    const file = join(dir, "big.csv");
    const reference = join(dir, "reference.csv");
    const args = ["transactions", "export", "--all", "--concurrency", "1"];
    expect((await bank.run([...args, reference, "--quiet"])).code).toBe(EXIT.ok);
    await writeFile(file, "yesterday's export\n");

    proxy.state.slow = { match: /^GET \/transactions\?/, ms: 150 };
    // Its own process group, so the signal goes to all of it as a terminal's Ctrl+C does: to the `monzo`
    // started and to the low-memory child it runs the export in (which its parent also passes it to).
    const child = spawn(process.execPath, [BIN, ...args, file, "--force"], {
      env: { PATH: process.env["PATH"] ?? "", ...bank.env, MONZO_API_URL: proxy.url, NO_COLOR: "1" },
      detached: true,
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d;
    });
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // Interrupted once some rows are in its temporary.
    const temp = async () =>
      (await readdir(dir)).find((n) => n.startsWith(".big.csv.") && n.endsWith(".tmp"));
    await until(async () => {
      const name = await temp();
      return name !== undefined && (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size > 4000;
    });
    process.kill(-child.pid!, "SIGINT");
    expect(await exit).toBe(EXIT.interrupted);
    expect(err).toMatch(
      /error: Interrupted after [\d,]+ transactions \(up to \d{4}-\d\d-\d\d \d\d:\d\d UTC\): .*big\.csv was not written \(the file there is unchanged\)\n/,
    );
    expect(err).toMatch(
      /→ Continue where it stopped: monzo transactions export .*big\.csv --resume --force\n$/,
    );
    expect(await readdir(dir)).toEqual(expect.not.arrayContaining([expect.stringMatching(/\.tmp$/)]));
    expect(await readFile(file, "utf8")).toBe("yesterday's export\n");

    proxy.state.slow = undefined;
    const resumed = await bank.run(["transactions", "export", file, "--resume", "--force"], {
      MONZO_API_URL: proxy.url,
    });
    expect(resumed.code).toBe(EXIT.ok);
    expect(await readFile(file, "utf8")).toBe(await readFile(reference, "utf8"));
    expect((await readdir(dir)).sort()).toEqual(["big.csv", "reference.csv"]);
  });
});
