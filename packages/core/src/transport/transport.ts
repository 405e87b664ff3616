import { errorFromResponse, type MonzoApiError } from "../errors/api-error.js";
import { AbortError, ConnectionError, OutcomeUnknownError, TimeoutError } from "../errors/client-errors.js";
import { MonzoError } from "../errors/monzo-error.js";
import { NO_REDIRECTS, refuseRedirect } from "./redirects.js";
import { backoffDelay, isRetryableStatus, parseRetryAfter } from "./retry.js";

/** Supplies the bearer token, and a new one after a 401 when it can (the token manager implements it). */
export interface AccessTokenProvider {
  accessToken(signal?: AbortSignal): Promise<string>;
  /**
   * Called once per request after Monzo refused `failedToken` with a 401. Resolves with a token to replay
   * the request with, or throws (e.g. `ReauthenticationRequiredError`).
   */
  recover?(failedToken: string, error: MonzoApiError, signal?: AbortSignal): Promise<string>;
}

/** One API call, built by a resource with no I/O (STYLE practice 3). */
export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  /** Query parameters; arrays repeat the key (`expand[]=merchant`). */
  query?: Record<string, string | number | readonly string[] | undefined>;
  /** Form body (writes, REFERENCE §1.3). */
  form?: Record<string, string | number | undefined>;
  /** JSON body (receipts only). */
  json?: unknown;
  /**
   * Raw body to an absolute URL (attachment upload to storage). A `Blob`, not the DOM's `BodyInit`, so the
   * declarations compile without the DOM lib (Node-only consumers).
   */
  raw?: { url: string; body: Blob; contentType: string };
  /** Safe to send again after a failure: reads, and pot moves whose dedupe id is fixed before the loop. */
  replaySafe: boolean;
  /** Send the bearer token. Default true. */
  auth?: boolean;
  /** For a pot move: a timeout or dropped connection means the outcome is unknown, not a failure. */
  dedupeId?: string;
  /**
   * A 429 is retried like a 5xx (default), or thrown at once as `RateLimitError` for a caller that paces
   * its own requests (the history walk lowers its concurrency instead).
   */
  onRateLimit?: "retry" | "throw";
  /**
   * Hand a success's body back as the text it came as, for a caller that reads some of it before parsing
   * it (the history walk sends its next page first; parse it with `parseJson`).
   */
  text?: boolean;
}

/** Per-call options, last argument of every resource method. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Per attempt. */
  timeoutMs?: number;
  maxRetries?: number;
}

export interface TransportConfig {
  fetch: typeof globalThis.fetch;
  apiUrl: string;
  userAgent: string;
  timeoutMs: number;
  maxRetries: number;
  tokens: AccessTokenProvider | undefined;
  /** Longest `Retry-After` honoured, in ms; longer ones surface as `RateLimitError`. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Injected for tests: how the transport waits (delays are captured, not slept). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface TransportResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

/**
 * The only place that calls `fetch` (STYLE practice 3). For each attempt: bearer token (refreshed ahead
 * of expiry by the provider), a per-attempt timeout composed with the caller's signal, then retries on
 * connection errors, 408, 429 and 5xx for replay-safe calls only, honouring `Retry-After` (capped) or
 * backing off with jitter; one token recovery and replay after a 401. Errors are typed and redacted.
 *
 * @example const t = new Transport({ fetch, apiUrl, userAgent: "me", timeoutMs: 30_000, maxRetries: 2, tokens });
 */
export class Transport {
  readonly config: TransportConfig;

  readonly #base: string;

  constructor(config: TransportConfig) {
    this.config = config;
    // The API URL was checked when the client was made; its path is kept (a prefix before each call's).
    this.#base = new URL(`${config.apiUrl.replace(/\/+$/, "")}/`).toString();
  }

