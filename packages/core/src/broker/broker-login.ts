import {
  AbortError,
  AccessDeniedError,
  ConnectionError,
  InvalidArgumentError,
  OAuthError,
  RedirectRefusedError,
} from "../errors/client-errors.js";
import { MonzoError } from "../errors/monzo-error.js";
import { rememberSecret } from "../errors/redact.js";
import type { ClientId, UserId } from "../models/ids.js";
import { checkBaseUrl } from "../oauth/urls.js";
import { type RefreshFunction, refreshNotSent } from "../tokens/manager.js";
import type { TokenSet } from "../tokens/token-set.js";
import { NO_REDIRECTS, refuseRedirect } from "../transport/redirects.js";

/** The broker's login expired, was collected already, or is unknown. */
export class BrokerLoginExpiredError extends MonzoError {
  static {
    BrokerLoginExpiredError.prototype.name = "BrokerLoginExpiredError";
  }

  constructor(message: string) {
    super("broker.login_expired", message, { hint: "Start the login again." });
  }
}

export interface BrokerLoginOptions {
  /** The Monzokit broker's base URL, e.g. `https://broker.example.com`. */
  brokerUrl: string;
  fetch?: typeof globalThis.fetch;
  allowInsecure?: boolean;
  /** Injected for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

interface TokenBody {
  status?: string;
  access_token?: string;
  refresh_token?: string;
  expires_at?: string;
  expires_in?: number;
  user_id?: string;
  client_id?: string;
  scope?: string;
  error?: string;
  code?: string;
  message?: string;
}

/** What `BrokerLogin.start` takes. */
export interface BrokerStartOptions {
  /**
   * The app's own loopback address, `http://127.0.0.1:PORT/PATH` (or `http://[::1]:PORT/PATH`), where it
   * listens for the browser's return. After Monzo's login the broker sends the browser there with
   * `?confirm=…`; pass that to `waitForTokens` through `confirmation`. This binds the login to this app: a
   * login URL someone forwards to another person gives them nothing. Leave it out only for a broker run with
   * `BROKER_UNBOUND_LOGINS=1` (the original, phishable protocol). Use a random path.
   */
  returnTo?: string;
  signal?: AbortSignal;
}

/** A login the broker started. */
export interface BrokerLoginStart {
  /** The polling handle: keep it secret, it collects the tokens. */
  id: string;
  /** The Monzo login page to show the person. */
  loginUrl: string;
  expiresAt: number;
  /**
   * True when the broker bound the login to `returnTo` (only the poller holding the confirmation collects).
   * False from a broker that does not bind (an older one, or one allowing unbound logins).
   */
  bound: boolean;
}

/**
 * Logging in through a Monzokit broker (`monzo-broker`): the app never holds the client secret. `start`
 * returns the Monzo login URL to show; `waitForTokens` long-polls the broker until the person has logged
 * in and their browser has brought the confirmation back to the app; `refreshFunction` lets a
 * `TokenManager` refresh through the broker.
 *
 * @example
 * ```ts
 * const broker = new BrokerLogin({ brokerUrl: "https://broker.example.com" });
 * // listen on 127.0.0.1 for GET /<random path>?confirm=…, e.g. with node:http
 * const { id, loginUrl } = await broker.start({ returnTo: "http://127.0.0.1:53682/monzo/9f2c…" });
 * openBrowser(loginUrl);
 * const tokens = await broker.waitForTokens(id, { confirmation: (signal) => nextConfirm(signal) });
 * const manager = new TokenManager({ store, refresh: broker.refreshFunction() });
 * ```
 */
export class BrokerLogin {
  readonly #base: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #now: () => number;

  constructor(options: BrokerLoginOptions) {
    this.#base = checkBaseUrl(options.brokerUrl, "brokerUrl", options.allowInsecure)
      .toString()
      .replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((...args) => globalThis.fetch(...args));
    this.#sleep =
      options.sleep ??
      ((ms, signal) =>
        new Promise((resolve, reject) => {
          const t = setTimeout(resolve, ms);
          signal?.addEventListener(
            "abort",
            () => {
              clearTimeout(t);
              reject(new AbortError());
            },
            { once: true },
          );
        }));
    this.#now = options.now ?? Date.now;
  }

