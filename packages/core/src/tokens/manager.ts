import { AuthenticationError, type MonzoApiError, TokenEvictedError } from "../errors/api-error.js";
import { AbortError, OAuthError, ReauthenticationRequiredError } from "../errors/client-errors.js";
import { MonzoError } from "../errors/monzo-error.js";
import { rememberSecret } from "../errors/redact.js";
import type { AccessTokenProvider } from "../transport/transport.js";
import type { TokenStore } from "./store.js";
import { expiresSoon, type TokenSet } from "./token-set.js";

/**
 * Turns the current token set into the next one: Monzo's refresh grant, or a broker's `/refresh`. An error
 * it throws before sending anything should be marked with `refreshNotSent`, so the token manager can tell
 * it from a refresh of unknown outcome.
 */
export type RefreshFunction = (current: TokenSet, signal?: AbortSignal) => Promise<TokenSet>;

/** The mark of `refreshNotSent`: a registered symbol, so that two copies of this package agree on it. */
const NOT_SENT = Symbol.for("monzokit.refresh.not-sent");

/**
 * Marks `error` as thrown by a refresh function before it sent the refresh token anywhere (a missing client
 * secret, a refused setting, an invalid URL): the refresh token cannot have been spent, so `TokenManager`
 * passes the error on as itself instead of calling the refresh's outcome unknown. Mark only what was thrown
 * before any request; a failure after sending (a lost connection, a timeout) may have rotated the chain.
 * Returns `error` (an object that cannot be marked stays unmarked: its outcome is then reported unknown).
 *
 * @example
 * ```ts
 * const refresh: RefreshFunction = async (current, signal) => {
 *   if (!secret) throw refreshNotSent(new Error("no client secret is configured"));
 *   return monzoRefresh({ clientId, clientSecret: secret })(current, signal);
 * };
 * ```
 */
export function refreshNotSent<E extends object>(error: E): E {
  try {
    Object.defineProperty(error, NOT_SENT, { value: true, configurable: true });
  } catch {}
  return error;
}

/**
 * Whether `error` was marked by `refreshNotSent`: thrown by a refresh function before anything was sent.
 *
 * @example if (isRefreshNotSent(error)) console.error("nothing was sent; the login is intact");
 */
export function isRefreshNotSent(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { [NOT_SENT]?: unknown })[NOT_SENT] === true
  );
}

export interface TokenManagerOptions {
  store: TokenStore;
  /** How to refresh; without it, an expired token means logging in again. */
  refresh?: RefreshFunction;
  /** Refresh this long before expiry. Default 5 minutes. */
  skewMs?: number;
  /** Called after every new token set has been saved (persist it elsewhere, log the rotation). */
  onTokens?: (tokens: TokenSet) => void | Promise<void>;
  now?: () => number;
}

/**
 * The one owner of a token chain (REFERENCE §2.6–2.8). It refreshes ahead of expiry; however many calls
 * race, exactly one refresh is in flight (a shared promise in this process, the store's lock across
 * processes); after taking the lock it reloads the store and uses a token someone else already rotated
 * (compare-and-swap on the token it meant to replace); it saves the new set before anyone uses it; and
 * it never retries a refresh whose outcome is unknown, because a second attempt with the same single-use
 * refresh token would burn the chain. An error the refresh function marked with `refreshNotSent` (nothing
 * was sent, so nothing is unknown) and an abort reach the caller as themselves.
 *
 * @example
 * ```ts
 * const tokens = new TokenManager({ store: new MemoryTokenStore(set), refresh: monzoRefresh({ clientId, clientSecret }) });
 * const client = new MonzoClient({ tokens });
 * ```
 */
export class TokenManager implements AccessTokenProvider {
  readonly #options: TokenManagerOptions;
  readonly #now: () => number;
  #current: TokenSet | undefined;
  #loaded = false;
  #inflight: Promise<TokenSet> | undefined;
  /** How many refreshes this manager performed (for tests and diagnostics). */
  refreshCount = 0;

