/**
 * What every SessionStore promises, checked on the memory store and on a real redis-server alike: sessions,
 * single-use takes with tombstones, rate limits, and the combined one-step calls the hot routes use.
 */
import { createClient } from "@redis/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServer } from "../../../../test-support/redis.js";
import { MemorySessionStore } from "../../src/store/memory.js";
import { RedisSessionStore } from "../../src/store/redis.js";
import type { NewSession, SessionStore } from "../../src/store/types.js";

const redis = new RedisServer();
/** The key every instance shares (the one the test broker's config seals codes with). */
const KEY = new Uint8Array(32).fill(7);
const opened: SessionStore[] = [];
let prefixes = 0;

beforeAll(async () => {
  await redis.start();
}, 30_000);
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await redis.dispose();
});

const kinds: [string, () => Promise<SessionStore>][] = [
  ["memory", async () => new MemorySessionStore()],
  [
    "redis",
    async () => RedisSessionStore.connect(redis.url, { key: KEY, prefix: `contract-${++prefixes}:` }),
  ],
];

let serial = 0;
function session(overrides: Partial<NewSession> = {}): NewSession {
  const n = ++serial;
  const now = Date.now();
  return {
    id: `id-${n}-${"i".repeat(30)}`,
    state: `state-${n}-${"s".repeat(30)}`,
    createdAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}

/** What a store gives back for a new session: never its id or state, but a ref. */
function pending(a: NewSession) {
  return { ref: expect.any(String), createdAt: a.createdAt, expiresAt: a.expiresAt, status: "pending" };
}

describe.each(kinds)("SessionStore contract: %s", (_kind, open) => {
  async function store(): Promise<SessionStore> {
    const s = await open();
    opened.push(s);
    return s;
  }

  it("finds a session by id and by state, and nothing for unknown ones", async () => {
    const s = await store();
    const a = session();
    await s.create(a);
    expect(await s.get(a.id)).toEqual(pending(a));
    expect(await s.byState(a.state)).toEqual(pending(a));
    // One session, one ref, whichever way it was found.
    expect((await s.byState(a.state))!.ref).toBe((await s.get(a.id))!.ref);
    expect(await s.get(a.state)).toBeUndefined();
    expect(await s.byState(a.id)).toBeUndefined();
    expect(await s.get("unknown-id-xxxxxxxxxxxxxxxxxxxx")).toBeUndefined();
    expect(await s.byState("unknown-state-xxxxxxxxxxxxxxxxx")).toBeUndefined();
  });

  it("settles a pending session once, and takes it once, leaving a tombstone", async () => {
    const s = await store();
    const a = session();
    await s.create(a);
    expect(await s.wasTaken(a.id)).toBe(false);
    const { ref } = (await s.byState(a.state))!;
    expect(await s.settle(ref, { status: "ready", sealedCode: "sealed" })).toBe(true);
    expect(await s.settle(ref, { status: "denied", error: "access_denied" })).toBe(false);
    expect(await s.take(a.id)).toEqual({ ...pending(a), ref, status: "ready", sealedCode: "sealed" });
    expect(await s.take(a.id)).toBeUndefined();
    expect(await s.get(a.id)).toBeUndefined();
    expect(await s.byState(a.state)).toBeUndefined();
    expect(await s.wasTaken(a.id)).toBe(true);
  });

  it("createIfAllowed creates only while the limit allows, and a refused call creates nothing", async () => {
    const s = await store();
    const limit = { key: "new:10.0.0.1", capacity: 2, windowMs: 60_000 };
    const [a, b, c] = [session(), session(), session()];
    expect(await s.createIfAllowed(a, limit, 1000)).toBe("created");
    expect(await s.createIfAllowed(b, limit, 1000)).toBe("created");
    expect(await s.createIfAllowed(c, limit, 1000)).toBe("limited");
    expect(await s.get(b.id)).toEqual(pending(b));
    expect(await s.get(c.id)).toBeUndefined();
    expect(await s.byState(c.state)).toBeUndefined();
    // Another address has its own bucket.
    expect(await s.createIfAllowed(c, { ...limit, key: "new:10.0.0.2" }, 1000)).toBe("created");
    expect(await s.byState(c.state)).toEqual(pending(c));
  });

  it("createIfAllowed holds no more than the cap of live sessions; a taken or expired one frees its place", async () => {
    const s = await store();
    const limit = { key: "new:10.0.0.1", capacity: 100, windowMs: 60_000 };
    const [a, b, c] = [session(), session(), session()];
    expect(await s.createIfAllowed(a, limit, 2)).toBe("created");
    expect(await s.createIfAllowed(b, limit, 2)).toBe("created");
    expect(await s.createIfAllowed(c, limit, 2)).toBe("full");
    expect(await s.get(c.id)).toBeUndefined();
    expect(await s.byState(c.state)).toBeUndefined();
    expect(await s.settle((await s.get(a.id))!.ref, { status: "ready", sealedCode: "x" })).toBe(true);
    expect((await s.take(a.id))?.status).toBe("ready");
    expect(await s.createIfAllowed(c, limit, 2)).toBe("created");
  });

  it("getCounting counts every call against the limit and reads the session either way", async () => {
    const s = await store();
    const a = session();
    await s.create(a);
    const limit = { key: "token:10.0.0.1", capacity: 2, windowMs: 60_000 };
    expect(await s.getCounting(a.id, limit)).toEqual({ allowed: true, session: pending(a) });
    expect(await s.getCounting("unknown-id-xxxxxxxxxxxxxxxxxxxx", limit)).toEqual({
      allowed: true,
      session: undefined,
    });
    expect(await s.getCounting(a.id, limit)).toEqual({ allowed: false, session: pending(a) });
    // hit shares the bucket.
    expect(await s.hit(limit.key, limit.capacity, limit.windowMs)).toBe(false);
    expect(await s.hit("token:10.0.0.3", 1, 60_000)).toBe(true);
    expect(await s.hit("token:10.0.0.3", 1, 60_000)).toBe(false);
  });
});

describe("SessionStore: memory only", () => {
  it("at the cap, expired sessions are swept and free their places", async () => {
    let now = Date.now();
    const s = new MemorySessionStore(() => now);
    opened.push(s);
    const limit = { key: "new:10.0.0.1", capacity: 100, windowMs: 60_000 };
    expect(await s.createIfAllowed(session({ expiresAt: now + 1000 }), limit, 1)).toBe("created");
    expect(await s.createIfAllowed(session(), limit, 1)).toBe("full");
    now += 2000;
    expect(await s.createIfAllowed(session({ expiresAt: now + 60_000 }), limit, 1)).toBe("created");
    expect(s.size).toBe(1);
  });

  it("rate-limit counters are bounded: past the cap new addresses share one counter per route", async () => {
    let now = Date.now();
    const s = new MemorySessionStore(() => now, { maxRateLimitKeys: 10 });
    opened.push(s);
    for (let i = 0; i < 10; i++) expect(await s.hit(`new:10.0.0.${i}`, 2, 60_000)).toBe(true);
    // The eleventh address and every one after it share the overflow counter (capacity 2).
    expect(await s.hit("new:10.0.1.1", 2, 60_000)).toBe(true);
    expect(await s.hit("new:10.0.1.2", 2, 60_000)).toBe(true);
    expect(await s.hit("new:10.0.1.3", 2, 60_000)).toBe(false);
    expect(s.rateLimitKeys).toBe(11);
    // Once the window passes, the old counters are swept and addresses get their own again.
    now += 61_000;
    expect(await s.hit("new:10.0.1.3", 2, 60_000)).toBe(true);
    expect(s.rateLimitKeys).toBeLessThanOrEqual(2);
  });
});

describe("SessionStore contract: redis only", () => {
  it("a rate-limit counter left without an expiry gets one at the next request", async () => {
    const s = await RedisSessionStore.connect(redis.url, { key: KEY, prefix: "healing:" });
    opened.push(s);
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      // What a process killed between INCR and PEXPIRE used to leave behind: a counter that never expires.
      await raw.set("healing:rl:new:10.0.0.9", "1000");
      expect(await raw.pTTL("healing:rl:new:10.0.0.9")).toBe(-1);
      expect(
        await s.createIfAllowed(session(), { key: "new:10.0.0.9", capacity: 5, windowMs: 60_000 }, 1000),
      ).toBe("limited");
      const ttl = await raw.pTTL("healing:rl:new:10.0.0.9");
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await s.hit("fresh", 5, 30_000)).toBe(true);
      expect(await raw.pTTL("healing:rl:fresh")).toBeGreaterThan(0);
    } finally {
      await raw.close();
    }
  });

  it("scripts run again after Redis forgot them (SCRIPT FLUSH, as after a restart)", async () => {
    const s = await RedisSessionStore.connect(redis.url, { key: KEY, prefix: "flush:" });
    opened.push(s);
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const a = session();
      expect(await s.createIfAllowed(a, { key: "k", capacity: 10, windowMs: 60_000 }, 1000)).toBe("created");
      await raw.scriptFlush();
      expect(await s.getCounting(a.id, { key: "k", capacity: 10, windowMs: 60_000 })).toEqual({
        allowed: true,
        session: pending(a),
      });
      await raw.scriptFlush();
      expect(await s.settle((await s.get(a.id))!.ref, { status: "ready", sealedCode: "x" })).toBe(true);
      await raw.scriptFlush();
      expect((await s.take(a.id))?.status).toBe("ready");
    } finally {
      await raw.close();
    }
  });
});
