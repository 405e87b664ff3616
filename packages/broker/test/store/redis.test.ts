/**
 * Two broker instances sharing one real redis-server: /new on one, the callback on the other, collection on
 * the first; racing collectors on both instances; Redis killed and restarted mid-test.
 */
import { createEmulator } from "@monzokit/emulator";
import { createClient } from "@redis/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServer } from "../../../../test-support/redis.js";
import type { BrokerConfig } from "../../src/config.js";
import { RedisSessionStore } from "../../src/store/redis.js";
import { confirmationFrom, consent, NEW, setup } from "../helpers.js";

const redis = new RedisServer();
/** The key every instance shares (the one the test broker's config seals codes with). */
const KEY = new Uint8Array(32).fill(7);

const stores: RedisSessionStore[] = [];

beforeAll(async () => {
  await redis.start();
}, 30_000);
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await redis.dispose();
});

async function twoInstances() {
  const e = createEmulator({
    seed: "redis",
    transactions: 100,
    clock: { start: "2026-06-01T12:00:00Z", frozen: true },
  });
  const [a, b] = [
    await RedisSessionStore.connect(redis.url, { key: KEY }),
    await RedisSessionStore.connect(redis.url, { key: KEY }),
  ];
  stores.push(a, b);
  return { e, one: setup({ emulator: e, store: a }), two: setup({ emulator: e, store: b }) };
}

