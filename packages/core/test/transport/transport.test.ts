import { getEventListeners } from "node:events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formEncode, queryString, Transport } from "../../src/transport/transport.js";

/** A fake fetch that records requests and answers from a script. */
function fakeFetch(answers: (Response | Error)[]) {
  const requests: Request[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    requests.push(new Request(input, init));
    const next = answers.shift() ?? new Response("{}", { status: 200 });
    if (next instanceof Error) throw next;
    return next;
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

function transport(fetch: typeof globalThis.fetch, delays: number[] = []) {
  return new Transport({
    fetch,
    apiUrl: "https://api.monzo.com",
    userAgent: "test",
    timeoutMs: 1000,
    maxRetries: 2,
    tokens: { accessToken: async () => "tok" },
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 1,
  });
}

describe("Transport", () => {
  it("encodes reads as a query (expand[] repeated) and writes as a form; writes never go in the query", async () => {
    const { fetch, requests } = fakeFetch([]);
    const t = transport(fetch);
    await t.request({
      method: "GET",
      path: "/transactions",
      query: { account_id: "acc_1", "expand[]": ["merchant"], since: undefined },
      replaySafe: true,
    });
    await t.request({
      method: "PUT",
      path: "/pots/pot_1/deposit",
      form: { amount: 100, dedupe_id: "d", source_account_id: "acc_1" },
      replaySafe: true,
    });
    expect(requests[0]!.url).toBe(
      "https://api.monzo.com/transactions?account_id=acc_1&expand%5B%5D=merchant",
    );
    expect(requests[0]!.headers.get("authorization")).toBe("Bearer tok");
    expect(requests[1]!.url).toBe("https://api.monzo.com/pots/pot_1/deposit");
    expect(requests[1]!.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    expect(await requests[1]!.text()).toBe("amount=100&dedupe_id=d&source_account_id=acc_1");
  });

  it("receipts go as JSON; an empty success body reads as {}", async () => {
    const { fetch, requests } = fakeFetch([new Response("", { status: 200 })]);
    const result = await transport(fetch).request({
      method: "PUT",
      path: "/transaction-receipts",
      json: { a: 1 },
      replaySafe: true,
    });
    expect(result.body).toEqual({});
    expect(requests[0]!.headers.get("content-type")).toBe("application/json");
    expect(await requests[0]!.text()).toBe('{"a":1}');
  });

  it("the caller's signal aborts a request in flight; none of its listeners outlives the request", async () => {
    const controller = new AbortController();
    let started!: () => void;
    const sent = new Promise<void>((resolve) => {
      started = resolve;
    });
    // Answers at once, except a request marked slow: that one waits for its signal.
    const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      if (!String(input).includes("slow")) return new Response("{}", { status: 200 });
      started();
      return new Promise<Response>((_, reject) => {
        init!.signal!.addEventListener("abort", () => reject(init!.signal!.reason), { once: true });
      });
    }) as typeof globalThis.fetch;
    const t = transport(fetch);
    const read = { method: "GET", path: "/accounts", replaySafe: true } as const;
    // A long-lived signal (a history walk's) serves many requests: each attempt's listener goes with it.
    for (let i = 0; i < 50; i++) await t.request(read, { signal: controller.signal });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    const slow = t.request({ ...read, path: "/slow" }, { signal: controller.signal });
    await sent;
    controller.abort(new Error("stop"));
    await expect(slow).rejects.toMatchObject({ code: "aborted" });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("does not retry a non-replay-safe call", async () => {
    const delays: number[] = [];
    const { fetch, requests } = fakeFetch([new Response('{"code":"internal_service"}', { status: 500 })]);
    await expect(
      transport(fetch, delays).request({ method: "POST", path: "/feed", form: {}, replaySafe: false }),
    ).rejects.toMatchObject({ status: 500 });
    expect(requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it("retries replay-safe calls on 5xx and connection errors, then succeeds", async () => {
    const delays: number[] = [];
    const { fetch, requests } = fakeFetch([
      new Response("{}", { status: 503 }),
      new TypeError("fetch failed"),
      new Response('{"ok":1}'),
    ]);
    const result = await transport(fetch, delays).request({
      method: "GET",
      path: "/accounts",
      replaySafe: true,
    });
    expect(result.body).toEqual({ ok: 1 });
    expect(requests).toHaveLength(3);
    expect(delays).toEqual([500, 1000]);
  });

  it("form encoding round-trips any map, bracketed keys included (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.string()), (fields) => {
        const decoded = Object.fromEntries(new URLSearchParams(formEncode(fields)));
        expect(decoded).toEqual(fields);
      }),
    );
  });
});

describe("queryString", () => {
  // What the transport did before: a URL object and its searchParams.
  function viaUrl(path: string, query: Record<string, string | number | readonly string[] | undefined>) {
    const url = new URL(path, "https://api.example/");
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      if (Array.isArray(value))
        for (const item of value as readonly string[]) url.searchParams.append(key, item);
      else url.searchParams.set(key, String(value));
    }
    return url.toString().slice("https://api.example/".length);
  }
  // Mostly characters left as they are, with the odd one that is not: the fast path's boundary.
  const text = fc.oneof(
    fc.string({ unit: "binary", maxLength: 12 }),
    fc.string({
      maxLength: 12,
      unit: fc.oneof(
        { arbitrary: fc.constantFrom(..."aZ09*-._"), weight: 15 },
        { arbitrary: fc.constantFrom(..."~ +/=%&#?é🙂!'()[]".split(/(?:)/u)), weight: 1 },
      ),
    }),
  );

  it("writes exactly what URL.searchParams writes (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("balance", "transactions", "pots/pot_1"),
        fc.dictionary(
          fc.oneof(fc.constantFrom("account_id", "expand[]", "since", "limit"), text),
          fc.oneof(text, fc.integer(), fc.array(text, { maxLength: 3 }), fc.constant(undefined)),
        ),
        (path, query) => {
          expect(queryString(path, query)).toBe(viaUrl(path, query));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("leaves the path alone without a query, and writes expand[] as Monzo reads it", () => {
    expect(queryString("accounts", undefined)).toBe("accounts");
    expect(queryString("accounts", { account_type: undefined })).toBe("accounts");
    expect(queryString("transactions", { account_id: "acc_1", "expand[]": ["merchant"] })).toBe(
      "transactions?account_id=acc_1&expand%5B%5D=merchant",
    );
  });
});
