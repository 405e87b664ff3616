/**
 * Two broker instances sharing one real redis-server: /new on one, the callback on the other, collection on
 * the first; racing collectors on both instances; Redis killed and restarted mid-test.
 */
import { createEmulator } from "@monzokit/emulator";
import { createClient } from "@redis/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServer } from "../../../../test-support/redis.js";
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
      for (const key of await raw.keys("reader:s:*")) {
        const value = JSON.parse((await raw.get(key))!) as { sealedCode?: string };
        if (value.sealedCode) parked.push(value.sealedCode);
      }
      expect(parked).toHaveLength(1);
      for (const key of await raw.keys("reader:s:*")) {
        const value = JSON.parse((await raw.get(key))!) as Record<string, unknown>;
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