describe("broker with Redis", () => {
  it("a login started on one instance, redirected to another, is collected on the first", async () => {
    const { e, one, two } = await twoInstances();
    const session = (await (await one.app.request(NEW)).json()) as { id: string; login_url: string };
    const page = await two.app.request(await consent(e, session.login_url));
    expect(page.status).toBe(303);
    const collect = `/token?id=${session.id}&confirm=${confirmationFrom(page)}`;
    const collected = await one.app.request(collect);
    expect(collected.status).toBe(200);
    expect((await two.app.request(collect)).status).toBe(410);
  });

  it("collectors racing on both instances: exactly one gets the tokens", async () => {
    const { e, one, two } = await twoInstances();
    const session = (await (await one.app.request(NEW)).json()) as { id: string; login_url: string };
    const confirm = confirmationFrom(await two.app.request(await consent(e, session.login_url)));
    const collect = `/token?id=${session.id}&confirm=${confirm}`;
    const results = await Promise.all(
      [...Array(4)].flatMap(() => [one.app.request(collect), two.app.request(collect)]),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 410, 410, 410, 410, 410, 410, 410]);
  });

  it("taking is atomic with its tombstone: a look from another connection never sees neither", async () => {
    const [a, b] = [
      await RedisSessionStore.connect(redis.url, { key: KEY, prefix: "take:" }),
      await RedisSessionStore.connect(redis.url, { key: KEY, prefix: "take:" }),
    ];
    stores.push(a, b);
    const now = Date.now();
    const seen: string[] = [];
    for (let i = 0; i < 200; i++) {
      const id = `take-${i}-${"x".repeat(30)}`;
      await a.create({ id, state: `st-${i}-${"y".repeat(30)}`, createdAt: now, expiresAt: now + 60_000 });
      await a.settle((await a.get(id))!.ref, { status: "ready", sealedCode: "x" });
      const [taken, look] = await Promise.all([
        a.take(id),
        b.get(id).then(async (s) => (s ? "session" : (await b.wasTaken(id)) ? "tombstone" : "neither")),
      ]);
      expect(taken?.status).toBe("ready");
      seen.push(look);
      expect(await b.byState(`st-${i}-${"y".repeat(30)}`)).toBeUndefined();
      expect(await b.take(id)).toBeUndefined();
    }
    expect(seen).not.toContain("neither");
  });

  it("rate limits hold across instances", async () => {
    const e = createEmulator({ seed: "redis-rl", transactions: 50 });
    const [a, b] = [
      await RedisSessionStore.connect(redis.url, { key: KEY, prefix: "rl-test:" }),
      await RedisSessionStore.connect(redis.url, { key: KEY, prefix: "rl-test:" }),
    ];
    stores.push(a, b);
    const one = setup({
      emulator: e,
      store: a,
      config: { rateLimits: { new: 3, token: 1000, refresh: 1000 } },
    });
    const two = setup({
      emulator: e,
      store: b,
      config: { rateLimits: { new: 3, token: 1000, refresh: 1000 } },
    });
    const statuses = [];
    for (const app of [one.app, two.app, one.app, two.app]) statuses.push((await app.request(NEW)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
  });

  it("Redis down: 503 with a retry hint and the process stays up; Redis back: it recovers by itself", async () => {
    const { e, one } = await twoInstances();
    const before = (await (await one.app.request(NEW)).json()) as { id: string };
    await redis.stop();
    const down = await one.app.request(NEW);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    expect((await one.app.request("/healthz")).status).toBe(503);
    expect((await one.app.request(`/token?id=${before.id}`)).status).toBe(503);
    await redis.start();
    let healthy = false;
    for (let i = 0; i < 100 && !healthy; i++) {
      healthy = (await one.app.request("/healthz")).status === 200;
      if (!healthy) await new Promise((r) => setTimeout(r, 100));
    }
    expect(healthy).toBe(true);
    const session = (await (await one.app.request(NEW)).json()) as { id: string; login_url: string };
    const back = await one.app.request(await consent(e, session.login_url));
    expect((await one.app.request(`/token?id=${session.id}&confirm=${confirmationFrom(back)}`)).status).toBe(
      200,
    );
  }, 30_000);

  it("no header text becomes a key: 8 KB X-Forwarded-For headers leave every Redis key short (F4)", async () => {
    const store = await RedisSessionStore.connect(redis.url, { key: KEY, prefix: "xff:" });
    stores.push(store);
    const { app } = setup({ store, config: { trustProxy: 1 } });
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      for (let i = 0; i < 20; i++) {
        const huge = `${String(i).repeat(8000)}, ${"a".repeat(8000)}`;
        const res = await app.request(NEW, { headers: { "x-forwarded-for": huge } });
        expect(res.status).toBe(201);
        await app.request(`/token?id=${"x".repeat(43)}`, { headers: { "x-forwarded-for": huge } });
      }
      const keys = await raw.keys("xff:*");
      expect(keys.length).toBeGreaterThan(0);
      expect(Math.max(...keys.map((k) => k.length))).toBeLessThanOrEqual(100);
      const used = Number(/used_memory:(\d+)/.exec(await raw.info("memory"))![1]);
      expect(used).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await raw.close();
    }
  });

  it("a Redis reader sees no poll id and no state; a sealed code moved to another session does not open (F6)", async () => {
    const e = createEmulator({ seed: "redis-reader", transactions: 20 });
    const store = await RedisSessionStore.connect(redis.url, { key: KEY, prefix: "reader:" });
    stores.push(store);
    const { app } = setup({ emulator: e, store });
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const victim = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
      const attacker = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
      const secrets = [victim, attacker].flatMap((s) => [
        s.id,
        new URL(s.login_url).searchParams.get("state")!,
      ]);
      const back = await app.request(await consent(e, victim.login_url));
      const victimConfirm = confirmationFrom(back);
      const everything = async () => {
        const out: string[] = [];
        for (const key of await raw.keys("reader:*")) {
          out.push(key);
          const type = await raw.type(key);
          if (type === "string") out.push((await raw.get(key)) ?? "");
          else if (type === "zset") out.push(...(await raw.zRange(key, 0, -1)));
        }
        return out.join("\n");
      };
      const seen = await everything();
      for (const secret of secrets) expect(seen).not.toContain(secret);
      // A Redis writer copies the victim's parked code into every other session: the attacker collecting
      // their own session must not get the victim's tokens.
      const parked = [];
      // The record's JSON, after whatever the broker puts before it.
      const record = async (key: string) => {
        const value = (await raw.get(key))!;
        return JSON.parse(value.slice(value.indexOf("{"))) as Record<string, unknown>;
      };
      for (const key of await raw.keys("reader:s:*")) {
        const value = await record(key);
        if (typeof value["sealedCode"] === "string") parked.push(value["sealedCode"]);
      }
      expect(parked).toHaveLength(1);
      for (const key of await raw.keys("reader:s:*")) {
        const value = await record(key);
        if (value["sealedCode"] === parked[0]) continue;
        await raw.set(key, JSON.stringify({ ...value, status: "ready", sealedCode: parked[0] }), {
          KEEPTTL: true,
        });
      }
      // (Even with the victim's confirmation in hand.)
      const stolen = await app.request(`/token?id=${attacker.id}&confirm=${victimConfirm}`);
      expect(stolen.status).not.toBe(200);
      expect(await stolen.text()).not.toMatch(/access_token/);
      // The victim, with their own id, still collects.
      expect((await app.request(`/token?id=${victim.id}&confirm=${victimConfirm}`)).status).toBe(200);
    } finally {
      await raw.close();
    }
  });
});

