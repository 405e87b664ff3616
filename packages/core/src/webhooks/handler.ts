import { InvalidArgumentError } from "../errors/client-errors.js";
import { constantTimeEqual } from "../oauth/authorize.js";
import { RecentDeliveries } from "./deliveries.js";
import { InvalidWebhookEventError, parseWebhookEvent, type WebhookEvent } from "./event.js";
import { webhookPath } from "./secret.js";

/** What `onEvent` is told about the delivery besides the event. */
export interface WebhookDelivery {
  /**
   * What retries of the same event share: `transaction.created:tx_…`, for an unknown type its `data.id`, or
   * a SHA-256 of the body when it has none.
   */
  readonly key: string;
  /** The body exactly as Monzo sent it. */
  readonly body: string;
  /** When it arrived (`now()`, ms since the epoch). */
  readonly receivedAt: number;
}

/** Why the handler turned a request away (given to `onRefused`; never the request's content). */
export type WebhookRefusal =
  | "path"
  | "method"
  | "browser"
  | "content-type"
  | "too-large"
  | "invalid-body"
  | "busy";

export interface WebhookHandlerOptions {
  /** The secret in the path (`createWebhookSecret()`); at least 22 URL-safe characters. */
  secret: string;
  /**
   * Called once per event. Resolve when it is safely handled: Monzo then gets `200`. Throw (or reject) and
   * Monzo gets `500` and delivers it again later (up to 5 attempts, REFERENCE §11.4); the next attempt calls
   * `onEvent` again. Still running after `ackTimeoutMs`: Monzo gets `503` so it tries again, the run carries
   * on, and a repeat that arrives meanwhile waits for that run instead of starting a second one. Work that
   * takes longer than a few seconds belongs in a queue you resolve after enqueueing.
   */
  onEvent: (event: WebhookEvent, delivery: WebhookDelivery) => void | Promise<void>;
  /** The path before the secret, e.g. `/monzo/webhooks`. Default `/` (the handler answers `/<secret>`). */
  basePath?: string;
  /** Bodies larger than this get `413`. Default 64 KiB (a transaction event is a few KB). */
  maxBodyBytes?: number;
  /**
   * How long a delivery waits for `onEvent` before Monzo is answered `503`. Default 3,000 ms. Monzo's own
   * timeout is undocumented (inferred): keep `onEvent` well under it.
   */
  ackTimeoutMs?: number;
  /**
   * How long a handled event is remembered to drop Monzo's retries of it (default 24 hours), and at most how
   * many are remembered (default 10,000; the oldest are forgotten first). `false` turns it off. Memory only:
   * several instances behind a load balancer each keep their own.
   */
  dedupe?: { windowMs?: number; maxEntries?: number } | false;
  /** At most this many `onEvent` runs at once; more get `503`. Default 64. */
  maxConcurrent?: number;
  /**
   * Accept a POST without a `Content-Type`. Default true: Monzo is documented to POST JSON but the header it
   * sends is not recorded (inferred). Any other type than JSON is always refused.
   */
  allowMissingContentType?: boolean;
  /** `onEvent` failed, or threw after its answer was sent. Never called with the body's contents in `error`. */
  onError?: (error: unknown, info: { key?: string; late: boolean }) => void;
  /** A request was turned away, with the status it got. For logs and diagnostics. */
  onRefused?: (info: { status: number; reason: WebhookRefusal }) => void;
  /** Injected for tests. */
  now?: () => number;
}

/**
 * A web-standard webhook receiver (`Request` → `Response`), for any runtime with `fetch` types. Extra
 * arguments are the platform's (Workers' `env, ctx`): a `waitUntil` among them keeps a slow `onEvent` alive
 * after the answer.
 */
