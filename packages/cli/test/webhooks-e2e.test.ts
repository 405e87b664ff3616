/**
 * End to end: `monzo webhooks listen --register` as a subprocess, the emulator on a real loopback port
 * delivering to it over HTTP with retries, Ctrl+C (SIGINT) to stop it.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempHome } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));
let emu: RunningEmulator;
let home: string;
let accountId: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${emu.url}${path}`, init);
  expect(res.ok, `${path}: ${res.status}`).toBe(true);
  return (await res.json()) as T;
}

beforeAll(async () => {
  emu = await serveEmulator(
    { seed: "cli-webhooks-e2e", transactions: 100, webhooks: { backoffMs: 5 } },
    { port: 0 },
  );
  // A playground-style token in the profile's token file, as `monzo login` would leave one.
  const token = emu.emulator.control.token({ ttlSeconds: 3600 });
  const who = await api<{ user_id: string; client_id: string }>("/ping/whoami", {
    headers: { authorization: `Bearer ${token}` },
  });
  const accounts = await api<{ accounts: { id: string; type: string }[] }>("/accounts", {
    headers: { authorization: `Bearer ${token}` },
  });
  accountId = accounts.accounts.find((a) => a.type === "uk_retail")!.id;
  home = await tempHome();
  await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
  await writeFile(
    join(home, "tokens", "default.json"),
    JSON.stringify({
      accessToken: token,
      expiresAt: Date.now() + 3_600_000,
      userId: who.user_id,
      clientId: who.client_id,
    }),
    { mode: 0o600 },
  );
});

afterAll(async () => {
  await emu?.close();
});

function monzo(args: string[]): {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  until: (pattern: RegExp, where?: "out" | "err") => Promise<RegExpMatchArray>;
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: {
      PATH: process.env["PATH"] ?? "",
      MONZOKIT_HOME: home,
      MONZO_API_URL: emu.url,
      MONZO_TOKEN_STORE: "file",
      NO_COLOR: "1",
    },
  });
  let out = "";
  let err = "";
  const waiters: (() => void)[] = [];
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout.on("data", (d: Buffer) => {
    out += d;
    poke();
  });
  child.stderr.on("data", (d: Buffer) => {
    err += d;
    poke();
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    until: (pattern, where = "err") =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = (where === "out" ? out : err).match(pattern);
          if (m) {
            waiters.splice(waiters.indexOf(check), 1);
            resolve(m);
          }
        };
        waiters.push(check);
        check();
        void exit.then(() => setTimeout(() => reject(new Error(`exited before ${pattern}: ${err}`)), 50));
      }),
  };
}

describe("monzo webhooks listen, end to end", () => {
  it("registers its secret URL, prints each new transaction once as NDJSON, and unregisters on Ctrl+C", async () => {
    const port = await freePort();
    const run = monzo([
      "webhooks",
      "listen",
      "--port",
      String(port),
      "--register",
      `http://127.0.0.1:${port}`,
      "--json",
    ]);
    const [, url] = await run.until(/Monzo posts to (http:\/\/\S+)/);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/monzo/[\\w-]{43}$`));
    const token = emu.emulator.control.token();
    const listed = async () =>
      (
        await api<{ webhooks: { url: string }[] }>(`/webhooks?account_id=${accountId}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).webhooks.map((w) => w.url);
    expect(await listed()).toEqual([url]);

    const ids: string[] = [];
    for (const amount of [-150, -2_599]) {
      const { transaction } = await api<{ transaction: { id: string } }>("/_emulator/transactions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ account_id: accountId, amount }),
      });
      ids.push(transaction.id);
    }
    await run.until(new RegExp(ids[1]!), "out");
    await emu.emulator.control.webhooksIdle();
    const events = run
      .stdout()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; data: { id: string; amount: number } });
    expect(events.map((e) => [e.type, e.data.id, e.data.amount])).toEqual([
      ["transaction.created", ids[0], -150],
      ["transaction.created", ids[1], -2_599],
    ]);
    // Without the secret, nothing gets in.
    expect((await fetch(`http://127.0.0.1:${port}/monzo/`, { method: "POST" })).status).toBe(404);

    run.child.kill("SIGINT");
    expect(await run.exit, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/Removed the registration webhook_/);
    expect(await listed()).toEqual([]);
  });

  it("stops when the reader of its stdout goes away (| head): unregisters, exit 141, no stack trace", async () => {
    const port = await freePort();
    const run = monzo([
      "webhooks",
      "listen",
      "--port",
      String(port),
      "--register",
      `http://127.0.0.1:${port}`,
      "--json",
      "--no-mirror",
    ]);
    const [, url] = await run.until(/Monzo posts to (http:\/\/\S+)/);
    const token = emu.emulator.control.token();
    const listed = async () =>
      (
        await api<{ webhooks: { url: string }[] }>(`/webhooks?account_id=${accountId}`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).webhooks.map((w) => w.url);
    expect(await listed()).toEqual([url]);
    run.child.stdout.destroy();
    // The next event it prints meets the closed pipe.
    await api("/_emulator/transactions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ account_id: accountId, amount: -75 }),
    });
    expect(await run.exit, run.stderr()).toBe(141);
    expect(run.stderr()).not.toMatch(/Unhandled|EPIPE|\n\s+at /);
    expect(run.stderr()).toMatch(/Removed the registration webhook_/);
    expect(await listed()).toEqual([]);
  });

  it("adds each delivered transaction to the profile's mirror, which a later monzo sync leaves identical; --no-mirror leaves it alone", async () => {
    const sync = monzo(["sync", "--json"]);
    expect(await sync.exit, sync.stderr()).toBe(0);
    const mirror = join(home, "data", "default", "mirror.db");
    const row = (id: string) => {
      const conn = new DatabaseSync(mirror, { readOnly: true });
      try {
        return conn.prepare("SELECT * FROM transactions WHERE id = ?").get(id);
      } finally {
        conn.close();
      }
    };
    const newTransaction = async (amount: number) =>
      (
        await api<{ transaction: { id: string } }>("/_emulator/transactions", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ account_id: accountId, amount, merchant: "pub" }),
        })
      ).transaction.id;

    const port = await freePort();
    const run = monzo([
      "webhooks",
      "listen",
      "--port",
      String(port),
      "--register",
      `http://127.0.0.1:${port}`,
    ]);
    await run.until(/Monzo posts to /);
    expect(run.stderr()).toContain(
      `New transactions go into the mirror ${mirror} too, as Monzo confirms them (--no-mirror`,
    );
    const id = await newTransaction(-1_850);
    await run.until(new RegExp(id), "out");
    await emu.emulator.control.webhooksIdle();
    const added = row(id);
    expect(added).toMatchObject({ id, account_id: accountId, amount: -1_850, status: "pending" });
    run.child.kill("SIGINT");
    expect(await run.exit, run.stderr()).toBe(0);

    const again = monzo(["sync", "--json"]);
    expect(await again.exit, again.stderr()).toBe(0);
    expect(JSON.parse(again.stdout())).toMatchObject({ added: 0, changed: 0, removed: 0 });
    expect(row(id)).toEqual(added);

    const off = monzo([
      "webhooks",
      "listen",
      "--port",
      String(port),
      "--register",
      `http://127.0.0.1:${port}`,
      "--no-mirror",
    ]);
    await off.until(/Monzo posts to /);
    expect(off.stderr()).not.toContain("mirror");
    const ignored = await newTransaction(-99);
    await off.until(new RegExp(ignored), "out");
    await emu.emulator.control.webhooksIdle();
    off.child.kill("SIGINT");
    expect(await off.exit, off.stderr()).toBe(0);
    expect(row(ignored)).toBeUndefined();
  });

  it("the mirror takes only what Monzo confirms: forged events are left out with a warning, a delivery goes in as Monzo has it (N3)", async () => {
    const sync = monzo(["sync", "--json"]);
    expect(await sync.exit, sync.stderr()).toBe(0);
    const mirror = join(home, "data", "default", "mirror.db");
    const row = (id: string) => {
      const conn = new DatabaseSync(mirror, { readOnly: true });
      try {
        return conn.prepare("SELECT * FROM transactions WHERE id = ?").get(id) as
          | Record<string, unknown>
          | undefined;
      } finally {
        conn.close();
      }
    };
    const retrieves = async () =>
      [...emu.emulator.state.routeCounts]
        .filter(([route]) => /^GET \/transactions\/:/.test(route))
        .reduce((n, [, count]) => n + count, 0);
    // A real transaction made while nothing listened: Monzo delivers no event for it to this run.
    const real = emu.emulator.control.createTransaction({ accountId, amount: -420, merchant: "pub" });
    const port = await freePort();
    const run = monzo([
      "webhooks",
      "listen",
      "--port",
      String(port),
      "--register",
      `http://127.0.0.1:${port}`,
    ]);
    const [, url] = await run.until(/Listening on (http:\/\/\S+) /);
    await run.until(/Monzo posts to /);
    const before = await retrieves();
    // Whoever learns the URL (a proxy's log, a hostile tunnel) can post: deliveries are not signed.
    const forge = async (data: Record<string, unknown>) => {
      const res = await fetch(url!, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "transaction.created", data }),
      });
      expect(res.status).toBe(200);
    };
    const fake = (id: string, extra: Record<string, unknown> = {}) => ({
      id,
      account_id: accountId,
      amount: -99_999,
      currency: "GBP",
      created: new Date(emu.emulator.control.now()).toISOString(),
      settled: "",
      description: "FORGED",
      category: "general",
      is_load: false,
      merchant: null,
      notes: "",
      metadata: {},
      ...extra,
    });
    // 1. A transaction that does not exist.
    await forge(fake("tx_0000FORGEDnotARealOne0"));
    // 2. Another person's transaction (another user of this bank), claimed for this account.
    const accounts = [...emu.emulator.state.bank.accounts.values()];
    const me = accounts.find((a) => a.json.id === accountId)!.ownerIds[0]!;
    const stranger = accounts.find((a) => a.transactions.length > 0 && !a.ownerIds.includes(me))!;
    const theirs = stranger.transactions[0]!.json.id;
    await forge(fake(theirs));
    // 3. A real transaction of this account, saying what the forger wants: Monzo's copy goes in instead.
    await forge(fake(real.id));
    // 4. The genuine delivery of a new transaction.
    const genuine = emu.emulator.control.createTransaction({ accountId, amount: -1_234, merchant: "pub" });
    await run.until(new RegExp(genuine.id), "out");
    await emu.emulator.control.webhooksIdle();
    run.child.kill("SIGINT");
    expect(await run.exit, run.stderr()).toBe(0);

    expect(row("tx_0000FORGEDnotARealOne0")).toBeUndefined();
    expect(row(theirs)).toBeUndefined();
    for (const id of ["tx_0000FORGEDnotARealOne0", theirs])
      expect(run.stderr()).toMatch(
        new RegExp(
          `^warning: an event named ${id}, which Monzo does not confirm for this login \\(404 not_found\\.transaction\\): not added to the mirror\\.`,
          "m",
        ),
      );
    expect(row(real.id)).toMatchObject({ amount: -420, description: real.description });
    expect(row(real.id)!["merchant_id"]).toMatch(/^merch_/);
    expect(row(genuine.id)).toMatchObject({ id: genuine.id, account_id: accountId, amount: -1_234 });
    expect(row(genuine.id)!["merchant_id"]).toMatch(/^merch_/);
    expect(run.stderr()).not.toMatch(/[\u001b\u009b]/);
    // One retrieve per event: the three forged, the one delivered.
    expect((await retrieves()) - before).toBe(4);
  });

  it("a mirror needs a login to confirm events: without one it says so (exit 3) before listening (N3)", async () => {
    const { main } = await import("../src/main.js");
    const { fakeIo } = await import("./helpers.js");
    const sync = monzo(["sync", "--quiet"]);
    expect(await sync.exit, sync.stderr()).toBe(0);
    const mirror = join(home, "data", "default", "mirror.db");
    const f = fakeIo({ MONZOKIT_HOME: await tempHome(), MONZO_API_URL: emu.url, MONZO_TOKEN_STORE: "file" });
    expect(await main(["webhooks", "listen", "--port", "0", "--db", mirror], f.io)).toBe(3);
    expect(f.stderr()).toMatch(
      /^error: Not logged in: the mirror takes only transactions Monzo confirms with your login\n {2}→ Run monzo login first, or pass --no-mirror to only show events\.\n$/m,
    );
    expect(f.stderr()).not.toContain("Listening on");
  });

  it("--db must name an existing mirror, and contradicts --no-mirror (nothing listens)", async () => {
    const missing = monzo(["webhooks", "listen", "--port", "0", "--db", "nowhere.db"]);
    expect(await missing.exit).toBe(3);
    expect(missing.stderr()).toMatch(
      /^error: There is no mirror at nowhere\.db yet\n {2}→ Run monzo sync --db nowhere\.db first/,
    );
    const both = monzo(["webhooks", "listen", "--port", "0", "--db", "x.db", "--no-mirror"]);
    expect(await both.exit).toBe(2);
    expect(both.stderr()).toContain("--db and --no-mirror contradict each other");
  });
});