/**
 * A Redis writer (N2): someone who can write every key but does not hold BROKER_KEY, and who started a login
 * and sent its link to a victim. They change what they can — the JSON of a record, keeping whatever the
 * broker put before it — and never get the victim's tokens.
 */
describe("a Redis writer without BROKER_KEY cannot turn a login into theirs (N2)", () => {
  let prefixes = 0;
  /** A plain client, as anyone who can reach Redis has. */
  const connectRaw = async () => {
    const raw = createClient({ url: redis.url });
    await raw.connect();
    return raw;
  };
  type Raw = Awaited<ReturnType<typeof connectRaw>>;
  const raws: Raw[] = [];
  afterAll(async () => {
    await Promise.all(raws.map((r) => r.close()));
  });

  async function world(config: Partial<BrokerConfig> = {}) {
    const e = createEmulator({ seed: "redis-writer", transactions: 20 });
    const prefix = `writer-${++prefixes}:`;
    const warnings: Record<string, unknown>[] = [];
    const store = await RedisSessionStore.connect(redis.url, {
      key: KEY,
      prefix,
      logger: { warn: (fields) => void warnings.push(fields) },
    });
    stores.push(store);
    const { app } = setup({ emulator: e, store, config });
    const raw = await connectRaw();
    raws.push(raw);
    const keyOf = async (id: string) => `${prefix}s:${(await store.get(id))!.ref}`;
    return { e, app, store, raw, prefix, warnings, keyOf };
  }

  /** What a writer without the key can do: edit the record's JSON, keeping the rest of the value as it is. */
  async function rewrite(raw: Raw, key: string, change: (record: Record<string, unknown>) => void) {
    const value = (await raw.get(key))!;
    const at = value.indexOf("{");
    const record = JSON.parse(value.slice(at)) as Record<string, unknown>;
    change(record);
    await raw.set(key, value.slice(0, at) + JSON.stringify(record), { KEEPTTL: true });
  }

  async function hashOf(text: string) {
    const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
    return Buffer.from(bytes).toString("base64url");
  }

  it("returnTo rewritten to the attacker's address: the victim's browser is not sent there, no tokens", async () => {
    const { e, app, raw, keyOf } = await world();
    const attacker = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
    await rewrite(raw, await keyOf(attacker.id), (r) => {
      r["returnTo"] = "https://attacker.example/collect";
    });
    // The victim opens the link the attacker sent and logs in.
    const back = await app.request(await consent(e, attacker.login_url));
    const location = back.headers.get("location") ?? "";
    expect(location).not.toContain("attacker.example");
    const confirm = location ? new URL(location).searchParams.get("confirm") : null;
    const stolen = await app.request(`/token?id=${attacker.id}${confirm ? `&confirm=${confirm}` : ""}`);
    expect(stolen.status).not.toBe(200);
    expect(await stolen.text()).not.toMatch(/access_token/);
  });

  it("returnTo removed (the login made unbound): no tokens without a confirmation", async () => {
    const { e, app, raw, keyOf } = await world();
    const attacker = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
    await rewrite(raw, await keyOf(attacker.id), (r) => {
      delete r["returnTo"];
    });
    await app.request(await consent(e, attacker.login_url));
    const stolen = await app.request(`/token?id=${attacker.id}`);
    expect(stolen.status).not.toBe(200);
    expect(await stolen.text()).not.toMatch(/access_token/);
  });

  it("confirmHash replaced with the hash of a confirmation the attacker knows, or removed: no tokens", async () => {
    for (const swap of ["replace", "remove"] as const) {
      const { e, app, raw, keyOf } = await world();
      const attacker = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
      // The victim's browser goes back to the victim's own machine (the attacker never sees it).
      const back = await app.request(await consent(e, attacker.login_url));
      expect(back.headers.get("location")).toMatch(/^http:\/\/127\.0\.0\.1:45999\//);
      const known = "A".repeat(43);
      const hash = await hashOf(known);
      await rewrite(raw, await keyOf(attacker.id), (r) => {
        expect(r["confirmHash"]).toBeTypeOf("string");
        if (swap === "replace") r["confirmHash"] = hash;
        else delete r["confirmHash"];
      });
      const stolen = await app.request(
        `/token?id=${attacker.id}${swap === "replace" ? `&confirm=${known}` : ""}`,
      );
      expect(stolen.status, swap).not.toBe(200);
      expect(await stolen.text()).not.toMatch(/access_token/);
    }
  });

  it("any field rewritten — status, times, returnTo, st, code, confirmHash, error — and the record is absent", async () => {
    const { e, app, store, raw, keyOf } = await world();
    // Each change on its own; the login is otherwise untouched.
    const pendingEdits: Record<string, unknown>[] = [
      { status: "ready" },
      { createdAt: 1 },
      { expiresAt: Date.now() + 3_600_000 },
      { returnTo: "http://127.0.0.1:1/elsewhere" },
      { st: "x".repeat(43) },
      { error: "access_denied" },
      { extra: 1 },
    ];
    for (const edit of pendingEdits) {
      const what = JSON.stringify(edit);
      const s = (await (await app.request(NEW)).json()) as { id: string };
      await rewrite(raw, await keyOf(s.id), (r) => Object.assign(r, edit));
      expect(await store.get(s.id), what).toBeUndefined();
      expect((await app.request(`/token?id=${s.id}`)).status, what).toBe(404);
    }
    const readyEdits: Record<string, unknown>[] = [
      { status: "denied" },
      { sealedCode: `v1.${"A".repeat(60)}` },
      { confirmHash: "B".repeat(43) },
    ];
    for (const edit of readyEdits) {
      const what = JSON.stringify(edit);
      const s = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
      const confirm = confirmationFrom(await app.request(await consent(e, s.login_url)));
      await rewrite(raw, await keyOf(s.id), (r) => Object.assign(r, edit));
      expect(await store.get(s.id), what).toBeUndefined();
      expect((await app.request(`/token?id=${s.id}&confirm=${confirm}`)).status, what).toBe(404);
    }
    expect(store.rejectedRecords).toBeGreaterThanOrEqual(pendingEdits.length + readyEdits.length);
  });

  it("a valid record copied to another session's key is refused there; its own session still collects", async () => {
    const { e, app, store, raw, keyOf } = await world();
    const victim = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
    const attacker = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
    const confirm = confirmationFrom(await app.request(await consent(e, victim.login_url)));
    const copied = (await raw.get(await keyOf(victim.id)))!;
    await raw.set(await keyOf(attacker.id), copied, { KEEPTTL: true });
    expect(await store.get(attacker.id)).toBeUndefined();
    const stolen = await app.request(`/token?id=${attacker.id}&confirm=${confirm}`);
    expect(stolen.status).toBe(404);
    expect((await app.request(`/token?id=${victim.id}&confirm=${confirm}`)).status).toBe(200);
  });

  it("a victim's state index pointed at the attacker's unbound login: the victim's code does not land there", async () => {
    const { e, app, store, raw, prefix } = await world({ unboundLogins: true });
    // The victim's own app starts a bound login; the attacker starts an unbound one.
    const victim = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
    const attacker = (await (await app.request("/new")).json()) as { id: string; binding: string };
    expect(attacker.binding).toBe("none");
    const [victimRef, attackerRef] = [(await store.get(victim.id))!.ref, (await store.get(attacker.id))!.ref];
    let pointed = 0;
    for (const key of await raw.keys(`${prefix}st:*`))
      if ((await raw.get(key)) === victimRef) {
        await raw.set(key, attackerRef, { KEEPTTL: true });
        pointed++;
      }
    expect(pointed).toBe(1);
    // The victim logs in through their own app's link.
    await app.request(await consent(e, victim.login_url));
    const stolen = await app.request(`/token?id=${attacker.id}`);
    expect(stolen.status).not.toBe(200);
    expect(await stolen.text()).not.toMatch(/access_token/);
  });

  it("a record in the format before this check (an upgrade) is absent: counted and logged without secrets", async () => {
    const { app, store, raw, warnings, keyOf } = await world();
    const s = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
    const key = await keyOf(s.id);
    const ref = key.slice(key.lastIndexOf(":") + 1);
    const value = (await raw.get(key))!;
    const record = value.slice(value.indexOf("{"));
    // What the broker wrote before: the bare JSON.
    await raw.set(key, record, { KEEPTTL: true });
    expect(await store.get(s.id)).toBeUndefined();
    expect((await app.request(`/token?id=${s.id}`)).status).toBe(404);
    expect(store.rejectedRecords).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    const said = JSON.stringify(warnings);
    const state = new URL(s.login_url).searchParams.get("state")!;
    for (const secret of [s.id, state, ref, record]) expect(said).not.toContain(secret);
  });

  it("what a writer can still do: delete a login (it is gone, never someone else's)", async () => {
    const { e, app, raw, keyOf } = await world();
    const s = (await (await app.request(NEW)).json()) as { id: string; login_url: string };
    await raw.del(await keyOf(s.id));
    expect((await app.request(await consent(e, s.login_url))).status).toBe(400);
    expect((await app.request(`/token?id=${s.id}`)).status).toBe(404);
  });
});
