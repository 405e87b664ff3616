import {
  AbortError,
  ConnectionError,
  InvalidArgumentError,
  OAuthError,
  TimeoutError,
} from "../errors/client-errors.js";
import { redact, rememberSecret } from "../errors/redact.js";
import { parse, TokenResponseSchema } from "../models/schemas.js";
import { refreshNotSent } from "../tokens/manager.js";
import type { TokenSet } from "../tokens/token-set.js";
import { NO_REDIRECTS, refuseRedirect } from "../transport/redirects.js";
import { isValidatedCallback, spendCallback, type ValidatedCallback } from "./authorize.js";
import { checkBaseUrl, MONZO_API_URL } from "./urls.js";

export interface ClientCredentials {
  clientId: string;
  /** Confidential or not, Monzo's token endpoint wants it (client_secret_post, REFERENCE §2.4). */
  clientSecret: string;
}

export interface EndpointOptions {
  /** Default `https://api.monzo.com`. */
  apiUrl?: string;
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
  /** Default 30 s. */
  timeoutMs?: number;
  allowInsecure?: boolean;
  now?: () => number;
  /**
   * Remember this call's tokens, code and client secret process-wide, so later errors and logs mask them
   * (default true). A server that handles other people's tokens (a broker) passes false: they are then
   * masked in this call's own errors only.
   */
  rememberSecrets?: boolean;
}

/**
 * Step 3 (REFERENCE §2.4): trades the code of a validated callback for tokens. Only the object
 * `validateCallback` returned is accepted, once. Never retried: a code is single-use.
 *
 * @example
 * ```ts
 * const tokens = await exchangeCode(validateCallback(url, state), { clientId, clientSecret, redirectUri });
 * ```
 * @see https://docs.monzo.com/#exchange-the-authorization-code
 */
export async function exchangeCode(
  callback: ValidatedCallback,
  options: ClientCredentials & EndpointOptions & { redirectUri: string },
): Promise<TokenSet> {
  if (!isValidatedCallback(callback)) {
    throw new InvalidArgumentError(
      "exchangeCode was given a callback that validateCallback did not return (or one already used)",
      "Pass the object validateCallback(callbackUrl, state) returned; it checks the state first.",
    );
  }
  spendCallback(callback);
  return tokenRequest(
    {
      grant_type: "authorization_code",
      client_id: options.clientId,
      client_secret: options.clientSecret,
      redirect_uri: options.redirectUri,
      code: callback.code,
    },
    options,
  );
}

/**
 * Trades a refresh token for a new token set (REFERENCE §2.6). Both tokens rotate; the old refresh token
 * dies. Never retried here: the token manager decides what a failure means.
 *
 * @example const next = await refreshTokens(tokens.refreshToken!, { clientId, clientSecret });
 */
export async function refreshTokens(
  refreshToken: string,
  options: ClientCredentials & EndpointOptions,
): Promise<TokenSet> {
  return tokenRequest(
    {
      grant_type: "refresh_token",
      client_id: options.clientId,
      client_secret: options.clientSecret,
      refresh_token: refreshToken,
    },
    options,
  );
}

/**
 * `POST /oauth2/logout` (REFERENCE §2.9): the token and its whole refresh chain stop working.
 *
 * @example await logout(tokens.accessToken); // the refresh chain ends too
 */
export async function logout(accessToken: string, options: EndpointOptions = {}): Promise<void> {
  if (options.rememberSecrets !== false) rememberSecret(accessToken);
  const response = await send(
    "/oauth2/logout",
    { method: "POST", headers: { authorization: `Bearer ${accessToken}`, accept: "application/json" } },
    options,
  );
  if (!response.ok) throw await oauthFailure(response, "logout", [accessToken]);
}

