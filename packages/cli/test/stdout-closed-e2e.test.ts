/**
 * The reader of stdout goes away (`monzo … | head`), for real: the built `monzo` as a subprocess whose stdout
 * is a pipe the test closes after the first bytes, against the emulator through a proxy that counts requests.
 * It stops quietly with the documented exit code, fetches no more pages, and a pot move still finishes.
 */
import { spawn } from "node:child_process";
import { open, readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/errors.js";
import { journalPath, type MoveRecord } from "../src/money/journal.js";
import { loggedIn, type lossyProxy, tempHome } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));
let bank: Awaited<ReturnType<typeof loggedIn>>;
let proxy: Awaited<ReturnType<typeof lossyProxy>>;

beforeAll(async () => {
  bank = await loggedIn("cli-stdout-closed-e2e", { transactions: 4000, viaProxy: true });
  proxy = bank.proxy!;
  // The mirror that `monzo sql` and `--from-mirror` read.
  const sync = await bank.run(["sync", "--quiet"]);
  if (sync.code !== EXIT.ok) throw new Error(`sync failed: ${sync.err}`);
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await bank?.emu.close();
});

const pages = (lines: readonly string[]) => lines.filter((l) => /^GET \/transactions\?/.test(l)).length;

/**
 * Runs `monzo args` with stdout a pipe closed by the reader after its first chunk (`head -c 10`), after
 * `closeAfter` bytes (mid-stream), or at once (`closeAtOnce`: the reader is gone before anything is written). Returns the exit, stderr, and the requests
 * the proxy saw after the close.
 */
async function piped(
  args: string[],
  options: { closeAtOnce?: boolean; closeAfter?: number; env?: Record<string, string> } = {},
) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: {
      PATH: process.env["PATH"] ?? "",
      ...bank.env,
      MONZO_API_URL: proxy.url,
      NO_COLOR: "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let read = 0;
  let seenAtClose: number | undefined;
  const close = () => {
    if (seenAtClose !== undefined) return;
    seenAtClose = proxy.state.seen.length;
    child.stdout.destroy();
  };
  child.stderr.on("data", (d: Buffer) => {
    err += d;
  });
  child.stdout.on("data", (d: Buffer) => {
    read += d.length;
    if (read >= (options.closeAfter ?? 1)) close();
  });
  if (options.closeAtOnce) close();
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("exit", (c, s) => resolve([c, s])),
  );
  return { code, signal, err, read, after: proxy.state.seen.slice(seenAtClose ?? 0) };
}

function quiet(err: string): void {
  expect(err).not.toMatch(/Unhandled|EPIPE|ERR_STREAM_DESTROYED|\n\s+at /);
  // Nothing but the once-per-run note that the API is this machine.
  expect(err.replace(/^note: the API is http:\/\/127\.0\.0\.1:\d+ .*\n/m, "")).toBe("");
}

