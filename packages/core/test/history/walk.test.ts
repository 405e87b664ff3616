/**
 * The history walk against the emulator in-process, over generated account shapes (dense, sparse,
 * bursty, years-old with quiet months, ties at one instant): the same transactions in the same order
 * as the plain `since=<last id>` walk, within 5% of its requests.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  countingFetch,
  type ShapeSpec,
  sequentialWalk,
  shapeArbitrary,
  shapedAccount,
  shapeTimes,
} from "../../../../test-support/account-shapes.js";
import { MonzoClient } from "../../src/index.js";

const API = "http://127.0.0.1:9";
/** Generated shapes per run; more locally with HISTORY_RUNS=2000. */
const RUNS = Number(process.env.HISTORY_RUNS ?? 80);

function clients(shape: ReturnType<typeof shapedAccount>) {
  const seq = countingFetch(shape.emulator.fetch);
  const hist = countingFetch(shape.emulator.fetch);
  const make = (fetch: typeof globalThis.fetch) =>
    new MonzoClient({ accessToken: shape.token, fetch, apiUrl: API, maxRetries: 0 });
  return { seq, hist, sequential: make(seq.fetch), history: make(hist.fetch) };
}

type Since = { kind: "none" } | { kind: "id"; at: number } | { kind: "time"; at: number };

async function compare(
  spec: ShapeSpec,
  since: Since,
  concurrency: number,
  backward: boolean,
  stream: boolean,
) {
  const now = Date.now();
  const times = shapeTimes(spec, now);
  const shape = shapedAccount(times, spec.years, { now });
  const c = clients(shape);
  let sinceArg: string | Date | undefined;
  if (since.kind === "id" && shape.ids.length > 0) sinceArg = shape.ids[since.at % shape.ids.length]!;
  if (since.kind === "time") sinceArg = new Date(now - spec.years * 365 * 86_400_000 * since.at);
  const end = now + 60_000;
  const expected = await sequentialWalk(c.sequential, shape.accountId, sinceArg, end);
  const walk = c.history.transactions.history({
    accountId: shape.accountId,
    before: new Date(end),
    concurrency,
    backward,
    ...(sinceArg !== undefined ? { since: sinceArg } : {}),
    ...(stream ? { maxBuffered: 500 } : {}),
  });
  const got: string[] = [];
  if (stream) for await (const tx of walk) got.push(tx.id);
  else for (const tx of await walk.toArray()) got.push(tx.id);
  shape.emulator.close();
  return { expected, got, seq: c.seq.counts.requests, hist: c.hist.counts.requests, all: shape.ids };
}

/** Shapes earlier versions of the walk got wrong (found by this test), checked on every run. */
const FOUND: [ShapeSpec, Since, number, boolean, boolean][] = (
  [
    [
      { kind: "bursty", years: 1, grain: 1, seed: 0, count: 0, bursts: 5, burstSize: 413 },
      { kind: "time", at: 0.05 },
      16,
      false,
      false,
    ],
    [
      { kind: "bursty", years: 2, grain: 1, seed: 0, count: 0, bursts: 1, burstSize: 20 },
      { kind: "none" },
      1,
      false,
      false,
    ],
    [
      { kind: "dense", years: 1, grain: 1, seed: 0, count: 1500, bursts: 1, burstSize: 20 },
      { kind: "id", at: 0 },
      8,
      true,
      false,
    ],
    [
      { kind: "bursty", years: 1, grain: 1, seed: 975567865, count: 0, bursts: 2, burstSize: 120 },
      { kind: "time", at: 0.3579884676243063 },
      3,
      true,
      false,
    ],
    [
      { kind: "quiet", years: 6, grain: 1, seed: 0, count: 220, bursts: 1, burstSize: 20 },
      { kind: "id", at: 0 },
      3,
      false,
      false,
    ],
    [
      { kind: "dense", years: 1, grain: 1, seed: 5, count: 2381, bursts: 1, burstSize: 20 },
      { kind: "time", at: 0.793068568429735 },
      1,
      true,
      true,
    ],
    [
      { kind: "bursty", years: 1, grain: 1, seed: 640811145, count: 0, bursts: 1, burstSize: 385 },
      { kind: "id", at: 0 },
      8,
      true,
      false,
    ],
    [
      { kind: "bursty", years: 1, grain: 1, seed: 846745190, count: 241, bursts: 4, burstSize: 481 },
      { kind: "none" },
      2,
      true,
      false,
    ],
    [
      { kind: "bursty", years: 3, grain: 1, seed: -1305991673, count: 6, bursts: 4, burstSize: 423 },
      { kind: "none" },
      2,
      false,
      false,
    ],
    [
      { kind: "bursty", years: 1, grain: 60_000, seed: -16, count: 677, bursts: 3, burstSize: 294 },
      { kind: "id", at: 20035286 },
      16,
      true,
      false,
    ],
    [
      { kind: "bursty", years: 1, grain: 1, seed: 245700512, count: 69, bursts: 6, burstSize: 551 },
      { kind: "id", at: 1814825675 },
      16,
      true,
      false,
    ],
  ] as [Omit<ShapeSpec, "burstHours" | "activeShare">, Since, number, boolean, boolean][]
).map(([spec, s, c, b, stream]) => [{ ...spec, burstHours: 0.001, activeShare: 0.1 }, s, c, b, stream]);