  async request(spec: RequestSpec, options: CallOptions = {}): Promise<TransportResponse> {
    const c = this.config;
    const maxRetries = options.maxRetries ?? c.maxRetries;
    const timeoutMs = options.timeoutMs ?? c.timeoutMs;
    const sleep = c.sleep ?? defaultSleep;
    const random = c.random ?? Math.random;
    const now = c.now ?? Date.now;
    const useAuth = spec.auth !== false && c.tokens !== undefined;
    let recovered = false;
    let token: string | undefined;

    for (let attempt = 0; ; attempt++) {
      throwIfAborted(options.signal);
      if (useAuth && token === undefined) {
        token = await c.tokens!.accessToken(options.signal);
        // Stopped while the token was awaited: nothing is sent (a walk's reader that went away).
        throwIfAborted(options.signal);
      }
      // The attempt's deadline covers the answer's body too. A controller and a timer cleared when the
      // attempt ends, rather than AbortSignal.timeout, whose weak reference and registry cost more than
      // the rest of the client's work on a small read (BENCHMARKS.md).
      const timeout = new AbortController();
      const timer = setTimeout(
        () => timeout.abort(new DOMException(`No answer within ${timeoutMs} ms`, "TimeoutError")),
        timeoutMs,
      );
      // The caller's signal aborts the attempt through a listener removed when it ends: AbortSignal.any
      // would tie one more composite signal, with its weak references, to a signal that outlives many
      // requests (a history walk's); the listener costs about a third as much and leaves nothing behind.
      const outer = options.signal;
      const onAbort = outer ? () => timeout.abort(outer.reason) : undefined;
      if (outer && onAbort) outer.addEventListener("abort", onAbort, { once: true });
      const signal = timeout.signal;
      try {
        let response: Response;
        let text = "";
        try {
          response = await c.fetch(this.#url(spec), this.#init(spec, token, signal));
          // A success's body is read here, under the same deadline and with the same failures as the
          // request itself: a body that stops coming is a timeout, one that is cut a connection failure.
          if (response.ok) text = await response.text();
        } catch (error) {
          if (options.signal?.aborted) throw new AbortError(undefined, error);
          const timedOut = timeout.signal.aborted;
          const failure = timedOut
            ? new TimeoutError(`${spec.method} ${spec.path}: no answer within ${timeoutMs} ms`, error)
            : new ConnectionError(`${spec.method} ${spec.path}: the connection failed`, error);
          if (spec.replaySafe && attempt < maxRetries) {
            await sleep(backoffDelay(attempt, random), options.signal);
            continue;
          }
          if (spec.dedupeId !== undefined) {
            throw new OutcomeUnknownError(
              `${failure.message}; the money may or may not have moved`,
              spec.dedupeId,
              failure,
            );
          }
          throw failure;
        }

        // An upload to storage carries no token (and storage may redirect); everything else is Monzo's
        // API, which never redirects, so a redirect is refused rather than taken as its answer.
        if (!spec.raw) refuseRedirect(response, `${spec.method} ${spec.path}`, this.#base);
        if (response.ok)
          return {
            status: response.status,
            body: spec.text ? text : parseJson(text, spec),
            headers: response.headers,
          };

        const body = await readErrorBody(response);
        const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now());
        const error = errorFromResponse({
          status: response.status,
          body,
          requestId: response.headers.get("trace-id") ?? response.headers.get("x-request-id") ?? undefined,
          retryAfter: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
          method: spec.method,
          path: spec.path,
        });

        // A 401 for our token: refresh once (single-flight in the provider) and replay, whatever the method —
        // Monzo refused the call, so nothing happened (REFERENCE §2.13).
        if (response.status === 401 && useAuth && !recovered && token !== undefined && c.tokens?.recover) {
          recovered = true;
          token = await c.tokens.recover(token, error, options.signal);
          attempt--;
          continue;
        }
        const paced = response.status === 429 && spec.onRateLimit === "throw";
        if (spec.replaySafe && attempt < maxRetries && isRetryableStatus(response.status) && !paced) {
          const cap = c.maxRetryAfterMs ?? 60_000;
          if (retryAfterMs !== undefined && retryAfterMs > cap) throw error;
          await sleep(retryAfterMs ?? backoffDelay(attempt, random), options.signal);
          continue;
        }
        throw error;
      } finally {
        clearTimeout(timer);
        if (outer && onAbort) outer.removeEventListener("abort", onAbort);
      }
    }
  }

  #url(spec: RequestSpec): string {
    if (spec.raw) return spec.raw.url;
    return this.#base + queryString(spec.path.replace(/^\//, ""), spec.query);
  }