async function tokenRequest(form: Record<string, string>, options: EndpointOptions): Promise<TokenSet> {
  const own = [form["client_secret"], form["code"], form["refresh_token"]];
  const remember = options.rememberSecrets !== false;
  if (remember) for (const secret of own) rememberSecret(secret);
  const now = options.now ?? Date.now;
  const response = await send(
    "/oauth2/token",
    {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams(form).toString(),
    },
    options,
  );
  if (!response.ok)
    throw await oauthFailure(response, form["grant_type"] === "refresh_token" ? "refresh" : "exchange", own);
  const body = parse(TokenResponseSchema, await response.json().catch(() => undefined), "POST /oauth2/token");
  if (remember) {
    rememberSecret(body.access_token);
    rememberSecret(body.refresh_token);
  }
  return {
    accessToken: body.access_token,
    ...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
    expiresAt: now() + body.expires_in * 1000,
    userId: body.user_id,
    clientId: body.client_id,
    ...(body.scope ? { scope: body.scope } : {}),
  };
}

async function send(path: string, init: RequestInit, options: EndpointOptions): Promise<Response> {
  const base = checkBaseUrl(options.apiUrl ?? MONZO_API_URL, "apiUrl", options.allowInsecure);
  const url = new URL(path.slice(1), `${base.toString().replace(/\/+$/, "")}/`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(url, { ...init, redirect: NO_REDIRECTS, signal });
  } catch (error) {
    if (options.signal?.aborted) throw new AbortError(undefined, error);
    if (timeout.aborted) throw new TimeoutError(`POST ${path}: no answer within ${timeoutMs} ms`, error);
    throw new ConnectionError(`POST ${path}: the connection failed`, error);
  }
  // The body holds the client secret and a code or refresh token: a redirect is never followed with it.
  refuseRedirect(response, `POST ${path}`, url.toString());
  return response;
}

const HINTS: Record<string, string> = {
  "bad_request.authorization_code.invalid": "The code was already used or expired: log in again.",
  "bad_request.bad_param.redirect_uri":
    "Use the same redirect URL at login and at the exchange, exactly as registered.",
  "bad_request.could_not_authenticate": "Check the client id and client secret.",
  "bad_request.client_not_enabled": "The OAuth client is disabled in Monzo's developer portal.",
  "unauthorized.bad_refresh_token": "The refresh token was already used (they are single-use): log in again.",
  "unauthorized.bad_refresh_token.evicted": "A newer login replaced this one: log in again.",
};

async function oauthFailure(
  response: Response,
  what: "exchange" | "refresh" | "logout",
  own: readonly (string | undefined)[],
): Promise<OAuthError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {}
  const code = typeof body["code"] === "string" ? body["code"] : undefined;
  const oauth = typeof body["error"] === "string" ? body["error"] : undefined;
  // Monzo's words may echo what was sent: masked with this call's own secrets, remembered or not.
  const message =
    typeof body["message"] === "string" ? redact(body["message"], own) : `HTTP ${response.status}`;
  const hint =
    (code && HINTS[code]) ??
    (what === "logout"
      ? "The token is already invalid: nothing to log out."
      : "Log in again; check the client id, secret and redirect URL.");
  return new OAuthError(
    response.status,
    code,
    oauth ?? code,
    `Monzo refused the token ${what}: ${response.status}${code ? ` ${code}` : ""} — ${message}`,
    hint,
  );
}

/**
 * A `RefreshFunction` for `TokenManager` that refreshes at Monzo's token endpoint.
 *
 * @example
 * ```ts
 * new TokenManager({ store, refresh: monzoRefresh({ clientId, clientSecret }) });
 * ```
 */
export function monzoRefresh(
  options: ClientCredentials & Omit<EndpointOptions, "signal">,
): (current: TokenSet, signal?: AbortSignal) => Promise<TokenSet> {
  return async (current, signal) => {
    // Both found before anything is sent: marked so, the token manager reports them as they are, not as a
    // refresh whose outcome is unknown.
    if (!current.refreshToken)
      throw refreshNotSent(new InvalidArgumentError("No refresh token to refresh with", "Log in again."));
    try {
      checkBaseUrl(options.apiUrl ?? MONZO_API_URL, "apiUrl", options.allowInsecure);
    } catch (error) {
      throw refreshNotSent(error as object);
    }
    return refreshTokens(current.refreshToken, { ...options, ...(signal ? { signal } : {}) });
  };
}