describe("stdout closed by its reader", () => {
  it("an export to - stops quietly, exit 141, and asks Monzo for no more pages", async () => {
    const args = ["transactions", "export", "--all", "-", "--format", "json", "--concurrency", "1"];
    proxy.state.seen.length = 0;
    const whole = await piped(args, { closeAfter: Number.POSITIVE_INFINITY });
    expect(whole.code).toBe(EXIT.ok);
    const allPages = pages(proxy.state.seen);
    proxy.state.seen.length = 0;
    const run = await piped(args, { closeAfter: 300_000 });
    expect(run.read).toBeGreaterThanOrEqual(300_000);
    expect(run.code).toBe(EXIT.stdoutClosed);
    quiet(run.err);
    // 4000 transactions (about 5 MB of JSON) are many pages; cut at 300 kB, only the first few were asked
    // for, and after the close at most the page in flight and the next one.
    expect(whole.read).toBeGreaterThan(3_000_000);
    expect(allPages).toBeGreaterThan(10);
    expect(pages(proxy.state.seen)).toBeLessThan(allPages / 2);
    expect(pages(run.after)).toBeLessThanOrEqual(2);
    // No temporary or checkpoint is left for an export to stdout.
    const exports = await readdir(`${bank.home}`, { recursive: true });
    expect(exports.filter((n) => String(n).endsWith(".tmp"))).toEqual([]);
  });

  it("transactions list --all --csv stops quietly, exit 141, no page asked after the close", async () => {
    proxy.state.seen.length = 0;
    const since = new Date(Date.now() - 3 * 365 * 86_400_000).toISOString().slice(0, 10);
    const run = await piped(["transactions", "list", "--since", since, "--all", "--csv"], {
      closeAfter: 100_000,
    });
    expect(run.read).toBeGreaterThan(0);
    expect(run.code).toBe(EXIT.stdoutClosed);
    quiet(run.err);
    expect(pages(run.after)).toBe(0);
  });

  it("monzo sql --csv stops quietly, exit 141", async () => {
    const run = await piped(["sql", "SELECT * FROM transactions", "--csv"]);
    expect(run.read).toBeGreaterThan(0);
    expect(run.code).toBe(EXIT.stdoutClosed);
    quiet(run.err);
  });

  it("an export --from-mirror to - stops quietly, exit 141", async () => {
    const run = await piped(["transactions", "export", "--from-mirror", "--all", "-"]);
    expect(run.read).toBeGreaterThan(0);
    expect(run.code).toBe(EXIT.stdoutClosed);
    quiet(run.err);
  });

  it("says one line under --debug, never a stack trace", async () => {
    const run = await piped(["sql", "SELECT * FROM transactions", "--csv", "--debug"]);
    expect(run.code).toBe(EXIT.stdoutClosed);
    expect(run.err).not.toMatch(/Unhandled|\n\s+at /);
    expect(run.err).toMatch(/^debug: stdout was closed by its reader .*\n$/m);
  });

  it("in a real shell with pipefail: | head -c 10 gets 10 bytes and the pipeline's status is 141", async () => {
    const dir = await tempHome();
    const child = spawn(
      "bash",
      ["-c", 'set -o pipefail; "$NODE" "$BIN" sql "SELECT * FROM transactions" --csv | head -c 10'],
      {
        env: { PATH: process.env["PATH"] ?? "", ...bank.env, NODE: process.execPath, BIN, NO_COLOR: "1" },
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(out).toHaveLength(10);
    expect(code).toBe(141);
    expect(err).not.toMatch(/Unhandled|EPIPE|\n\s+at /);
  });

  it("stdout that cannot be written (a full disk) is said in one line, never a stack trace; a finished pot move still succeeds", async () => {
    const full = async (args: string[]) => {
      const out = await open("/dev/full", "w");
      try {
        const child = spawn(process.execPath, [BIN, ...args], {
          env: { PATH: process.env["PATH"] ?? "", ...bank.env, MONZO_API_URL: proxy.url, NO_COLOR: "1" },
          stdio: ["ignore", out.fd, "pipe"],
        });
        let err = "";
        child.stderr?.on("data", (d: Buffer) => {
          err += d;
        });
        const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
        return { code, err: err.replace(/^note: the API is http:\/\/127\.0\.0\.1:\d+ .*\n/m, "") };
      } finally {
        await out.close();
      }
    };
    const listed = await full(["transactions", "list", "--since", "2020-01-01", "--all", "--csv"]);
    expect(listed.code).toBe(EXIT.stdoutClosed);
    expect(listed.err).toMatch(/^error: could not write to stdout \(ENOSPC\): the output stopped there\.\n$/);
    const savings = [...bank.emu.emulator.state.bank.pots.values()].find((p) => p.json.name === "Savings")!;
    const balance = savings.json.balance;
    const moved = await full(["pots", "deposit", "Savings", "0.75"]);
    expect(moved.err).not.toMatch(/\n\s+at |Unhandled/);
    expect(moved.code).toBe(EXIT.ok);
    expect(moved.err).toContain(
      "note: monzo pots deposit finished and is in the journal; its message could not be written to stdout (ENOSPC).\n",
    );
    expect(savings.json.balance).toBe(balance + 75);
  });

  it("a change that ran to its end succeeds though its message was lost: an export to a file, a webhook added once", async () => {
    const dir = await tempHome();
    const file = `${dir}/out.csv`;
    const exported = await piped(["transactions", "export", "--since", "2026-11-01", file], {
      closeAtOnce: true,
    });
    expect(exported.code).toBe(EXIT.ok);
    quiet(exported.err);
    expect((await readFile(file, "utf8")).split("\n")[0]).toMatch(/^id,/);
    const hooks = () => bank.emu.emulator.state.webhooks.size;
    const before = hooks();
    const added = await piped(["webhooks", "add", "https://example.com/monzo-hook"], { closeAtOnce: true });
    expect(added.code).toBe(EXIT.ok);
    expect(hooks()).toBe(before + 1);
  });

  it("a pot move with its reader gone still moves the money once, journals it, and succeeds (exit 0: a retry on failure must not move it again)", async () => {
    const savings = [...bank.emu.emulator.state.bank.pots.values()].find((p) => p.json.name === "Savings")!;
    const balance = savings.json.balance;
    proxy.state.seen.length = 0;
    const run = await piped(["pots", "deposit", "Savings", "1.25"], { closeAtOnce: true });
    expect(run.code).toBe(EXIT.ok);
    quiet(run.err);
    expect(savings.json.balance).toBe(balance + 125);
    expect(proxy.state.seen.filter((l) => /^PUT \/pots\/.*\/deposit/.test(l))).toHaveLength(1);
    const moves = JSON.parse(await readFile(journalPath(bank.env, "default"), "utf8")).moves as MoveRecord[];
    expect(moves.filter((m) => m.amount === 125)).toEqual([expect.objectContaining({ outcome: "moved" })]);
  });
});
