import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createWebhookHandler,
  InvalidArgumentError,
  type WebhookEvent,
  type WebhookHandlerOptions,
  type WebhookRefusal,
} from "../../src/index.js";
import { DOCS_EVENT } from "./fixtures.js";

const SECRET = "k7Qx2mVbN9pLr4TsW8yZc1Hd6Fg3Jk5Mn0Pq";
const PATH = `/monzo/${SECRET}`;
const BODY = JSON.stringify(DOCS_EVENT);

function setup(extra: Partial<WebhookHandlerOptions> = {}) {
  const events: WebhookEvent[] = [];
  const refused: { status: number; reason: WebhookRefusal }[] = [];
  const errors: unknown[] = [];
  const handler = createWebhookHandler({
    secret: SECRET,
    basePath: "/monzo",
    onEvent: (event) => {
      events.push(event);
    },
    onRefused: (info) => refused.push(info),
    onError: (error) => errors.push(error),
    ...extra,
  });
  const post = (path = PATH, body: BodyInit | null = BODY, init: RequestInit = {}) =>
    handler(
      new Request(`http://127.0.0.1:6610${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        ...init,
      }),
    );
  return { handler, events, refused, errors, post };
}

function gate() {
  let open!: () => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe("createWebhookHandler: who may post", () => {
  it("a POST of an event to <basePath>/<secret> reaches onEvent and gets 200", async () => {
    const { post, events, refused } = setup();
    const res = await post();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(events.map((e) => e.kind)).toEqual(["transaction.created"]);
    expect(refused).toEqual([]);
  });

  it("the query string does not matter; the path does, exactly", async () => {
    const { post, events } = setup();
    expect((await post(`${PATH}?x=1`)).status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it("any other path is 404, before the method or body is even looked at", async () => {
    const { handler, post, events, refused } = setup();
    const near = [
      "/",
      "/monzo",
      "/monzo/",
      `/${SECRET}`,
      `${PATH}/`,
      `${PATH}x`,
      PATH.slice(0, -1),
      `/monzo/${SECRET.toLowerCase()}`,
      `/MONZO/${SECRET}`,
      `/monzo//${SECRET}`,
      `/monzo/${encodeURIComponent(SECRET).replace("k", "%6B")}`,
      `${PATH}%00`,
    ];
    for (const path of near) {
      const res = await post(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ error: "not_found" });
    }
    expect((await handler(new Request(`http://h/monzo/nope`, { method: "GET" }))).status).toBe(404);
    // Dot segments are resolved by every URL parser before a handler sees the URL: not a different path.
    expect((await post(`/monzo/x/../${SECRET}`)).status).toBe(200);
    expect(events).toHaveLength(1);
    expect(new Set(refused.map((r) => r.reason))).toEqual(new Set(["path"]));
  });

  it("random paths are refused (property)", async () => {
    const { post, events } = setup();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.webPath(),
          fc.string().map((s) => `/monzo/${s}`),
          fc.nat(SECRET.length - 1).map((n) => `/monzo/${SECRET.slice(0, n)}`),
          fc
            .tuple(fc.nat(SECRET.length - 1), fc.constantFrom(..."abcXYZ019-_"))
            .filter(([i, c]) => SECRET[i] !== c)
            .map(([i, c]) => `/monzo/${SECRET.slice(0, i)}${c}${SECRET.slice(i + 1)}`),
        ),
        async (path) => {
          const url = new URL(`http://h${path.startsWith("/") ? path : `/${path}`}`);
          fc.pre(url.pathname !== PATH);
          expect((await post(url.pathname + url.search)).status).toBe(404);
        },
      ),
      { numRuns: 300 },
    );
    expect(events).toEqual([]);
  });

  it("the right path with another method is 405 with Allow: POST", async () => {
    const { handler } = setup();
    for (const method of ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
      const res = await handler(new Request(`http://h${PATH}`, { method }));
      expect(res.status, method).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
  });

  it("a browser request is 403: Monzo never sends Origin or Sec-Fetch-Site", async () => {
    const { post, events } = setup();
    for (const headers of [
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
    ]) {
      const res = await post(PATH, BODY, { headers: { "content-type": "application/json", ...headers } });
      expect(res.status).toBe(403);
    }
    expect(events).toEqual([]);
    // Node's own fetch sends Sec-Fetch-Mode: cors; a server-side sender using it is not a browser.
    expect(
      (await post(PATH, BODY, { headers: { "content-type": "application/json", "sec-fetch-mode": "cors" } }))
        .status,
    ).toBe(200);
  });

  it("only JSON: the types a page can post without a preflight are 415", async () => {
    const { post, events } = setup();
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/jsonp",
      "text/json",
    ]) {
      expect((await post(PATH, BODY, { headers: { "content-type": type } })).status, type).toBe(415);
    }
    for (const type of ["application/json; charset=utf-8", "Application/JSON", "application/vnd.monzo+json"])
      expect((await post(PATH, BODY, { headers: { "content-type": type } })).status, type).toBe(200);
    expect(events).toHaveLength(1); // the other two were Monzo's retries of the same event
  });

  it("a POST without Content-Type is accepted by default, refused when told so", async () => {
    const blob = () => new Blob([BODY]); // a Blob without a type sends no Content-Type
    const open = setup();
    const res = await open.handler(new Request(`http://h${PATH}`, { method: "POST", body: blob() }));
    expect(res.status).toBe(200);
    const strict = setup({ allowMissingContentType: false });
    expect(
      (await strict.handler(new Request(`http://h${PATH}`, { method: "POST", body: blob() }))).status,
    ).toBe(415);
  });

  it("bodies over the limit are 413, declared or streamed", async () => {
    const { post, events } = setup({ maxBodyBytes: 1024 });
    const big = JSON.stringify({ ...DOCS_EVENT, padding: "x".repeat(2000) });
    expect((await post(PATH, big)).status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(200)));
        controller.close();
      },
    });
    const res = await post(PATH, stream, {
      headers: { "content-type": "application/json" },
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(events).toEqual([]);
  });

  it("a body that is not an event, or not UTF-8, is 400 and never reaches onEvent", async () => {
    const { post, events, refused } = setup();
    for (const body of ["", "not json", "[]", '{"data":{}}', '{"type":"transaction.created","data":{}}'])
      expect((await post(PATH, body)).status, body).toBe(400);
    expect((await post(PATH, new Uint8Array([0x7b, 0xff, 0x7d]))).status).toBe(400);
    expect(events).toEqual([]);
    expect(new Set(refused.map((r) => r.reason))).toEqual(new Set(["invalid-body"]));
  });

  it("refuses to start with a weak secret, a bad base path or bad limits", () => {
    const onEvent = () => {};
    expect(() => createWebhookHandler({ secret: "short", onEvent })).toThrow(InvalidArgumentError);
    expect(() => createWebhookHandler({ secret: SECRET, basePath: "/a?b", onEvent })).toThrow(
      InvalidArgumentError,
    );
    expect(() => createWebhookHandler({ secret: SECRET, maxBodyBytes: 0, onEvent })).toThrow(
      InvalidArgumentError,
    );
    expect(() => createWebhookHandler({ secret: SECRET, ackTimeoutMs: -1, onEvent })).toThrow(
      InvalidArgumentError,
    );
    expect(() => createWebhookHandler({ secret: SECRET, onEvent: undefined as never })).toThrow(
      InvalidArgumentError,
    );
  });
});

