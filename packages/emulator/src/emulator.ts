import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  closeAccount,
  createTransaction,
  type NewTransaction,
  settleTransaction,
  type TransactionEdit,
  updateTransaction,
} from "./data/live.js";
import type { AccountJson, TransactionJson } from "./data/types.js";
import { allowRead, corsPolicy, preflight } from "./http/cors.js";
import { MonzoHttpError } from "./http/errors.js";
import { faultsActive, injectFault, RESET_HEADER, takeRateLimitToken } from "./http/faults.js";
import { headerOf } from "./http/headers.js";
import { crossSiteReason, isLoopbackName } from "./http/same-origin.js";
import type { EmulatorOptions, FaultOptions, OAuthClient } from "./options.js";
import { accountRoutes } from "./routes/accounts.js";
import { attachmentRoutes, storageRoutes } from "./routes/attachments.js";
import { controlRoutes } from "./routes/control.js";
import { feedRoutes } from "./routes/feed.js";
import { oauthRoutes } from "./routes/oauth.js";
import { pageRoutes } from "./routes/pages.js";
import { potRoutes } from "./routes/pots.js";
import { receiptRoutes } from "./routes/receipts.js";
import { transactionRoutes } from "./routes/transactions.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { EmulatorState } from "./state.js";
import { WebhookDispatcher } from "./webhooks/dispatcher.js";

/** A running emulator: the Hono app, an in-process `fetch` for core, and a typed control handle. */
export interface Emulator {
  /** The Hono app; `app.request(path)` calls it without a socket. */
  readonly app: Hono;
  /**
   * A `fetch` that calls the app in-process, for `new MonzoClient({ fetch })`. An injected dropped
   * connection rejects with a `TypeError`, as a real `fetch` does.
   */
  readonly fetch: typeof globalThis.fetch;
  readonly state: EmulatorState;
  readonly control: EmulatorControl;
  /** Stops webhook retries. */
  close(): void;
}

/** What the `/_emulator/*` API does, as functions. */
export interface EmulatorControl {
  /** Approves pending logins in "the app" (all, or those matching). Returns how many. */
  approve(filter?: { userId?: string; clientId?: string }): number;
  decline(filter?: { userId?: string; clientId?: string }): number;
  advanceClock(ms: number): void;
  setClock(instant: string | number): void;
  now(): number;
  setFaults(faults: FaultOptions): void;
  addClient(client: OAuthClient): void;
  reset(): void;
  /** Resolves once every webhook delivery in flight or awaiting a retry has finished. */
  webhooksIdle(): Promise<void>;
  /**
   * Makes a transaction on an account, now or at an earlier `at`: a card payment (pending until it settles,
   * or settled), a decline, or an incoming payment. Fires `transaction.created` webhooks.
   *
   * @example
   * ```ts
   * const tx = emulator.control.createTransaction({ accountId, amount: -1250, merchant: "pub", settleAmount: -1438 });
   * emulator.control.advanceClock(2 * 86_400_000); // settled, at £14.38 with the tip
   * ```
   */
  createTransaction(spec: NewTransaction): TransactionJson;
  /** Settles a pending transaction now (or at `at`), optionally at another amount. */
  settleTransaction(
    id: string,
    options?: { amount?: number; localAmount?: number; at?: number },
  ): TransactionJson;
  /** Changes a transaction's category, notes or metadata as the Monzo app would; `updated` moves on. */
  updateTransaction(id: string, edit: TransactionEdit): TransactionJson;
  /** Closes an account (`closed: true`). */
  closeAccount(id: string): AccountJson;
  /**
   * An access token as Monzo's API playground hands out (no refresh token), approved in "the app" unless
   * `approved: false`: the quickest way into the API from a test. Default: the first user, one hour.
   */
  token(options?: { userId?: string; clientId?: string; ttlSeconds?: number; approved?: boolean }): string;
}

