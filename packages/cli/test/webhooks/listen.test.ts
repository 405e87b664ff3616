/**
 * `monzo webhooks listen`'s receiver in-process, with the emulator delivering to it over real HTTP
 * (REFERENCE §11.4: retries with backoff) and core's client registering it.
 */
import { createServer } from "node:net";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MonzoClient } from "@monzokit/core";
import { createEmulator, type Emulator } from "@monzokit/emulator";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { acquireSyncLock } from "../../src/mirror/lock.js";
import { syncMirror } from "../../src/mirror/sync.js";
import { type ListenOptions, startListener } from "../../src/webhooks/listen.js";
import { fakeIo, tempHome } from "../helpers.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function bank(): { e: Emulator; client: MonzoClient; accountId: string } {
  const e = createEmulator({
    seed: "cli-listen",
    transactions: 100,
    webhooks: { backoffMs: 5 },
    clock: { start: "2026-06-01T12:00:00Z", frozen: true },
  });
  cleanups.push(() => e.close());
  const client = new MonzoClient({
    accessToken: e.control.token(),
    fetch: e.fetch,
    apiUrl: "http://127.0.0.1:9",
  });
  const accountId = [...e.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!.json.id;
  return { e, client, accountId };
}

async function start(
  options: Partial<ListenOptions> & { env?: Record<string, string>; now?: () => number } = {},
) {
  const t = fakeIo(options.env ?? {}, options.now ? { now: options.now } : {});
  const listener = await startListener({ io: t.io, port: 0, ...options });
  let closed = false;
  const close = async () => {
    if (!closed) await listener.close();
    closed = true;
  };
  cleanups.push(close);
  return { ...t, listener, close };
}