  #init(spec: RequestSpec, token: string | undefined, signal: AbortSignal): RequestInit {
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": this.config.userAgent,
    };
    if (token !== undefined && !spec.raw) headers["authorization"] = `Bearer ${token}`;
    let body: Blob | string | undefined;
    if (spec.raw) {
      headers["content-type"] = spec.raw.contentType;
      body = spec.raw.body;
    } else if (spec.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = formEncode(spec.form);
    } else if (spec.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(spec.json);
    }
    return {
      method: spec.method,
      headers,
      signal,
      ...(spec.raw ? {} : { redirect: NO_REDIRECTS }),
      ...(body === undefined ? {} : { body }),
    };
  }
}

/**
 * `path?query` as `new URL` with `searchParams` would write it: each query value form-encoded, arrays as
 * repeated keys (`expand[]=merchant`), undefined values left out. Strings, not URL objects: this runs on
 * every call.
 *
 * @example queryString("balance", { account_id: "acc_1" }) // "balance?account_id=acc_1"
 */
export function queryString(path: string, query: RequestSpec["query"]): string {
  if (query === undefined) return path;
  let out = "";
  for (const key in query) {
    const value = query[key];
    if (value === undefined) continue;
    const name = formComponent(key);
    if (Array.isArray(value)) {
      for (const item of value as readonly string[]) out += `&${name}=${formComponent(item)}`;
    } else out += `&${name}=${formComponent(String(value))}`;
  }
  return out === "" ? path : `${path}?${out.slice(1)}`;
}

/** What application/x-www-form-urlencoded serialisation leaves alone, so most values need no work. */
const FORM_PLAIN = /^[A-Za-z0-9*._-]*$/;

function formComponent(value: string): string {
  return FORM_PLAIN.test(value) ? value : new URLSearchParams([["", value]]).toString().slice(1);
}

/**
 * `application/x-www-form-urlencoded`, skipping undefined values (REFERENCE §1.3).
 *
 * @example formEncode({ "metadata[notes]": "Lunch", amount: 100 }) // "metadata%5Bnotes%5D=Lunch&amount=100"
 */
export function formEncode(fields: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields))
    if (value !== undefined) params.append(key, String(value));
  return params.toString();
}

/**
 * A success's body as JSON; successful "empty" answers are `{}`.
 *
 * @throws {MonzoError} `api.invalid_response` when it is not JSON
 */
export function parseJson(text: string, spec: Pick<RequestSpec, "method" | "path">): unknown {
  // Successful "empty" answers are `{}` or nothing at all (REFERENCE §1.4, §10.2).
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MonzoError("api.invalid_response", `${spec.method} ${spec.path}: the answer is not JSON`, {
      cause: error,
      hint: "Check the API URL points at Monzo (or the emulator).",
    });
  }
}

async function readErrorBody(response: Response): Promise<Record<string, unknown> | undefined> {
  const text = await response.text().catch(() => "");
  try {
    const body: unknown = JSON.parse(text);
    return body && typeof body === "object" ? (body as Record<string, unknown>) : undefined;
  } catch {
    return text ? { message: text.slice(0, 200) } : undefined;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, signal.reason);
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError(undefined, signal.reason));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError(undefined, signal?.reason));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