/**
 * Creates a faithful local Monzo (REFERENCE §13): the auth pages under `/auth`, the Developer API at the
 * root, fake file storage under `/_storage` and the control API under `/_emulator`.
 *
 * @example
 * ```ts
 * const emulator = createEmulator({ seed: 1, autoConsent: true, autoApprove: true });
 * const token = emulator.control.token();
 * const res = await emulator.app.request("/ping/whoami", { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const state = new EmulatorState(options);
  const dispatcher = new WebhookDispatcher(state);
  const wire = () => {
    state.bank.onTransaction = (record) => dispatcher.onTransaction(record);
  };
  wire();
  const reseed = (seed: number | string, transactions: number) => {
    state.reseed(seed, transactions);
    wire();
  };
  const prefix = options.authPrefix ?? "/auth";
  const cors = options.cors ? corsPolicy(options.cors.origins, options.cors.maxAgeSeconds) : undefined;
  // Names that reach this emulator: this machine's, and the host it is published at (`baseUrl`).
  const ownHost = (hostname: string) => {
    if (isLoopbackName(hostname)) return true;
    const base = state.options.baseUrl;
    return base !== undefined && URL.canParse(base) && new URL(base).hostname.toLowerCase() === hostname;
  };

  const app = new Hono();
  app.onError((error, c) => {
    if (error instanceof MonzoHttpError) return jsonError(error);
    console.error("monzo-emulator: internal error", error);
    return c.json({ code: "internal_service", message: "Internal error in the emulator" }, 500);
  });

  const routeLabelOf = routeLabeller(app);
  const apiBodyLimit = bodyLimit({
    maxSize: 1024 * 1024,
    onError: () => {
      throw new MonzoHttpError("bad_request.body_too_large", "Request body is larger than 1 MiB");
    },
  });
  const pageBodyLimit = bodyLimit({
    maxSize: 64 * 1024,
    onError: (c) => c.text("Request body too large", 413),
  });
  const isApi = (path: string) =>
    !path.startsWith(`${prefix}/`) &&
    path !== prefix &&
    !path.startsWith("/_storage/") &&
    !path.startsWith("/_emulator");

  // Bodies are limited where they can be (API 1 MiB, pages 64 KiB); `bodyLimit` reads `c.req.raw`, which on
  // Node builds a whole `Request`, so GET and HEAD never meet it.
  app.on(["POST", "PUT", "PATCH", "DELETE"], "*", (c, next) => {
    const path = c.req.path;
    if (isApi(path)) return apiBodyLimit(c, next);
    return path.startsWith(`${prefix}/`) ? pageBodyLimit(c, next) : next();
  });
  // A login page's form posted by another site would approve logins behind the person's back.
  app.post(`${prefix}/*`, async (c, next) => {
    const refused = crossSiteReason(c.req.raw, c.env, ownHost);
    if (refused) return c.text(`Refused: ${refused}.`, 403);
    await next();
  });
  if (options.control !== false) {
    const control = new Hono();
    control.use("/_emulator/*", async (c, next) => {
      const remote = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
        ?.socket?.remoteAddress;
      if (remote && !isLoopback(remote))
        return c.json({ code: "forbidden.control", message: "The control API answers loopback only" }, 403);
      const refused = crossSiteReason(c.req.raw, c.env, ownHost);
      if (refused)
        return c.json(
          { code: "forbidden.control", message: `The control API refused this: ${refused}` },
          403,
        );
      return next();
    });
    controlRoutes(control, state, { reseed });
    app.route("/", control);
  }

  const pages = new Hono();
  pageRoutes(pages, state, prefix);
  app.route("/", pages);

  const storage = new Hono();
  storageRoutes(storage, state);
  app.route("/", storage);

  const api = new Hono();
  oauthRoutes(api, state);
  accountRoutes(api, state);
  potRoutes(api, state);
  transactionRoutes(api, state);
  feedRoutes(api, state);
  attachmentRoutes(api, state);
  receiptRoutes(api, state);
  webhookRoutes(api, state);
  app.route("/", api);

  // Unknown path → 404; a known path with the wrong verb → 405 (REFERENCE §13.31).
  app.notFound((c) => {
    const allowed = app.routes
      .filter((r) => r.method !== "ALL" && !r.path.endsWith("*") && patternOf(r.path).test(c.req.path))
      .map((r) => r.method);
    if (allowed.length > 0) {
      c.header("allow", [...new Set(allowed)].join(", "));
      return c.json(
        { code: "method_not_allowed", message: `${c.req.method} is not allowed on ${c.req.path}` },
        405,
      );
    }
    return c.json({ code: "not_found", message: `No endpoint at ${c.req.path}` }, 404);
  });

  // Around every request, outside Hono's middleware chain so a synchronous handler (most GETs) answers
  // synchronously and takes the Node adapter's fast path: counters and the request log (no headers, no
  // bodies: nothing secret is kept), and for the API the Accept check, the rate limit and faults.
  // Middleware layers for these cost a third of a small GET's throughput (BENCHMARKS.md).
  const dispatch = app.fetch;
  app.fetch = (request, env, executionCtx) => {
    const started = performance.now();
    // Pending transactions whose time has come settle before anyone can read them.
    state.settleDue();
    const method = request.method;
    const path = app.getPath(request, { env });
    const finish = (response: Response): Response => {
      const route = routeLabelOf(method, path);
      state.routeCounts.set(route, (state.routeCounts.get(route) ?? 0) + 1);
      state.requestLog.record(
        state.clock.now(),
        method,
        path,
        route,
        response.status,
        Math.round(performance.now() - started),
      );
      return response;
    };
    let answer: Response | Promise<Response>;
    // Browser apps on listed origins may read the API and file storage (opt-in, see http/cors.ts).
    // Not the token endpoint: it takes the client secret, which no page may hold (use monzo-broker).
    const corsPath =
      cors !== undefined &&
      ((isApi(path) && !path.startsWith("/oauth2/token")) || path.startsWith("/_storage/"));
    const origin = corsPath ? headerOf(request, env, "origin") : undefined;
    if (
      corsPath &&
      method === "OPTIONS" &&
      origin !== undefined &&
      headerOf(request, env, "access-control-request-method")
    )
      return finish(preflight(cors, origin));
    try {
      if (isApi(path)) {
        const accept = headerOf(request, env, "accept");
        if (accept && !/(application\/json|application\/\*|\*\/\*|\+json)/i.test(accept)) {
          throw new MonzoHttpError(
            "bad_response.not_acceptable",
            "The Accept header excludes application/json",
          );
        }
        takeRateLimitToken(state, headerOf(request, env, "authorization"));
        if (faultsActive(state)) {
          answer = injectFault(state, method, path, env).then(
            (replaced) => replaced ?? dispatch(request, env, executionCtx),
          );
        } else answer = dispatch(request, env, executionCtx);
      } else answer = dispatch(request, env, executionCtx);
    } catch (error) {
      if (!(error instanceof MonzoHttpError)) throw error;
      answer = jsonError(error);
    }
    const done = corsPath ? (r: Response) => finish(allowRead(cors!, origin, r)) : finish;
    if (!(answer instanceof Promise)) return done(answer);
    return answer.then(done, (error: unknown) => {
      if (!(error instanceof MonzoHttpError)) throw error;
      return done(jsonError(error));
    });
  };

  const inProcessFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    const signal = request.signal;
    // Like a real fetch: an aborted signal rejects with its reason, even while the app is still working.
    if (signal.aborted) throw signal.reason;
    const answered = Promise.resolve(app.fetch(request));
    const response = await new Promise<Response>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      answered.then(
        (r) => {
          signal.removeEventListener("abort", onAbort);
          resolve(r);
        },
        (e: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
    if (response.headers.has(RESET_HEADER)) {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      });
    }
    return response;
  }) as typeof globalThis.fetch;

  const decide =
    (approve: boolean) =>
    (filter: { userId?: string; clientId?: string } = {}) => {
      let count = 0;
      for (const g of state.authority.pendingGrants()) {
        if (
          (filter.userId && g.userId !== filter.userId) ||
          (filter.clientId && g.clientId !== filter.clientId)
        )
          continue;
        if (approve ? state.authority.approve(g) : state.authority.decline(g)) count++;
      }
      return count;
    };

  return {
    app,
    fetch: inProcessFetch,
    state,
    close: () => dispatcher.close(),
    control: {
      approve: decide(true),
      decline: decide(false),
      advanceClock: (ms) => {
        state.clock.advance(ms);
        state.settleDue();
      },
      setClock: (instant) => {
        state.clock.set(typeof instant === "number" ? instant : Date.parse(instant));
        state.settleDue();
      },
      now: () => state.clock.now(),
      setFaults: (f) => {
        state.faults = structuredClone(f);
        state.faultFired = [];
      },
      addClient: (client) => state.authority.registerClient(client),
      reset: () => reseed(state.seedInfo.seed, state.seedInfo.transactions),
      webhooksIdle: () => dispatcher.idle(),
      createTransaction: (spec) => createTransaction(state, spec).json,
      settleTransaction: (id, options) => settleTransaction(state, id, options).json,
      updateTransaction: (id, edit) => updateTransaction(state, id, edit).json,
      closeAccount: (id) => closeAccount(state, id),
      token: (o = {}) => {
        const userId = o.userId ?? [...state.bank.users.keys()][0]!;
        if (!state.bank.users.has(userId)) throw new Error(`unknown user ${userId}`);
        return state.authority.playgroundToken(
          o.clientId ?? "oauth2client_0000Playground00000001",
          userId,
          (o.ttlSeconds ?? 3600) * 1000,
          o.approved !== false,
        ).access_token;
      },
    },
  };
}

/** A Monzo-shaped error answer: its JSON body, status and headers (a 429's Retry-After). */
function jsonError(error: MonzoHttpError): Response {
  return new Response(JSON.stringify(error.body()), {
    status: error.status,
    headers: { "content-type": "application/json", ...error.headers },
  });
}