  constructor(options: TokenManagerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The current token set (loaded from the store on first use), or undefined when logged out. */
  async tokens(): Promise<TokenSet | undefined> {
    if (!this.#loaded) {
      this.#current = await this.#options.store.load();
      this.#loaded = true;
      registerTokens(this.#current);
    }
    return this.#current;
  }

  /** A usable access token, refreshed first when it expires within the skew. */
  async accessToken(signal?: AbortSignal): Promise<string> {
    if (this.#inflight) return (await this.#inflight).accessToken;
    const current = await this.tokens();
    if (!current)
      throw new ReauthenticationRequiredError("No Monzo tokens are stored", "Log in first (monzo login).");
    if (!expiresSoon(current, this.#now(), this.#options.skewMs ?? 5 * 60_000)) return current.accessToken;
    return (await this.refreshFrom(current, signal)).accessToken;
  }

  /** After a 401 for `failedToken`: a fresh token to replay with, or an error saying what to do. */
  async recover(failedToken: string, error: MonzoApiError, signal?: AbortSignal): Promise<string> {
    if (this.#inflight) return (await this.#inflight).accessToken;
    // Another process may already hold newer tokens (it refreshed, or logged in again).
    const stored = await this.#options.store.load();
    if (stored && stored.accessToken !== failedToken) {
      this.#adopt(stored);
      return stored.accessToken;
    }
    if (error instanceof TokenEvictedError) throw error;
    const current = this.#current?.accessToken === failedToken ? this.#current : stored;
    if (!current)
      throw new ReauthenticationRequiredError(
        "No Monzo tokens are stored",
        "Log in first (monzo login).",
        error,
      );
    return (await this.refreshFrom(current, signal)).accessToken;
  }

  /**
   * Refreshes unless someone already replaced `stale`. Concurrent callers share one refresh.
   */
  refreshFrom(stale: TokenSet, signal?: AbortSignal): Promise<TokenSet> {
    if (!this.#inflight) {
      const run = this.#refresh(stale, signal).finally(() => {
        if (this.#inflight === run) this.#inflight = undefined;
      });
      this.#inflight = run;
    }
    return this.#inflight;
  }

  /** Replaces the chain after a login: saves first, then uses. */
  async setTokens(tokens: TokenSet): Promise<void> {
    await this.#options.store.save(tokens);
    this.#adopt(tokens);
    await this.#options.onTokens?.(tokens);
  }

  /** Forgets the tokens here and in the store. */
  async clear(): Promise<void> {
    await this.#options.store.clear();
    this.#current = undefined;
    this.#loaded = true;
  }

  async #refresh(stale: TokenSet, signal?: AbortSignal): Promise<TokenSet> {
    const store = this.#options.store;
    const work = async (): Promise<TokenSet> => {
      // Compare-and-swap: inside the lock, the store is the truth. If it no longer holds the token we
      // meant to replace, another caller or process rotated it: use theirs.
      const latest = (await store.load()) ?? stale;
      if (latest.accessToken !== stale.accessToken && !expiresSoon(latest, this.#now(), 0)) {
        this.#adopt(latest);
        return latest;
      }
      if (!latest.refreshToken) {
        throw new ReauthenticationRequiredError(
          "The access token has expired and there is no refresh token",
          "Non-confidential clients and playground tokens cannot be refreshed: log in again (monzo login).",
        );
      }
      const refresh = this.#options.refresh;
      if (!refresh)
        throw new ReauthenticationRequiredError(
          "The access token has expired and no refresh function is configured",
          "Log in again (monzo login).",
        );
      let next: TokenSet;
      try {
        next = await refresh(latest, signal);
      } catch (error) {
        // Nothing was sent (the refresh function says so): the chain is intact, and its error says why.
        if (error instanceof AbortError || isRefreshNotSent(error)) throw error;
        if (isRefused(error)) {
          // Maybe another process won a race we could not see: its tokens are in the store now.
          const after = await store.load();
          if (after && after.refreshToken !== latest.refreshToken) {
            this.#adopt(after);
            return after;
          }
          throw new ReauthenticationRequiredError(
            "Monzo refused the refresh token: the login has ended",
            "Log in again (monzo login).",
            error,
          );
        }
        // The request may have reached Monzo and rotated the chain; retrying with the same refresh token
        // could not help and might make things worse. Keep what is stored and say what happened.
        throw new ReauthenticationRequiredError(
          "The token refresh did not complete; its outcome is unknown",
          "Try again in a moment; if Monzo then reports the refresh token as used, log in again (monzo login).",
          error,
        );
      }
      await store.save(next);
      this.refreshCount++;
      this.#adopt(next);
      await this.#options.onTokens?.(next);
      return next;
    };
    return store.lock ? store.lock(work) : work();
  }

  #adopt(tokens: TokenSet): void {
    registerTokens(tokens);
    this.#current = tokens;
    this.#loaded = true;
  }
}

function registerTokens(tokens: TokenSet | undefined): void {
  rememberSecret(tokens?.accessToken);
  rememberSecret(tokens?.refreshToken);
}

function isRefused(error: unknown): boolean {
  if (error instanceof OAuthError) return error.status >= 400 && error.status < 500;
  if (error instanceof AuthenticationError) return true;
  return (
    error instanceof MonzoError &&
    /bad_refresh_token/.test(String((error as { monzoCode?: string }).monzoCode))
  );
}