  /**
   * Asks the broker for a login. Show `loginUrl` to the person; keep `id` to collect the tokens. Pass
   * `returnTo` (the app's loopback address) unless the broker allows unbound logins.
   */
  async start(options: BrokerStartOptions | AbortSignal = {}): Promise<BrokerLoginStart> {
    const { returnTo, signal } =
      options instanceof AbortSignal ? { signal: options, returnTo: undefined } : options;
    const path = returnTo === undefined ? "/new" : `/new?${new URLSearchParams({ return_to: returnTo })}`;
    const res = await this.#send(path, { method: "POST", ...(signal ? { signal } : {}) });
    const body = (await res.json().catch(() => ({}))) as {
      id?: string;
      login_url?: string;
      expires_at?: string;
      message?: string;
      error?: string;
      binding?: string;
    };
    if (res.status === 400 && (body.error === "return_to_required" || body.error === "invalid_return_to"))
      throw new InvalidArgumentError(
        `The broker refused to start a login: ${body.message ?? body.error}`,
        "This broker binds each login to the app that starts it: pass returnTo, the app's own http://127.0.0.1:PORT/PATH where it receives the browser's confirmation.",
      );
    if (res.status !== 201 && res.status !== 200)
      throw new MonzoError(
        "broker.error",
        `The broker refused to start a login: ${res.status} ${body.message ?? ""}`.trim(),
        { hint: "Check the broker URL and that the broker is running." },
      );
    if (!body.id || !body.login_url)
      throw new MonzoError("broker.error", "The broker's answer has no id or login_url", {
        hint: "Check the URL points at a Monzokit broker.",
      });
    return {
      id: body.id,
      loginUrl: body.login_url,
      expiresAt: body.expires_at ? Date.parse(body.expires_at) : this.#now() + 600_000,
      bound: body.binding === "loopback" || body.binding === "origin",
    };
  }

  /**
   * Long-polls the broker until the tokens are ready. For a bound login (`start` with `returnTo`), once the
   * person is back the broker waits for the confirmation their browser brought to `returnTo`:
   * `confirmation(signal)` is called for it (again if the broker refuses one as not its own), and should
   * resolve with the `confirm` value of the next request to `returnTo`, or reject when `signal` aborts.
   * Denial becomes `AccessDeniedError`; an expired or already-collected login, or no confirmation in time,
   * `BrokerLoginExpiredError`; Monzo refusing the exchange an `OAuthError`.
   */
  async waitForTokens(
    id: string,
    options: {
      signal?: AbortSignal;
      timeoutMs?: number;
      waitSeconds?: number;
      onTick?: (info: { remainingMs: number }) => void;
      confirmation?: (signal: AbortSignal) => Promise<string>;
    } = {},
  ): Promise<TokenSet> {
    if (!id) throw new InvalidArgumentError("id is empty", "Pass the id start() returned.");
    const deadline = this.#now() + (options.timeoutMs ?? 10 * 60_000);
    let backoff = 1000;
    let confirm: string | undefined;
    for (;;) {
      const remaining = deadline - this.#now();
      if (remaining <= 0) throw new BrokerLoginExpiredError("Nobody finished the login in time");
      options.onTick?.({ remainingMs: remaining });
      const wait = Math.max(0, Math.min(options.waitSeconds ?? 25, Math.floor(remaining / 1000)));
      const query: Record<string, string> = { id, wait: String(wait) };
      if (confirm !== undefined) query["confirm"] = confirm;
      let res: Response;
      try {
        res = await this.#send(
          `/token?${new URLSearchParams(query)}`,
          options.signal ? { signal: options.signal } : {},
        );
      } catch (error) {
        if (error instanceof AbortError || error instanceof RedirectRefusedError) throw error;
        await this.#sleep(backoff, options.signal);
        backoff = Math.min(backoff * 2, 15_000);
        continue;
      }
      const body = (await res.json().catch(() => ({}))) as TokenBody;
      if (res.status === 200) return toTokenSet(body, this.#now());
      if (res.status === 202 && body.status === "awaiting_confirmation") {
        backoff = 1000;
        confirm = await this.#confirmation(options, deadline);
        continue;
      }
      if (res.status === 202) {
        backoff = 1000;
        if (wait === 0) await this.#sleep(1000, options.signal);
        continue;
      }
      if (res.status === 403 && body.error === "confirmation_mismatch") {
        // Not the one the broker gave this login's browser (a request to returnTo from something else):
        // wait for the next.
        confirm = undefined;
        continue;
      }
      if (res.status === 403) throw new AccessDeniedError(body.message);
      if (res.status === 404 || res.status === 410)
        throw new BrokerLoginExpiredError(body.message ?? "The login expired or was already collected");
      if (res.status === 429 || res.status === 503) {
        const after = Number(res.headers.get("retry-after"));
        await this.#sleep(Number.isFinite(after) && after > 0 ? after * 1000 : backoff, options.signal);
        backoff = Math.min(backoff * 2, 15_000);
        continue;
      }
      if (res.status === 502 && body.error === "monzo_error")
        throw new OAuthError(
          502,
          body.code ?? undefined,
          body.code ?? undefined,
          `Monzo refused the login: ${body.message ?? body.code ?? "unknown"}`,
          "Start the login again.",
        );
      throw new MonzoError(
        "broker.error",
        `The broker answered ${res.status}: ${body.message ?? body.error ?? ""}`.trim(),
        { hint: "Try again; check the broker's logs if it persists." },
      );
    }
  }

