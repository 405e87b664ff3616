import {
  AbortError,
  AccessDeniedError,
  ConnectionError,
  InvalidArgumentError,
  OAuthError,
} from "../errors/client-errors.js";
import { MonzoError } from "../errors/monzo-error.js";
import { registerSecret } from "../errors/redact.js";
import type { ClientId, UserId } from "../models/ids.js";
import { checkBaseUrl } from "../oauth/urls.js";
import type { RefreshFunction } from "../tokens/manager.js";
import type { TokenSet } from "../tokens/token-set.js";

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

/**
 * Logging in through a Monzokit broker (`monzo-broker`): the app never holds the client secret. `start`
 * returns the Monzo login URL to show; `waitForTokens` long-polls the broker until the person has logged
 * in; `refreshFunction` lets a `TokenManager` refresh through the broker.
 *
 * @example
 * ```ts
 * const broker = new BrokerLogin({ brokerUrl: "https://broker.example.com" });
 * const { id, loginUrl } = await broker.start();
 * openBrowser(loginUrl);
 * const tokens = await broker.waitForTokens(id);
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

  /** Asks the broker for a login. Show `loginUrl` to the person; keep `id` to collect the tokens. */
  async start(signal?: AbortSignal): Promise<{ id: string; loginUrl: string; expiresAt: number }> {
    const res = await this.#send("/new", { method: "POST", ...(signal ? { signal } : {}) });
    const body = (await res.json().catch(() => ({}))) as {
      id?: string;
      login_url?: string;
      expires_at?: string;
      message?: string;
    };
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
    };
  }

  /**
   * Long-polls the broker until the tokens are ready. Denial becomes `AccessDeniedError`; an expired or
   * already-collected login `BrokerLoginExpiredError`; Monzo refusing the exchange an `OAuthError`.
   */
  async waitForTokens(
    id: string,
    options: {
      signal?: AbortSignal;
      timeoutMs?: number;
      waitSeconds?: number;
      onTick?: (info: { remainingMs: number }) => void;
    } = {},
  ): Promise<TokenSet> {
    if (!id) throw new InvalidArgumentError("id is empty", "Pass the id start() returned.");
    const deadline = this.#now() + (options.timeoutMs ?? 10 * 60_000);
    let backoff = 1000;
    for (;;) {
      const remaining = deadline - this.#now();
      if (remaining <= 0) throw new BrokerLoginExpiredError("Nobody finished the login in time");
      options.onTick?.({ remainingMs: remaining });
      const wait = Math.max(0, Math.min(options.waitSeconds ?? 25, Math.floor(remaining / 1000)));
      let res: Response;
      try {
        res = await this.#send(
          `/token?${new URLSearchParams({ id, wait: String(wait) })}`,
          options.signal ? { signal: options.signal } : {},
        );
      } catch (error) {
        if (error instanceof AbortError) throw error;
        await this.#sleep(backoff, options.signal);
        backoff = Math.min(backoff * 2, 15_000);
        continue;
      }
      const body = (await res.json().catch(() => ({}))) as TokenBody;
      if (res.status === 200) return toTokenSet(body, this.#now());
      if (res.status === 202) {
        backoff = 1000;
        if (wait === 0) await this.#sleep(1000, options.signal);
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

  /** A `RefreshFunction` that refreshes through the broker (`POST /refresh`), which adds the secret. */
  refreshFunction(): RefreshFunction {
    return async (current, signal) => {
      if (!current.refreshToken)
        throw new InvalidArgumentError("No refresh token to refresh with", "Log in again.");
      registerSecret(current.refreshToken);
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
    try {
      return await this.#fetch(`${this.#base}${path}`, {
        ...init,
        headers: { accept: "application/json", ...(init.headers as Record<string, string> | undefined) },
      });
    } catch (error) {
      if (init.signal?.aborted) throw new AbortError(undefined, error);
      throw new ConnectionError(`Cannot reach the broker at ${this.#base}`, error);
    }
  }
}

function toTokenSet(body: TokenBody, now: number): TokenSet {
  if (!body.access_token || !body.user_id || !body.client_id)
    throw new MonzoError("broker.error", "The broker's token answer is incomplete", {
      hint: "Check the broker version.",
    });
  registerSecret(body.access_token);
  registerSecret(body.refresh_token);
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