export type WebhookHandler = (request: Request, ...platform: unknown[]) => Promise<Response>;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/**
 * Receives Monzo's webhook deliveries (REFERENCE §11.4), which are unsigned: only a POST to
 * `<basePath>/<secret>` (compared in constant time) is considered — every other path is `404`, as if nothing
 * were there. Then: POST only (`405`), no browser requests (`403` for `Origin` or `Sec-Fetch-Site`: Monzo is never a browser, and a web page
 * must not be able to post into a local receiver), JSON only (`415`), at most `maxBodyBytes` (`413`), a Monzo
 * event (`400`). Each event reaches `onEvent` once however often Monzo retries it (see `dedupe`); the answer
 * comes within `ackTimeoutMs`.
 *
 * @example
 * ```ts
 * const secret = process.env.MONZO_WEBHOOK_SECRET!; // createWebhookSecret(), once
 * const handler = createWebhookHandler({
 *   secret,
 *   basePath: "/monzo",
 *   async onEvent(event) {
 *     if (event.kind === "transaction.created") await save(event.data);
 *   },
 * });
 * Deno.serve(handler); // or Bun.serve({ fetch: handler }), export default { fetch: handler }, Hono…
 * // register https://your.host/monzo/<secret> with client.webhooks.ensure({ accountId, url })
 * ```
 * @see https://docs.monzo.com/#webhooks
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const expected = webhookPath(options.secret, options.basePath ?? "/");
  const maxBody = positive(options.maxBodyBytes ?? 64 * 1024, "maxBodyBytes");
  const ackTimeoutMs = nonNegative(options.ackTimeoutMs ?? 3000, "ackTimeoutMs");
  const maxConcurrent = positive(options.maxConcurrent ?? 64, "maxConcurrent");
  const allowMissingType = options.allowMissingContentType ?? true;
  const now = options.now ?? Date.now;
  const dedupe = options.dedupe === false ? undefined : (options.dedupe ?? {});
  const seen = new RecentDeliveries({
    windowMs: dedupe ? nonNegative(dedupe.windowMs ?? 24 * 3600_000, "dedupe.windowMs") : 0,
    maxEntries: dedupe ? nonNegative(dedupe.maxEntries ?? 10_000, "dedupe.maxEntries") : 0,
    now,
  });
  const onEvent = options.onEvent;
  if (typeof onEvent !== "function")
    throw new InvalidArgumentError("onEvent must be a function", "Pass onEvent(event) { … }.");

  const refuse = (status: number, reason: WebhookRefusal, headers: Record<string, string> = {}) => {
    try {
      options.onRefused?.({ status, reason });
    } catch {}
    // A wrong path answers like any missing page: nothing says a receiver is here.
    return answer(status, { error: reason === "path" ? "not_found" : reason }, headers);
  };
  const report = (error: unknown, info: { key?: string; late: boolean }) => {
    try {
      options.onError?.(error, info);
    } catch {}
  };

  let deliveries = 0;
  return async (request, ...platform) => {
    if (!constantTimeEqual(pathnameOf(request.url), expected)) return refuse(404, "path");
    if (request.method !== "POST") return refuse(405, "method", { allow: "POST" });
    const headers = request.headers;
    // Browsers send Origin on every POST and Sec-Fetch-Site on every request to https and loopback origins;
    // Node's fetch sends Sec-Fetch-Mode too, so that one proves nothing.
    if (headers.has("origin") || headers.has("sec-fetch-site")) return refuse(403, "browser");
    const type = headers.get("content-type");
    if (type === null ? !allowMissingType : !JSON_TYPE.test(mediaType(type)))
      return refuse(415, "content-type");
    const body = await readLimited(request, maxBody);
    if (body === "too-large") return refuse(413, "too-large");
    if (body === "invalid") return refuse(400, "invalid-body");

    let event: WebhookEvent;
    try {
      event = parseWebhookEvent(body);
    } catch (error) {
      if (!(error instanceof InvalidWebhookEventError)) throw error;
      return refuse(400, "invalid-body");
    }
    const key = await keyOf(event, body);
    const delivery: WebhookDelivery = { key, body, receivedAt: now() };

    const previous = dedupe ? seen.lookup(key) : undefined;
    if (previous === "done") return answer(200, { ok: true, duplicate: true });
    if (previous) return outcomeAnswer(await within(previous, ackTimeoutMs));
    if (seen.running >= maxConcurrent) return refuse(503, "busy", { "retry-after": "5" });
    let answered = false;
    // Without de-duplication every delivery is its own run.
    const run = seen.start(dedupe ? key : `${key}\u0000${++deliveries}`, async () => {
      try {
        await onEvent(event, delivery);
      } catch (error) {
        report(error, { key, late: answered });
        throw error;
      }
    });
    keepAlive(platform, run);
    const outcome = await within(run, ackTimeoutMs);
    answered = true;
    return outcomeAnswer(outcome);
  };
}

function outcomeAnswer(outcome: boolean | "pending"): Response {
  if (outcome === true) return answer(200, { ok: true });
  if (outcome === "pending") return answer(503, { error: "still_processing" }, { "retry-after": "30" });
  return answer(500, { error: "event_failed" });
}

function answer(
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

function pathnameOf(url: string): string {
  // Request.url is always absolute; the path is compared exactly as sent (no decoding, no normalising).
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const end = url.slice(start).search(/[?#]/);
  return end === -1 ? url.slice(start) : url.slice(start, start + end);
}

function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

async function readLimited(request: Request, max: number): Promise<string | "too-large" | "invalid"> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > max) {
    await request.body?.cancel().catch(() => {});
    return "too-large";
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => {});
        return "too-large";
      }
      chunks.push(value);
    }
  } catch {
    return "invalid";
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "invalid";
  }
}

async function keyOf(event: WebhookEvent, body: string): Promise<string> {
  const id =
    event.data !== null && typeof event.data === "object" ? (event.data as { id?: unknown }).id : undefined;
  if (typeof id === "string" && id !== "") return `${event.type}:${id}`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  return `${event.type}#${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The run's outcome, or "pending" once `ms` pass first. */
async function within(run: Promise<boolean>, ms: number): Promise<boolean | "pending"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"pending">((resolve) => {
    timer = setTimeout(() => resolve("pending"), ms);
  });
  try {
    return await Promise.race([run, late]);
  } finally {
    clearTimeout(timer);
  }
}

function keepAlive(platform: unknown[], run: Promise<unknown>): void {
  for (const arg of platform) {
    const waitUntil = (arg as { waitUntil?: unknown } | null)?.waitUntil;
    if (typeof waitUntil === "function") {
      (waitUntil as (p: Promise<unknown>) => void).call(arg, run);
      return;
    }
  }
}

function positive(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`${name} must be a whole number above 0, not ${n}`, `Fix ${name}.`);
  return n;
}

function nonNegative(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError(`${name} must be a whole number, 0 or more, not ${n}`, `Fix ${name}.`);
  return n;
}