async function spend(e: Emulator, accountId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await e.app.request("/_emulator/transactions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ account_id: accountId, amount: -420, ...extra }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { transaction: { id: string } }).transaction.id;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe("webhooks listen", () => {
  it("prints each event once as a transactions-list row, though Monzo delivers it twice", async () => {
    const { e, client, accountId } = bank();
    const { listener, stdout, stderr } = await start({ env: { TZ: "Europe/London" } });
    expect(listener.localUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/monzo\/[\w-]{43}$/);
    expect(stderr()).toContain(`Listening on ${listener.localUrl}`);
    expect(stderr()).toContain("--register");
    // Registered twice (a duplicate a lost answer can leave): two deliveries, one row.
    await client.webhooks.create({ accountId, url: listener.localUrl });
    await client.webhooks.create({ accountId, url: listener.localUrl });
    const txId = await spend(e, accountId);
    await e.control.webhooksIdle();
    const lines = stdout().split("\n").filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^DATE +AMOUNT +DESCRIPTION +CATEGORY +STATUS +ID$/);
    // In the local time zone, with its name (the clock is 12:00 UTC).
    expect(lines[1]).toMatch(new RegExp(`^2026-06-01 13:00 BST +-£4\\.20 +\\S.* pending +${txId}$`));
  });

  it("a pot transfer shows its pot by name, as transactions list does, with one pots request per account", async () => {
    const { e, client, accountId } = bank();
    const pots = await client.pots.list(accountId);
    const [first, second] = pots;
    expect(second).toBeDefined();
    const { listener, stdout } = await start({ env: { TZ: "UTC" }, pots: { client } });
    const potRequests = () =>
      [...e.state.routeCounts].filter(([route]) => route === "GET /pots").reduce((n, [, c]) => n + c, 0);
    const before = potRequests();
    const sample = await client.transactions.retrieve(await spend(e, accountId));
    const post = (pot: string, id: string, amount: number) =>
      fetch(listener.localUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          type: "transaction.created",
          data: { ...sample, id, amount, description: pot, metadata: { pot_id: pot }, merchant: null },
        }),
      });
    expect((await post(first!.id, "tx_0000potin1", -1000)).status).toBe(200);
    expect((await post(second!.id, "tx_0000potout", 500)).status).toBe(200);
    const lines = stdout().split("\n").filter(Boolean);
    expect(lines[1]).toContain(`To pot ${first!.name}`);
    expect(lines[2]).toContain(`From pot ${second!.name}`);
    expect(stdout()).not.toMatch(/(To|From) pot pot_/);
    expect(potRequests() - before).toBe(1);
  });

  it("without a login (no --register, no mirror) a pot transfer shows the pot's id, and nothing is asked", async () => {
    const { e, client, accountId } = bank();
    const [pot] = await client.pots.list(accountId);
    const { listener, stdout } = await start();
    const sample = await client.transactions.retrieve(await spend(e, accountId));
    const before = [...e.state.routeCounts].reduce((n, [, c]) => n + c, 0);
    await fetch(listener.localUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        type: "transaction.created",
        data: {
          ...sample,
          id: "tx_0000potin2",
          amount: -1000,
          description: pot!.id,
          metadata: { pot_id: pot!.id },
        },
      }),
    });
    expect(stdout()).toContain(`To pot ${pot!.id}`);
    expect([...e.state.routeCounts].reduce((n, [, c]) => n + c, 0)).toBe(before);
  });

  it("--json prints NDJSON, exactly Monzo's event, one line each, nothing raw from the bank", async () => {
    const { e, client, accountId } = bank();
    const { listener, stdout } = await start({ json: true });
    await client.webhooks.create({ accountId, url: listener.localUrl });
    const nasty = "EVIL\u001b[2J\u001b]0;owned\u0007\u009b31m\u202eLTD\nnext";
    const txId = await spend(e, accountId, { description: nasty, merchant: "none" });
    await e.control.webhooksIdle();
    const lines = stdout().split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(stdout()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    const event = JSON.parse(lines[0]!) as { type: string; data: { id: string; description: string } };
    expect(event.type).toBe("transaction.created");
    expect(event.data.id).toBe(txId);
    expect(event.data.description).toBe(nasty);
  });

  it("a description with escape sequences is shown, never obeyed", async () => {
    const { e, client, accountId } = bank();
    const { listener, stdout } = await start();
    await client.webhooks.create({ accountId, url: listener.localUrl });
    await spend(e, accountId, { description: "A\u001b[2JB\u0007\u009b\u202e", merchant: "none" });
    await e.control.webhooksIdle();
    expect(stdout()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(stdout()).toContain("A\\x1b[2JB\\x07\\x9b\\u202e");
  });

  it("--register: ensure registers <base><path>, names older runs' URLs, and removes its own on exit", async () => {
    const { e, client, accountId } = bank();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const older = await client.webhooks.create({
      accountId,
      url: `${base}/monzo/an-older-runs-secret-0000000000`,
    });
    const unrelated = await client.webhooks.create({ accountId, url: "https://example.com/hook" });
    const { listener, stdout, stderr, close } = await start({
      port,
      register: { baseUrl: `${base}/`, client, accountId },
    });
    expect(listener.registeredUrl).toBe(listener.localUrl);
    expect(stderr()).toMatch(/Registered webhook_\w+ for account/);
    expect(stderr()).toContain(older.id);
    expect(stderr()).not.toContain(unrelated.id);
    const txId = await spend(e, accountId);
    await e.control.webhooksIdle();
    expect(stdout()).toContain(txId);
    await close();
    expect((await client.webhooks.list(accountId)).map((w) => w.id).sort()).toEqual(
      [older.id, unrelated.id].sort(),
    );
    expect(stderr()).toMatch(/Removed the registration webhook_/);
  });

  it("--register --keep leaves it; a stable secret from MONZO_WEBHOOK_SECRET finds it again next run", async () => {
    const { client, accountId } = bank();
    const port = await freePort();
    const env = { MONZO_WEBHOOK_SECRET: "a-stable-secret-of-enough-length-123" };
    const register = { baseUrl: `http://127.0.0.1:${port}`, client, accountId, keep: true };
    const first = await start({ port, env, register });
    expect(first.listener.localUrl).toBe(`http://127.0.0.1:${port}/monzo/${env.MONZO_WEBHOOK_SECRET}`);
    await first.close();
    const second = await start({ port, env, register });
    expect(second.stderr()).toMatch(/Already registered/);
    await second.close();
    expect((await client.webhooks.list(accountId)).map((w) => w.url)).toEqual([first.listener.localUrl]);
  });

  it("a browser's post is refused and said so; a wrong path too, without echoing it", async () => {
    const { listener, stderr, stdout } = await start();
    const res = await fetch(listener.localUrl, {
      method: "POST",
      headers: { "content-type": "text/plain", origin: "https://evil.example" },
      body: '{"type":"transaction.created"}',
    });
    expect(res.status).toBe(403);
    const wrong = await fetch(`${new URL(listener.localUrl).origin}/monzo/guess\u001b`, { method: "POST" });
    expect(wrong.status).toBe(404);
    expect(stderr()).toContain("Refused a request: sent by a web browser (403).");
    expect(stderr()).toContain("Refused a request: not the secret path (404).");
    expect(stderr()).not.toContain("guess");
    expect(stdout()).toBe("");
  });

  it("many refused requests are summarised, not one line each", async () => {
    let now = 0;
    const { listener, stderr } = await start({ now: () => now });
    const origin = new URL(listener.localUrl).origin;
    for (let i = 0; i < 20; i++) expect((await fetch(`${origin}/nope${i}`)).status).toBe(404);
    expect(stderr().match(/not the secret path/g)).toHaveLength(1);
    now = 10_000;
    await fetch(`${origin}/nope`);
    expect(stderr()).toContain("not the secret path (404), and 19 more like it.");
  });

  it("mistakes are usage errors with the fix: a bad secret, path, register URL or busy port", async () => {
    const { client, accountId } = bank();
    await expect(start({ env: { MONZO_WEBHOOK_SECRET: "short" } })).rejects.toThrow(/MONZO_WEBHOOK_SECRET/);
    await expect(start({ basePath: "/a?b" })).rejects.toThrow(UsageError);
    for (const baseUrl of [
      "not a url",
      "ftp://x.example",
      "https://x.example/?q=1",
      "http://x.example",
      "https://u:p@x.example",
    ])
      await expect(start({ register: { baseUrl, client, accountId } }), baseUrl).rejects.toThrow(UsageError);
    const { listener } = await start();
    const port = Number(new URL(listener.localUrl).port);
    await expect(start({ port })).rejects.toThrow(/Port \d+ is in use/);
    expect(await client.webhooks.list(accountId)).toEqual([]);
  });

  it("the secret path is masked in errors: an API echoing the URL it was asked to register shows [redacted]", async () => {
    const secret = "a-stable-secret-of-enough-length-456";
    const echoing = new MonzoClient({
      accessToken: "access-token-0123456789",
      apiUrl: "http://127.0.0.1:9",
      fetch: (async (_url: string, init?: RequestInit) => {
        if ((init?.method ?? "GET") === "GET") return Response.json({ webhooks: [] });
        const url = new URLSearchParams(String(init?.body ?? "")).get("url") ?? "";
        return new Response(
          JSON.stringify({ code: "bad_request.bad_param.url", message: `cannot reach ${url}` }),
          {
            status: 400,
            headers: { "content-type": "application/json" },
          },
        );
      }) as typeof fetch,
    });
    const error = await start({
      env: { MONZO_WEBHOOK_SECRET: secret },
      register: { baseUrl: "https://tunnel.example.com", client: echoing, accountId: "acc_0001" },
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("cannot reach https://tunnel.example.com/monzo/[redacted]");
    expect(String((error as Error).stack)).not.toContain(secret);
  });

  it("--quiet prints events only", async () => {
    const { e, client, accountId } = bank();
    const { listener, stderr, stdout } = await start({ quiet: true });
    await client.webhooks.create({ accountId, url: listener.localUrl });
    await spend(e, accountId);
    await e.control.webhooksIdle();
    expect(stderr()).toBe("");
    expect(stdout()).toContain("-£4.20");
  });
});

describe("webhooks listen with a mirror", () => {
  /** The emulator's bank, synced once into a fresh mirror, as `monzo sync` leaves it. */
  async function mirrored() {
    const b = bank();
    const db = join(await tempHome(), "mirror.db");
    const sync = () => syncMirror({ client: b.client, db, now: () => b.e.control.now() });
    await sync();
    const rows = (id: string) => {
      const conn = new DatabaseSync(db, { readOnly: true });
      try {
        return conn.prepare("SELECT * FROM transactions WHERE id = ?").all(id);
      } finally {
        conn.close();
      }
    };
    return { ...b, db, sync, rows };
  }

  it("a delivered transaction.created is in the mirror when Monzo gets its answer, and a later sync leaves it identical", async () => {
    const { e, client, accountId, db, sync, rows } = await mirrored();
    const { listener, stdout, stderr } = await start({ mirror: { path: db, client } });
    expect(stderr()).toContain(
      `New transactions go into the mirror ${db} too, as Monzo confirms them (--no-mirror`,
    );
    await client.webhooks.create({ accountId, url: listener.localUrl });
    const txId = await spend(e, accountId);
    await e.control.webhooksIdle();
    expect(stdout()).toContain(txId);
    expect(e.state.deliveries.map((d) => [d.transaction_id, d.attempt, d.status])).toEqual([[txId, 1, 200]]);
    const [row] = rows(txId);
    expect(row).toMatchObject({ id: txId, account_id: accountId, amount: -420, status: "pending" });
    expect(row!["first_seen"]).toBe(row!["last_changed"]);

    const report = await sync();
    expect(report.changed).toBe(0);
    expect(report.added).toBe(0);
    expect(rows(txId)).toEqual([row]);
  });

  it("while a sync holds the mirror, Monzo is answered at once and the event goes in once the sync is done", async () => {
    const { e, client, accountId, db, rows } = await mirrored();
    const { listener, stderr, close } = await start({ mirror: { path: db, client } });
    await client.webhooks.create({ accountId, url: listener.localUrl });
    const lock = await acquireSyncLock(`${db}.sync-lock`, { waitMs: 0, displayPath: db });
    const txId = await spend(e, accountId);
    await e.control.webhooksIdle();
    expect(e.state.deliveries.map((d) => [d.attempt, d.status])).toEqual([[1, 200]]);
    expect(rows(txId)).toEqual([]);
    expect(stderr()).toContain("A monzo sync is writing the mirror: events wait here");
    lock.release();
    // The sync has ended: what waited goes in (at the next retry, or at the latest when listening stops).
    await close();
    expect(rows(txId)).toHaveLength(1);
    expect(stderr()).not.toContain("not added to the mirror");
  });

  it("stopped while a sync still holds the mirror, it says what the next sync will read", async () => {
    const { e, client, accountId, db, rows } = await mirrored();
    const { listener, stderr, close } = await start({ mirror: { path: db, client }, quiet: true });
    await client.webhooks.create({ accountId, url: listener.localUrl });
    const lock = await acquireSyncLock(`${db}.sync-lock`, { waitMs: 0, displayPath: db });
    const txId = await spend(e, accountId);
    await e.control.webhooksIdle();
    await close();
    lock.release();
    expect(rows(txId)).toEqual([]);
    expect(stderr()).toBe(
      "1 event was not added to the mirror: a monzo sync was writing it. The next monzo sync reads it.\n",
    );
  });

  it("stores Monzo's copy of the transaction an event names, never the event's body: one retrieve per event (N3)", async () => {
    const { e, client, accountId, db, rows } = await mirrored();
    const { listener, stderr } = await start({ mirror: { path: db, client } });
    const retrieves = () =>
      [...e.state.routeCounts]
        .filter(([route]) => /^GET \/transactions\/:/.test(route))
        .reduce((n, [, count]) => n + count, 0);
    const before = retrieves();
    // A real transaction, made before anything was registered here; the event says something else.
    const txId = await spend(e, accountId, { merchant: "pub" });
    const truth = await client.transactions.retrieve(txId, { expandMerchant: true });
    const post = (data: unknown) =>
      fetch(listener.localUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ type: "transaction.created", data }),
      });
    const forged = { ...truth, amount: -1_000_000, description: "FORGED", merchant: null, notes: "x" };
    expect((await post(forged)).status).toBe(200);
    expect(rows(txId)).toEqual([
      expect.objectContaining({ amount: -420, description: truth.description, notes: truth.notes ?? "" }),
    ]);
    expect(rows(txId)[0]!["merchant_id"]).toMatch(/^merch_/);
    // An id Monzo does not know: not in the mirror, one escaped line on stderr.
    expect((await post({ ...forged, id: "tx_0000nope\u001b[2J" })).status).toBe(200);
    expect(rows("tx_0000nope\u001b[2J")).toEqual([]);
    expect(stderr()).toMatch(
      /^warning: an event named tx_0000nope\\x1b\[2J, which Monzo does not confirm for this login \((400|404) [\w.]+\): not added to the mirror\./m,
    );
    expect(retrieves() - before).toBe(2 + 1);
  });

  it("when Monzo cannot be asked, nothing goes in and it says the next sync reads it; Monzo is still answered (N3)", async () => {
    const { e, client, accountId, db, rows } = await mirrored();
    const down = new MonzoClient({
      accessToken: e.control.token(),
      apiUrl: `http://127.0.0.1:${await freePort()}`,
      maxRetries: 0,
    });
    const { listener, stdout, stderr, close } = await start({ mirror: { path: db, client: down } });
    await client.webhooks.create({ accountId, url: listener.localUrl });
    const txId = await spend(e, accountId);
    await e.control.webhooksIdle();
    expect(stdout()).toContain(txId);
    expect(e.state.deliveries.map((d) => [d.transaction_id, d.attempt, d.status])).toEqual([[txId, 1, 200]]);
    expect(rows(txId)).toEqual([]);
    expect(stderr()).toMatch(
      new RegExp(
        `^Could not confirm ${txId} with Monzo \\(.+\\): events are added to the mirror only once Monzo confirms them, so the next monzo sync reads it\\.$`,
        "m",
      ),
    );
    await close();
    expect(stderr()).toContain(
      "1 event was not added to the mirror: Monzo could not be asked to confirm it. The next monzo sync reads it.\n",
    );
  });

  it("a mirror that cannot be written is said once on stderr; Monzo is still answered 200 and the event shown", async () => {
    const { e, client, accountId } = bank();
    const dir = await tempHome();
    const db = join(dir, "not-a-mirror.db");
    await import("node:fs/promises").then((fs) => fs.writeFile(db, "not SQLite at all", { mode: 0o600 }));
    const { listener, stdout, stderr } = await start({ mirror: { path: db, client } });
    await client.webhooks.create({ accountId, url: listener.localUrl });
    const first = await spend(e, accountId);
    const second = await spend(e, accountId);
    await e.control.webhooksIdle();
    expect(stdout()).toContain(first);
    expect(stdout()).toContain(second);
    expect(e.state.deliveries.every((d) => d.status === 200 && d.attempt === 1)).toBe(true);
    expect(
      stderr().match(
        /Could not add tx_\w+ to the mirror .*not a Monzokit mirror.*the next monzo sync adds it/g,
      ),
    ).toHaveLength(1);
  });
});