const since: fc.Arbitrary<Since> = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.record({ kind: fc.constant("id" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("time" as const), at: fc.double({ min: 0.05, max: 1.2, noNaN: true }) }),
);

describe("history walk over account shapes (property, emulator in-process)", () => {
  it(
    "yields exactly the plain walk's transactions, in order, within 5% of its requests",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          shapeArbitrary(),
          since,
          fc.constantFrom(1, 2, 3, 8, 16),
          fc.boolean(),
          fc.boolean(),
          async (spec, s, concurrency, backward, stream) => {
            const r = await compare(spec, s, concurrency, backward, stream);
            expect(r.got).toEqual(r.expected);
            if (s.kind === "none") expect(r.got).toEqual(r.all);
            expect(r.hist).toBeLessThanOrEqual(Math.floor(r.seq * 1.05));
          },
        ),
        { numRuns: RUNS, examples: FOUND },
      );
    },
    RUNS * 2000,
  );
});

describe("history walk: edges and failures", () => {
  it("gets every one of 350 transactions created at the same instant (ties across pages)", async () => {
    const now = Date.now();
    const instant = now - 400 * 86_400_000;
    const times = [
      ...Array.from({ length: 700 }, (_, i) => now - 900 * 86_400_000 + i * 3_600_000),
      ...Array.from({ length: 350 }, () => instant),
      ...Array.from({ length: 1500 }, (_, i) => instant + 1 + i * 600_000),
    ].sort((a, b) => a - b);
    const shape = shapedAccount(times, 3, { now });
    const c = clients(shape);
    for (const concurrency of [1, 4, 16]) {
      const got = await c.history.transactions
        .history({ accountId: shape.accountId, concurrency, before: new Date(now + 60_000) })
        .toArray();
      expect(got.map((t) => t.id)).toEqual(shape.ids);
    }
    shape.emulator.close();
  });

  it("sends a forward walker's next page as soon as a page's text shows its end, before parsing it", async () => {
    const now = Date.now();
    // A sparse account: the budget allows no second walker, so the walk is one page at a time.
    const times = Array.from({ length: 1001 }, (_, i) => now - 800 * 86_400_000 + i * 17 * 3_600_000);
    const shape = shapedAccount(times, 3, { now });
    const events: string[] = [];
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      const since = url.searchParams.get("since");
      events.push(`send ${since ?? `before ${url.searchParams.get("before")}`}`);
      return shape.emulator.fetch(input, init);
    }) as typeof globalThis.fetch;
    const client = new MonzoClient({ accessToken: shape.token, fetch, apiUrl: API, maxRetries: 0 });
    const parse = JSON.parse;
    JSON.parse = ((text: string, reviver?: Parameters<typeof parse>[1]) => {
      const value = parse(text, reviver) as { transactions?: { id: string }[] };
      // A whole page (a peek parses only its last transaction, which has no "transactions").
      if (Array.isArray(value?.transactions) && value.transactions.length > 0)
        events.push(`parse ${value.transactions.at(-1)!.id}`);
      return value;
    }) as typeof JSON.parse;
    let got: string[];
    try {
      got = (
        await client.transactions
          .history({ accountId: shape.accountId, since: shape.ids[0]!, before: new Date(now + 60_000) })
          .toArray()
      ).map((t) => t.id);
    } finally {
      JSON.parse = parse;
    }
    expect(got).toEqual(shape.ids.slice(1));
    // Each full forward page after the first two: its successor (since=<its last id>) was sent before the
    // page itself was parsed.
    const early = events.filter((e, i) => {
      const m = /^parse (.+)$/.exec(e);
      return m !== null && events.slice(0, i).includes(`send ${m[1]}`);
    });
    expect(early.length).toBeGreaterThanOrEqual(7);
    // And no request the one-page-at-a-time walk would not send: the plain walk's count.
    const yardstick = clients(shape);
    await sequentialWalk(yardstick.sequential, shape.accountId, shape.ids[0]!);
    expect(events.filter((e) => e.startsWith("send")).length).toBe(yardstick.seq.counts.requests);
    shape.emulator.close();
  });

  it("falls back to forward pages when Monzo refuses reads without a lower bound", async () => {
    const now = Date.now();
    const times = shapeTimes({ ...DENSE, count: 6000 }, now);
    // The 5-minute window is over, but this (emulated) bank still lets old lower bounds through.
    const shape = shapedAccount(times, 3, { now, emulator: { historyLimitDays: 5000 } });
    shape.emulator.control.advanceClock(6 * 60_000);
    const c = clients(shape);
    const got = await c.history.transactions
      .history({ accountId: shape.accountId, since: new Date(now - 1000 * 86_400_000), concurrency: 8 })
      .toArray();
    const expected = shape.ids.filter((_, i) => times[i]! >= now - 1000 * 86_400_000);
    expect(got.map((t) => t.id)).toEqual(expected);
    const refused = shape.emulator.state.requestLog.entries().filter((e) => e.status === 403);
    expect(refused.length).toBeLessThanOrEqual(1);
    shape.emulator.close();
  });

  it("holds at most maxBuffered transactions (plus the pages in flight) ahead of a slow reader", async () => {
    const now = Date.now();
    const shape = shapedAccount(shapeTimes({ ...DENSE, count: 8000 }, now), 3, { now });
    let delivered = 0;
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const response = await shape.emulator.fetch(input, init);
      const body = (await response.clone().json()) as { transactions?: unknown[] };
      delivered += body.transactions?.length ?? 0;
      return response;
    }) as typeof globalThis.fetch;
    const client = new MonzoClient({ accessToken: shape.token, fetch, apiUrl: API });
    let read = 0;
    let ahead = 0;
    let held = 0;
    const walk = client.transactions.history({
      accountId: shape.accountId,
      maxBuffered: 1000,
      onProgress: (p) => {
        held = Math.max(held, p.buffered);
      },
    });
    for await (const tx of walk) {
      expect(tx.id).toBe(shape.ids[read]);
      read++;
      ahead = Math.max(ahead, delivered - read);
      if (read % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(read).toBe(shape.ids.length);
    expect(ahead).toBeLessThanOrEqual(1000 + 8 * 100 + 100);
    // What was read is let go: the walk never holds more than the look-ahead (a long export stays small).
    expect(held).toBeLessThanOrEqual(1000 + 8 * 100 + 100);
    shape.emulator.close();
  });

  it("stops fetching when the reader stops early, without unhandled rejections", async () => {
    const now = Date.now();
    const shape = shapedAccount(shapeTimes({ ...DENSE, count: 6000 }, now), 3, { now });
    const c = clients(shape);
    let unhandled = 0;
    const onUnhandled = () => {
      unhandled++;
    };
    process.on("unhandledRejection", onUnhandled);
    let read = 0;
    for await (const _ of c.history.transactions.history({ accountId: shape.accountId, concurrency: 8 })) {
      if (++read === 150) break;
    }
    // Requests as sent (`requests` counts answers, and one in flight at the break may still answer).
    const sentNow = () => [...c.hist.counts.byPath.values()].reduce((a, b) => a + b, 0);
    const sent = sentNow();
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    expect(sentNow()).toBe(sent);
    process.off("unhandledRejection", onUnhandled);
    expect(unhandled).toBe(0);
    shape.emulator.close();
  });

  it("refuses an answer that ignores since instead of looping forever", async () => {
    const now = Date.now();
    const page = {
      transactions: Array.from({ length: 100 }, (_, i) => ({
        id: `tx_${String(i).padStart(5, "0")}`,
        created: new Date(now - 10 * 86_400_000 + i * 1000).toISOString(),
        amount: -1,
        currency: "GBP",
        description: "SAME PAGE",
        metadata: {},
      })),
    };
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return new Response(JSON.stringify(page), { headers: { "content-type": "application/json" } });
    }) as typeof globalThis.fetch;
    const client = new MonzoClient({ accessToken: "t0ken-for-a-broken-server", fetch, apiUrl: API });
    await expect(
      client.transactions.history({ accountId: "acc_1", since: new Date(now - 20 * 86_400_000) }).toArray(),
    ).rejects.toThrow(/ignores it/);
    expect(calls).toBeLessThan(5);
  });

  it("reports progress: stretches done never go down, and the last report covers everything", async () => {
    const now = Date.now();
    const shape = shapedAccount(shapeTimes({ ...DENSE, count: 5000 }, now), 3, { now });
    const c = clients(shape);
    const seen: {
      windowsDone: number;
      transactions: number;
      fraction: number;
      cursor: string | undefined;
    }[] = [];
    const got = await c.history.transactions
      .history({ accountId: shape.accountId, onProgress: (p) => seen.push(p) })
      .toArray();
    expect(seen.length).toBeGreaterThan(10);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.windowsDone).toBeGreaterThanOrEqual(seen[i - 1]!.windowsDone);
      expect(seen[i]!.fraction).toBeGreaterThanOrEqual(seen[i - 1]!.fraction);
    }
    expect(seen.at(-1)).toMatchObject({ fraction: 1, transactions: got.length, cursor: got.at(-1)!.id });
    shape.emulator.close();
  });
});