describe("createWebhookHandler: each event once", () => {
  it("Monzo's retries of one transaction reach onEvent once; other transactions are new", async () => {
    const { post, events } = setup();
    const first = await post();
    const again = await post();
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    const other = JSON.stringify({ ...DOCS_EVENT, data: { ...DOCS_EVENT.data, id: "tx_other" } });
    expect((await post(PATH, other)).status).toBe(200);
    expect(events.map((e) => (e.kind === "transaction.created" ? e.data.id : ""))).toEqual([
      "tx_00008zjky19HyFLAzlUk7t",
      "tx_other",
    ]);
  });

  it("onEvent failing answers 500 and the next attempt delivers again; a success then ends it", async () => {
    let calls = 0;
    const { post, errors } = setup({
      onEvent: () => {
        calls++;
        if (calls < 3) throw new Error(`disk full ${calls}`);
      },
    });
    expect((await post()).status).toBe(500);
    expect((await post()).status).toBe(500);
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    expect(calls).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toEqual(["disk full 1", "disk full 2"]);
  });

  it("the 500 never carries onEvent's error", async () => {
    const { post } = setup({
      onEvent: () => {
        throw new Error("password=hunter2");
      },
    });
    const res = await post();
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("hunter2");
  });

  it("a slow onEvent: Monzo gets 503 in time, a repeat joins the run, and once done retries get 200", async () => {
    const g = gate();
    let calls = 0;
    const { post } = setup({
      ackTimeoutMs: 1,
      onEvent: async () => {
        calls++;
        await g.promise;
      },
    });
    const first = await post();
    expect(first.status).toBe(503);
    expect((await post()).status).toBe(503);
    g.open();
    await new Promise((r) => setTimeout(r, 0));
    const third = await post();
    expect(third.status).toBe(200);
    expect(await third.json()).toEqual({ ok: true, duplicate: true });
    expect(calls).toBe(1);
  });

  it("a repeat arriving while the first is still running waits for its outcome", async () => {
    const g = gate();
    let calls = 0;
    const { post } = setup({
      onEvent: async () => {
        calls++;
        await g.promise;
      },
    });
    const a = post();
    const b = post();
    await new Promise((r) => setTimeout(r, 0));
    g.open();
    expect([(await a).status, (await b).status]).toEqual([200, 200]);
    expect(calls).toBe(1);
  });

  it("a slow onEvent that fails late is reported as late and the event is delivered again", async () => {
    const g = gate();
    let calls = 0;
    const late: boolean[] = [];
    const { post } = setup({
      ackTimeoutMs: 1,
      onEvent: async () => {
        calls++;
        if (calls === 1) await g.promise;
      },
      onError: (_e, info) => late.push(info.late),
    });
    expect((await post()).status).toBe(503);
    g.fail(new Error("too late"));
    await new Promise((r) => setTimeout(r, 0));
    expect(late).toEqual([true]);
    expect((await post()).status).toBe(200);
    expect(calls).toBe(2);
  });

  it("the platform's waitUntil (Workers' ctx) keeps a slow run alive", async () => {
    const kept: Promise<unknown>[] = [];
    const g = gate();
    const handler = createWebhookHandler({ secret: SECRET, ackTimeoutMs: 1, onEvent: () => g.promise });
    const ctx = { waitUntil: (p: Promise<unknown>) => kept.push(p) };
    const res = await handler(
      new Request(`http://h/${SECRET}`, {
        method: "POST",
        body: BODY,
        headers: { "content-type": "application/json" },
      }),
      {},
      ctx,
    );
    expect(res.status).toBe(503);
    expect(kept).toHaveLength(1);
    g.open();
    expect(await kept[0]).toBe(true);
  });

  it("the window ends: an event older than dedupe.windowMs is delivered again", async () => {
    let now = 0;
    const { post, events } = setup({ now: () => now, dedupe: { windowMs: 1000 } });
    await post();
    now = 999;
    expect(await (await post()).json()).toEqual({ ok: true, duplicate: true });
    now = 1000;
    await post();
    expect(events).toHaveLength(2);
  });

  it("dedupe: false hands every delivery to onEvent", async () => {
    const { post, events } = setup({ dedupe: false });
    await post();
    await post();
    expect(events).toHaveLength(2);
  });

  it("unknown event types are de-duplicated by data.id, or by the body when there is none", async () => {
    const { post, events } = setup();
    const a = JSON.stringify({ type: "pot.updated", data: { id: "pot_1", balance: 1 } });
    const a2 = JSON.stringify({ type: "pot.updated", data: { id: "pot_1", balance: 2 } });
    const b = JSON.stringify({ type: "ping", data: { at: 1 } });
    const c = JSON.stringify({ type: "ping", data: { at: 2 } });
    for (const body of [a, a, a2, b, b, c]) expect((await post(PATH, body)).status).toBe(200);
    expect(events.map((e) => e.type)).toEqual(["pot.updated", "ping", "ping"]);
  });

  it("more than maxConcurrent runs at once get 503 busy", async () => {
    const g = gate();
    const { post } = setup({ maxConcurrent: 2, ackTimeoutMs: 1, onEvent: () => g.promise });
    const body = (id: string) => JSON.stringify({ ...DOCS_EVENT, data: { ...DOCS_EVENT.data, id } });
    expect((await post(PATH, body("tx_1"))).status).toBe(503);
    expect((await post(PATH, body("tx_2"))).status).toBe(503);
    const busy = await post(PATH, body("tx_3"));
    expect(busy.status).toBe(503);
    expect(await busy.json()).toEqual({ error: "busy" });
    g.open();
  });

  it("onEvent gets the delivery: its key, the body exactly as sent, when it arrived", async () => {
    const seen: unknown[] = [];
    const { post } = setup({ now: () => 42, onEvent: (_e, d) => void seen.push(d) });
    await post();
    expect(seen).toEqual([
      { key: "transaction.created:tx_00008zjky19HyFLAzlUk7t", body: BODY, receivedAt: 42 },
    ]);
  });
});