const patterns = new Map<string, RegExp>();
function patternOf(path: string): RegExp {
  let regex = patterns.get(path);
  if (!regex) {
    const source = path
      .split("/")
      .map((part) =>
        part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/");
    regex = new RegExp(`^${source}$`);
    patterns.set(path, regex);
  }
  return regex;
}

/** `GET /transactions/:transaction_id` for `GET /transactions/tx_…`; cached, it runs on every request. */
function routeLabeller(app: Hono): (method: string, path: string) => string {
  // By method, then path: no string is built per request.
  const byMethod = new Map<string, Map<string, string>>();
  let size = 0;
  return (method, path) => {
    let labels = byMethod.get(method);
    if (!labels) {
      labels = new Map();
      byMethod.set(method, labels);
    }
    let label = labels.get(path);
    if (label === undefined) {
      const route = app.routes.find(
        (r) => r.method === method && !r.path.endsWith("*") && patternOf(r.path).test(path),
      );
      label = route ? `${method} ${route.path}` : `${method} (unmatched)`;
      if (++size > 10_000) {
        byMethod.clear();
        size = 0;
      }
      labels.set(path, label);
    }
    return label;
  };
}

export function isLoopback(address: string): boolean {
  return (
    address === "::1" ||
    address.startsWith("127.") ||
    address.startsWith("::ffff:127.") ||
    address === "localhost"
  );
}