  /** The next confirmation from the app, before the deadline. */
  async #confirmation(
    options: { signal?: AbortSignal; confirmation?: (signal: AbortSignal) => Promise<string> },
    deadline: number,
  ): Promise<string> {
    if (!options.confirmation)
      throw new MonzoError(
        "broker.confirmation_required",
        "The person logged in, but this broker releases the tokens only with the confirmation their browser brought back to the app",
        { hint: "Start the login with returnTo and pass confirmation to waitForTokens." },
      );
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), Math.max(0, deadline - this.#now()));
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    try {
      const value = await options.confirmation(signal);
      if (!/^[A-Za-z0-9_-]{20,100}$/.test(value))
        throw new InvalidArgumentError(
          "The confirmation is not one the broker gives",
          "Pass the confirm value of the request to returnTo.",
        );
      rememberSecret(value);
      return value;
    } catch (error) {
      if (options.signal?.aborted) throw new AbortError(undefined, error);
      if (timeout.signal.aborted)
        throw new BrokerLoginExpiredError(
          "The browser did not come back to this app in time (was the login opened on another computer?)",
        );
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A `RefreshFunction` that refreshes through the broker (`POST /refresh`), which adds the secret. */
  refreshFunction(): RefreshFunction {
    return async (current, signal) => {
      if (!current.refreshToken)
        throw refreshNotSent(new InvalidArgumentError("No refresh token to refresh with", "Log in again."));
      rememberSecret(current.refreshToken);
      const res = await this.#send("/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: current.refreshToken }),
        ...(signal ? { signal } : {}),
      });
      const body = (await res.json().catch(() => ({}))) as TokenBody;
      if (res.status === 200) return toTokenSet(body, this.#now());
      if (res.status >= 400 && res.status < 500 && body.error === "monzo_error") {
        throw new OAuthError(
          res.status,
          body.code ?? undefined,
          body.code ?? undefined,
          `Monzo refused the refresh: ${body.message ?? body.code}`,
          "Log in again.",
        );
      }
      throw new ConnectionError(
        `The broker could not refresh the token: ${res.status} ${body.message ?? ""}`.trim(),
      );
    };
  }

  async #send(path: string, init: RequestInit): Promise<Response> {
    const url = `${this.#base}${path}`;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        ...init,
        redirect: NO_REDIRECTS,
        headers: { accept: "application/json", ...(init.headers as Record<string, string> | undefined) },
      });
    } catch (error) {
      if (init.signal?.aborted) throw new AbortError(undefined, error);
      throw new ConnectionError(`Cannot reach the broker at ${this.#base}`, error);
    }
    // Refresh tokens and collection handles go to the broker the user chose, never on to where it points.
    refuseRedirect(response, `${init.method ?? "GET"} ${this.#base}${path.split("?")[0]}`, url);
    return response;
  }
}

function toTokenSet(body: TokenBody, now: number): TokenSet {
  if (!body.access_token || !body.user_id || !body.client_id)
    throw new MonzoError("broker.error", "The broker's token answer is incomplete", {
      hint: "Check the broker version.",
    });
  rememberSecret(body.access_token);
  rememberSecret(body.refresh_token);
  const expiresAt = body.expires_at ? Date.parse(body.expires_at) : now + (body.expires_in ?? 0) * 1000;
  return {
    accessToken: body.access_token,
    ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
    expiresAt,
    userId: body.user_id as UserId,
    clientId: body.client_id as ClientId,
    ...(body.scope ? { scope: body.scope } : {}),
  };
}