describe("history walk under a rate limit (emulator token bucket, its clock moved by the client's sleeps)", () => {
  /** A client whose sleeps move the emulator's clock, recording what it sent and when it waited. */
  function pacedClient(shape: ReturnType<typeof shapedAccount>) {
    const e = shape.emulator;
    let sleeping = 0;
    const sleeps: number[] = [];
    const sends: { at: number; during: boolean; status?: number; retryAfter?: number }[] = [];
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const send: (typeof sends)[number] = { at: e.control.now(), during: sleeping > 0 };
      sends.push(send);
      const response = await e.fetch(input, init);
      send.status = response.status;
      if (response.status === 429) send.retryAfter = Number(response.headers.get("retry-after"));
      return response;
    }) as typeof globalThis.fetch;
    const client = new MonzoClient({
      accessToken: shape.token,
      fetch,
      apiUrl: API,
      sleep: async (ms) => {
        sleeps.push(ms);
        sleeping++;
        // Let every answer already on its way arrive while the walk waits: none may send a page.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        e.control.advanceClock(ms);
        sleeping--;
      },
    });
    return { client, sleeps, sends };
  }

  it("waits out Retry-After, slows to the limit's pace and gets the same answer, with no page wasted", async () => {
    const now = Date.now();
    const times = shapeTimes({ ...DENSE, count: 12_000 }, now);
    // The same shape without a limit: the plain walk's request count there is the yardstick.
    const free = shapedAccount(times, 3, { now });
    const yardstick = clients(free);
    expect(await sequentialWalk(yardstick.sequential, free.accountId)).toEqual(free.ids);
    free.emulator.close();

    const shape = shapedAccount(times, 3, { now, emulator: { rateLimit: { capacity: 10, perSecond: 2 } } });
    const { client, sleeps, sends } = pacedClient(shape);
    const concurrency: number[] = [];
    const got = await client.transactions
      .history({
        accountId: shape.accountId,
        concurrency: 8,
        onProgress: (p) => concurrency.push(p.concurrency),
      })
      .toArray();
    expect(got.map((t) => t.id)).toEqual(shape.ids);

    const limited = sends.filter((s) => s.status === 429);
    const answered = sends.filter((s) => s.status !== 429);
    expect(limited.length).toBeGreaterThan(0);
    // No page wasted beyond the limit's rejections: what was answered is within the walk's usual budget.
    expect(answered.length).toBeLessThanOrEqual(Math.floor(yardstick.seq.counts.requests * 1.05));
    // Nothing was sent while the walk waited, and each wait was a Retry-After Monzo asked for.
    expect(sends.filter((s) => s.during)).toEqual([]);
    const asked = new Set(limited.map((s) => s.retryAfter! * 1000));
    for (const ms of sleeps) expect(asked).toContain(ms);
    // Fewer pages in flight after the first 429, and the walk slows to the bucket's pace instead of
    // hammering it: about one refused page per pause.
    expect(Math.min(...concurrency)).toBe(1);
    expect(limited.length).toBeLessThanOrEqual(1.5 * sleeps.length + 8);
    shape.emulator.close();
  });

  it("recovers its concurrency gradually once the 429s stop", async () => {
    const now = Date.now();
    const shape = shapedAccount(shapeTimes({ ...DENSE, count: 20_000 }, now), 3, {
      now,
      emulator: { faults: { rules: [{ route: "GET /transactions", kind: 429, count: 6, retryAfter: 2 }] } },
    });
    const { client, sleeps, sends } = pacedClient(shape);
    const seen: { concurrency: number; rateLimited: number }[] = [];
    const got = await client.transactions
      .history({ accountId: shape.accountId, concurrency: 8, onProgress: (p) => seen.push(p) })
      .toArray();
    expect(got.map((t) => t.id)).toEqual(shape.ids);
    expect(sends.filter((s) => s.status === 429)).toHaveLength(6);
    expect(sleeps.every((ms) => ms === 2000)).toBe(true);
    expect(sends.filter((s) => s.during)).toEqual([]);
    const after = seen.filter((p) => p.rateLimited === 6).map((p) => p.concurrency);
    // Down after the 429s, then up one step at a time, back to what was asked for.
    expect(after[0]).toBeLessThan(8);
    expect(after.at(-1)).toBe(8);
    for (let i = 1; i < after.length; i++) expect(after[i]! - after[i - 1]!).toBeLessThanOrEqual(1);
    shape.emulator.close();
  });

  it("gives up with RateLimitError when Retry-After is longer than the client's cap", async () => {
    const now = Date.now();
    const shape = shapedAccount(shapeTimes({ ...DENSE, count: 3000 }, now), 3, {
      now,
      emulator: { faults: { rules: [{ route: "GET /transactions", kind: 429, retryAfter: 3600 }] } },
    });
    const client = new MonzoClient({ accessToken: shape.token, fetch: shape.emulator.fetch, apiUrl: API });
    await expect(client.transactions.history({ accountId: shape.accountId }).toArray()).rejects.toMatchObject(
      {
        name: "RateLimitError",
        retryAfter: 3600,
      },
    );
    shape.emulator.close();
  });
});

const DENSE: ShapeSpec = {
  kind: "dense",
  years: 3,
  grain: 1,
  seed: 7,
  count: 5000,
  bursts: 0,
  burstSize: 0,
  burstHours: 0,
  activeShare: 0,
};
