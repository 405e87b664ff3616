import {
  authorizationUrlBuilder,
  constantTimeEqual,
  exchangeCode,
  MonzoError,
  OAuthError,
  redact,
  refreshTokens,
  registerSecret,
  type TokenSet,
  validateCallback,
} from "@monzokit/core";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { clientAddress } from "./client-address.js";
import type { BrokerConfig } from "./config.js";
import { DEFAULTS } from "./config.js";
import { b64url, Envelope, randomId } from "./crypto.js";
import { page } from "./pages.js";
import type { Awaitable, NewSession, PendingSession, RateLimit, SessionStore } from "./store/types.js";

/** What the broker logs: one line per request, never a token, code, secret, query string or body. */
export interface BrokerLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface BrokerDeps {
  config: BrokerConfig;
  store: SessionStore;
  fetch?: typeof globalThis.fetch;
  logger?: BrokerLogger;
  now?: () => number;
  /** How long-polls wait between looks at the store. Default 250 ms. */
  pollIntervalMs?: number;
}

const ID = /^[A-Za-z0-9_-]{20,100}$/;
const silent: BrokerLogger = { info() {}, warn() {}, error() {} };

class StoreUnavailable extends Error {}

// Headers go on every response as frozen plain objects: with a `Headers` object, or headers added by a
// middleware after the handler, @hono/node-server takes its slow path, which cost a fifth of the CPU.
// JSON answers carry what OWASP's REST guidance asks of an API; the HTML pages a person sees carry the
// full browser set. Nothing the broker sends (logins, ids, tokens) may be cached anywhere.
function responseHeaders(publicUrl: string) {
  const hsts: Record<string, string> = publicUrl.startsWith("https:")
    ? { "strict-transport-security": "max-age=15552000; includeSubDomains" }
    : {}; // Browsers ignore HSTS over plain HTTP (RFC 6797), so a local broker does not send it.
  const api = Object.freeze({
    "cache-control": "no-store",
    "content-type": "application/json",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "cross-origin-resource-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    ...hsts,
  });
  const page = Object.freeze({
    ...api,
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "cross-origin-opener-policy": "same-origin",
    "origin-agent-cluster": "?1",
    "referrer-policy": "no-referrer",
    "x-dns-prefetch-control": "off",
    "x-permitted-cross-domain-policies": "none",
  });
  return { api, page };
}
const RETRY_SOON = { "retry-after": "5" };

/**
 * The token broker as a pure Hono app (no environment, no listening): desktop apps get a Monzo login
 * URL from `/new`, the person logs in, Monzo redirects to `/callback`, and the app collects its tokens
 * once from `/token` — without ever holding the client secret. `/refresh` adds the secret to a refresh.
 *
 * @example
 * ```ts
 * const app = createBrokerApp({ config, store: new MemorySessionStore() });
 * serve({ fetch: app.fetch, port: 8080 });
 * ```
 */
export function createBrokerApp(deps: BrokerDeps): Hono {
  const { config, store } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger ?? silent;
  const envelope = new Envelope(config.codeKey);
  const redirectUri = `${config.publicUrl}/callback`;
  const endpoint = {
    apiUrl: config.apiUrl,
    allowInsecure: config.allowInsecure,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  };
  // The broker's own secret is masked everywhere for good. Codes and tokens that arrive in requests are
  // other people's: never put on the process-wide list (a caller could fill it or mask text in others'
  // errors); core masks them in the errors of the call that carries them.
  registerSecret(config.clientSecret);
  const app = new Hono();
  const headers = responseHeaders(config.publicUrl);
  const json = (body: unknown, status = 200, extra?: Record<string, string>): Response =>
    new Response(JSON.stringify(body), {
      status,
      headers: extra ? { ...headers.api, ...extra } : headers.api,
    });
  const html = (body: string, status = 200): Response =>
    new Response(body, { status, headers: headers.page });

  const limitBody = bodyLimit({
    maxSize: 16 * 1024,
    onError: () => json({ error: "body_too_large", message: "The request body is larger than 16 KiB" }, 413),
  });
  if (config.corsOrigins.length > 0)
    app.use("*", cors({ origin: config.corsOrigins, allowMethods: ["GET", "POST"] }));
  app.onError((error) => {
    if (error instanceof StoreUnavailable) {
      return json(
        {
          error: "store_unavailable",
          message: "The broker's session store is unreachable; try again in a few seconds",
        },
        503,
        RETRY_SOON,
      );
    }
    log.error({ error: redact(String((error as Error).stack ?? error)) }, "unexpected error");
    return json({ error: "internal", message: "Unexpected error in the broker" }, 500);
  });

  const storeFailure = (error: unknown): never => {
    if (error instanceof MonzoError || error instanceof StoreUnavailable) throw error;
    log.warn({ error: redact(String((error as Error).message ?? error)) }, "store failure");
    throw new StoreUnavailable();
  };
  // A promise chain rather than an async wrapper: one promise fewer on every store call.
  const guarded = <T>(work: () => Promise<T>): Promise<T> => {
    let pending: Promise<T>;
    try {
      pending = work();
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.catch(storeFailure);
  };

  // The same for a store call that may answer at once: a synchronous answer stays synchronous.
  const guardedNow = <T>(work: () => Awaitable<T>): Awaitable<T> => {
    try {
      const answer = work();
      return answer instanceof Promise ? answer.catch(storeFailure) : answer;
    } catch (error) {
      return storeFailure(error);
    }
  };
  const then = <T, R>(value: Awaitable<T>, next: (value: T) => Awaitable<R>): Awaitable<R> =>
    value instanceof Promise ? value.then(next) : next(value);

  // The client is the socket's peer (on Lambda, API Gateway's sourceIp), or the hop the configured proxies
  // vouch for; normalised and short (an IPv6 client by its /64), so no header text ever becomes a key.
  const addressOf = clientAddress(config.trustProxy);
  const readsForwarded = config.trustProxy !== false && config.trustProxy !== 0;
  const clientKey = (c: Context): string => {
    const env = c.env as
      | {
          incoming?: { socket?: { remoteAddress?: string } };
          requestContext?: { http?: { sourceIp?: string } };
        }
      | undefined;
    // On AWS Lambda there is no socket: API Gateway (payload v2) names the peer in requestContext, and
    // without it every caller would share one bucket.
    const peer = env?.incoming?.socket?.remoteAddress ?? env?.requestContext?.http?.sourceIp;
    return addressOf(peer, readsForwarded ? c.req.header("x-forwarded-for") : undefined);
  };
  const maxSessions = config.maxPendingSessions ?? DEFAULTS.maxPendingSessions;
  let warnedFullAt = Number.NEGATIVE_INFINITY;
  const busy = (): Response => {
    // Once a minute at most: a flood at the cap must not also flood the logs.
    if (now() - warnedFullAt >= 60_000) {
      warnedFullAt = now();
      log.warn({ max_pending_sessions: maxSessions }, "session cap reached: /new answers 503");
    }
    return json(
      {
        error: "busy",
        message: "The broker holds as many logins as it is allowed to; try again in a minute",
      },
      503,
      { "retry-after": "30" },
    );
  };
  type Route = "new" | "token" | "refresh";
  const limitOf = (c: Context, route: Route): RateLimit => ({
    key: `${route}:${clientKey(c)}`,
    capacity: config.rateLimits[route],
    windowMs: 60_000,
  });
  const tooMany = (route: Route): Response =>
    json(
      {
        error: "rate_limited",
        message: `Too many ${route} requests from this address; try again in a minute`,
      },
      429,
      { "retry-after": "60" },
    );
  const limited = (c: Context, route: Route): Promise<Response | undefined> => {
    const limit = limitOf(c, route);
    return guarded(() => store.hit(limit.key, limit.capacity, limit.windowMs)).then((ok) =>
      ok ? undefined : tooMany(route),
    );
  };

  // The login URL is laid out once; each /new only adds its state.
  const loginUrl = authorizationUrlBuilder({
    clientId: config.clientId,
    redirectUri,
    authUrl: config.authUrl,
    allowInsecure: config.allowInsecure,
  });
  const start = (c: Context) => {
    // A login is bound to the app that starts it: the app names its own loopback address, the browser is
    // sent back there after Monzo with a one-time confirmation, and only a poller holding it collects. So a
    // login URL sent to someone else gives its sender nothing (their browser returns to *their* machine).
    // A browser app (an origin in BROKER_CORS_ORIGINS, which the operator vouches for) names a page of its
    // own origin instead: the confirmation then reaches only that origin's pages in the person's browser.
    const returnTo = c.req.query("return_to");
    const binding =
      returnTo === undefined
        ? "none"
        : isLoopbackReturn(returnTo)
          ? "loopback"
          : isBrowserAppReturn(returnTo, config.corsOrigins)
            ? "origin"
            : undefined;
    if (binding === undefined)
      return json(
        {
          error: "invalid_return_to",
          message:
            "return_to must be this app's loopback address (http://127.0.0.1:PORT/PATH or http://[::1]:PORT/PATH), or a page of an origin in BROKER_CORS_ORIGINS, with no query",
        },
        400,
      );
    if (returnTo === undefined && !config.unboundLogins)
      return json(
        {
          error: "return_to_required",
          message:
            "This broker binds each login to the app that starts it: pass return_to=http://127.0.0.1:PORT/PATH, where the app listens for the browser's return",
        },
        400,
      );
    const createdAt = now();
    const session: NewSession = {
      id: randomId(),
      state: randomId(),
      createdAt,
      expiresAt: createdAt + config.sessionTtlMs,
      ...(returnTo === undefined ? {} : { returnTo }),
    };
    // The rate limit and the creation are one step for the store (one round trip to Redis): a refused
    // request creates nothing.
    return then(
      guardedNow(() => store.createIfAllowed(session, limitOf(c, "new"), maxSessions)),
      (outcome) => {
        if (outcome === "limited") return tooMany("new");
        if (outcome === "full") return busy();
        // `id` and `login_url` as the original Lambda broker named them; the state is never returned.
        return json(
          {
            id: session.id,
            login_url: loginUrl(session.state).url,
            expires_at: new Date(session.expiresAt).toISOString(),
            poll_url: `${config.publicUrl}/token?id=${session.id}`,
            binding,
          },
          201,
        );
      },
    );
  };
  app.get("/new", start);
  app.post("/new", start);

  app.get("/callback", async (c) => {
    const q = new URL(c.req.url).searchParams;
    const state = q.get("state") ?? "";
    // The store finds the session by its state without a timing that leaks it (see SessionStore).
    const session = ID.test(state) ? await guarded(() => store.byState(state)) : undefined;
    if (session?.status !== "pending") {
      return html(
        page("This login link has expired", "Nothing was saved. Start the login again from your app.", false),
        400,
      );
    }
    const error = q.get("error");
    if (error) {
      // Stored and shown to the poller: only an OAuth error code's shape, never arbitrary text.
      const reported = /^[A-Za-z0-9_.-]{1,64}$/.test(error) ? error : "access_denied";
      await guarded(() => store.settle(session.ref, { status: "denied", error: reported }));
      return html(
        page(
          "Access denied",
          "You chose not to connect. You can close this tab and return to your app.",
          false,
        ),
        200,
      );
    }
    const code = q.get("code");
    if (!code || code.length > 4096)
      return html(
        page("Login incomplete", "Monzo did not send a code. Start the login again from your app.", false),
        400,
      );
    const confirmation = session.returnTo === undefined ? undefined : randomId();
    const confirmHash = confirmation === undefined ? undefined : await digest(confirmation);
    const sealedCode = await envelope.seal(code, sealedFor(session.ref, confirmHash));
    const settled = await guarded(() =>
      store.settle(session.ref, {
        status: "ready",
        sealedCode,
        ...(confirmHash === undefined ? {} : { confirmHash }),
      }),
    );
    if (!settled) return html(page("This login link was already used", "Return to your app.", false), 410);
    if (session.returnTo !== undefined && confirmation !== undefined)
      // Back to the app that started the login, on this browser's own machine: the app presents the
      // confirmation to collect. The address was checked to be loopback when the login was made.
      return new Response(
        page(
          "Logged in — returning you to your app",
          "If nothing happens, the app that started this login is not on this computer: go back to it.",
          true,
        ),
        {
          status: 303,
          headers: { ...headers.page, location: `${session.returnTo}?confirm=${confirmation}` },
        },
      );
    return html(
      page(
        "Logged in — return to your app",
        "Your app is collecting the login now. Then approve it in the Monzo app. You can close this tab.",
        true,
      ),
    );
  });

  const stillPending = (session: PendingSession) =>
    json({ status: "pending", expires_at: new Date(session.expiresAt).toISOString() }, 202);

  app.get("/token", (c) => {
    const id = c.req.query("id") ?? "";
    const waitText = c.req.query("wait") ?? null;
    const valid = ID.test(id) && (waitText === null || /^\d{1,3}$/.test(waitText));
    // The rate limit and the first look at the session are one step for the store (one round trip to
    // Redis); the look is read-only, so a refused request has changed nothing.
    const limit = limitOf(c, "token");
    const looked = valid
      ? guardedNow(() => store.getCounting(id, limit))
      : guarded(() =>
          store
            .hit(limit.key, limit.capacity, limit.windowMs)
            .then((ok) => ({ allowed: ok, session: undefined })),
        );
    return then(looked, ({ allowed, session }) => {
      if (!allowed) return tooMany("token");
      if (!ID.test(id))
        return json({ error: "invalid_id", message: "id must be the value /new returned" }, 400);
      if (!valid) return json({ error: "invalid_wait", message: "wait must be whole seconds" }, 400);
      const confirm = c.req.query("confirm");
      if (confirm !== undefined && !ID.test(confirm))
        return json(
          { error: "invalid_confirm", message: "confirm must be the value the browser brought back" },
          400,
        );
      const deadline = now() + Math.min(Number(waitText ?? 0), config.maxWaitSeconds) * 1000;
      // The usual poll, still pending and not waiting, needs nothing more from the store.
      if (session?.status === "pending" && now() >= deadline) return stillPending(session);
      return collect(id, deadline, session, confirm);
    });
  });

  const awaitingConfirmation = (session: PendingSession) =>
    json({ status: "awaiting_confirmation", expires_at: new Date(session.expiresAt).toISOString() }, 202);

  /** Waits (up to `deadline`) for the login to settle, then takes it once and exchanges its code. */
  const collect = async (
    id: string,
    deadline: number,
    firstLook: PendingSession | undefined,
    confirm: string | undefined,
  ) => {
    for (let look = 0; ; look++) {
      const session = look === 0 ? firstLook : await guarded(() => store.get(id));
      if (!session) {
        if (await guarded(() => store.wasTaken(id)))
          return json(
            {
              error: "gone",
              message: "This login was already collected or has expired; start again with /new",
            },
            410,
          );
        return json({ error: "not_found", message: "No such login; start one with /new" }, 404);
      }
      if (session.status === "pending") {
        if (now() >= deadline) return stillPending(session);
        await new Promise((r) => setTimeout(r, deps.pollIntervalMs ?? 250));
        continue;
      }
      // A bound login is collected only with the confirmation its browser was sent back with. A wrong one
      // changes nothing (it is 256 random bits: guessing is hopeless, and the rate limit applies).
      let presented: string | undefined;
      if (session.status === "ready" && session.confirmHash !== undefined) {
        if (confirm === undefined) return awaitingConfirmation(session);
        presented = await digest(confirm);
        if (!constantTimeEqual(presented, session.confirmHash))
          return json(
            {
              error: "confirmation_mismatch",
              message: "This is not the confirmation this login's browser was given",
            },
            403,
          );
      }
      // Single use across instances: only the caller that takes the session goes on.
      const taken = await guarded(() => store.take(id));
      if (!taken) return json({ error: "gone", message: "This login was already collected" }, 410);
      if (taken.status === "denied")
        return json(
          {
            error: taken.error ?? "access_denied",
            message: "The person denied access at Monzo's login page",
          },
          403,
        );
      return exchange(taken, presented);
    }
  };

  /** `presented`: the hash of the confirmation this poller gave (a bound login), checked above. */
  const exchange = async (session: PendingSession, presented: string | undefined) => {
    let code: string;
    try {
      // Opens only for the session it was sealed for (`ref` comes from the id this poller presented) and,
      // for a bound login, only with the confirmation it was sealed with: the hash this poller presented,
      // never the one the store says, so a store that was made to hold another hash (or none) gives nothing.
      const bound = session.confirmHash === undefined ? undefined : (presented ?? "");
      code = await envelope.open(session.sealedCode!, sealedFor(session.ref, bound));
    } catch {
      log.error(
        { what: "exchange" },
        "a parked code does not open for its session: the store was changed, or instances have different keys",
      );
      return json({ error: "internal", message: "The broker could not read this login; start again" }, 500);
    }
    try {
      // The state was checked at /callback, where it found this session; the ref stands in for it here,
      // because exchangeCode takes only a validated callback.
      const callback = validateCallback(
        `?${new URLSearchParams({ code, state: session.ref })}`,
        session.ref,
        { rememberSecrets: false },
      );
      const tokens = await exchangeCode(callback, {
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        redirectUri,
        rememberSecrets: false,
        ...endpoint,
      });
      return json(tokenBody(tokens), 200);
    } catch (error) {
      return monzoFailure(error, "exchange");
    }
  };

  // The body limit only where a body is read: it reads `c.req.raw`, which on Node builds a whole Request.
  app.post("/refresh", limitBody, async (c) => {
    const blocked = await limited(c, "refresh");
    if (blocked) return blocked;
    let refreshToken: string | undefined;
    const type = c.req.header("content-type") ?? "";
    try {
      if (type.includes("application/json"))
        refreshToken = ((await c.req.json()) as { refresh_token?: unknown }).refresh_token as
          | string
          | undefined;
      else refreshToken = new URLSearchParams(await c.req.text()).get("refresh_token") ?? undefined;
    } catch {
      return json({ error: "invalid_body", message: "Send refresh_token as JSON or a form field" }, 400);
    }
    if (typeof refreshToken !== "string" || refreshToken.length < 8 || refreshToken.length > 4096) {
      return json({ error: "invalid_request", message: "refresh_token is required" }, 400);
    }
    try {
      return json(
        tokenBody(
          await refreshTokens(refreshToken, {
            clientId: config.clientId,
            clientSecret: config.clientSecret,
            rememberSecrets: false,
            ...endpoint,
          }),
        ),
        200,
      );
    } catch (error) {
      return monzoFailure(error, "refresh");
    }
  });

  app.get("/healthz", async () => {
    try {
      await store.ping();
      return json({ ok: true });
    } catch {
      return json({ ok: false, error: "store_unavailable" }, 503, RETRY_SOON);
    }
  });

  app.notFound((c) => json({ error: "not_found", message: `No route ${c.req.method} ${c.req.path}` }, 404));

  function monzoFailure(error: unknown, what: "exchange" | "refresh") {
    if (error instanceof OAuthError) {
      log.warn({ what, monzo_code: error.monzoCode, status: error.status }, "Monzo refused");
      // A refused refresh is the app's to handle (log in again): pass Monzo's 4xx through. A refused
      // exchange is the broker's failure to the app: 502, with Monzo's code.
      const status =
        what === "refresh" && error.status >= 400 && error.status < 500 ? (error.status as 400) : 502;
      return json(
        { error: "monzo_error", code: error.monzoCode ?? error.oauthError ?? null, message: error.message },
        status,
      );
    }
    log.warn({ what, error: redact(String((error as Error).message)) }, "Monzo unreachable");
    return json(
      { error: "monzo_unreachable", message: `Could not reach Monzo to ${what} the token; try again` },
      502,
    );
  }

  // One log line per request, written around the app rather than as a middleware: with no middleware on
  // a route Hono calls its handler directly, which is a tenth of the broker's throughput. Path only: ids
  // and codes travel in query strings and must not reach the logs.
  const dispatch = app.fetch;
  app.fetch = (request, env, executionCtx) => {
    const started = now();
    const logged = (response: Response): Response => {
      log.info(
        { method: request.method, path: pathOf(request.url), status: response.status, ms: now() - started },
        "request",
      );
      return response;
    };
    // A synchronous answer stays synchronous (the Node adapter's fast path).
    const answer = dispatch(request, env, executionCtx);
    return answer instanceof Promise ? answer.then(logged) : logged(answer);
  };
  return app;
}

// http://127.0.0.1:PORT/PATH or http://[::1]:PORT/PATH (RFC 8252 §7.3: loopback IP literals, never
// "localhost", which the machine may resolve elsewhere), a plain path, no query or fragment.
const LOOPBACK_RETURN = /^http:\/\/(?:127\.0\.0\.1|\[::1\]):([1-9]\d{0,4})\/[A-Za-z0-9._~/-]{0,200}$/;

function isLoopbackReturn(url: string): boolean {
  const port = LOOPBACK_RETURN.exec(url)?.[1];
  return port !== undefined && Number(port) <= 65535;
}

/** The same plain path shape as a loopback return, after one of the listed browser-app origins. */
const RETURN_PATH = /^\/[A-Za-z0-9._~/-]{0,200}$/;

/**
 * A page of a browser app's own origin: one listed in `BROKER_CORS_ORIGINS` (compared exactly, as CORS
 * compares them), https — or http on this machine, for development — with a plain path and no query.
 */
function isBrowserAppReturn(url: string, origins: readonly string[]): boolean {
  const origin = origins.find((o) => url.startsWith(`${o}/`));
  if (origin === undefined) return false;
  if (
    !origin.startsWith("https://") &&
    !/^http:\/\/(?:127\.0\.0\.1|\[::1\]|localhost)(?::\d+)?$/.test(origin)
  )
    return false;
  return RETURN_PATH.test(url.slice(origin.length));
}

/** SHA-256 of a confirmation, base64url: the store keeps only this. */
async function digest(text: string): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

/**
 * The additional data a session's code is sealed with: a code parked for one session opens for no other, and a
 * bound login's code only with the hash of its own confirmation. (Neither a ref nor a hash holds a colon.)
 */
function sealedFor(ref: string, confirmHash: string | undefined): string {
  return confirmHash === undefined ? `code:${ref}` : `code:${ref}:${confirmHash}`;
}

/** The path of a request URL without its query string (which may hold ids and codes). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.indexOf("?", start);
  return end < 0 ? url.slice(start) : url.slice(start, end);
}

/** Monzo's own field names, plus the original broker's `token` and `expires`. */
function tokenBody(tokens: TokenSet) {
  const expiresAt = new Date(tokens.expiresAt).toISOString();
  return {
    access_token: tokens.accessToken,
    ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
    token_type: "Bearer",
    expires_in: Math.max(0, Math.round((tokens.expiresAt - Date.now()) / 1000)),
    expires_at: expiresAt,
    user_id: tokens.userId,
    client_id: tokens.clientId,
    ...(tokens.scope ? { scope: tokens.scope } : {}),
    token: tokens.accessToken,
    expires: expiresAt,
  };
}
