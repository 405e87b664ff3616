import {
  AccessDeniedError,
  InvalidArgumentError,
  InvalidCallbackError,
  OAuthError,
  StateMismatchError,
} from "../errors/client-errors.js";
import { rememberSecret } from "../errors/redact.js";
import { checkBaseUrl, MONZO_AUTH_URL } from "./urls.js";

export interface AuthorizationUrlOptions {
  clientId: string;
  /** Must be exactly one of the client's registered redirect URLs (REFERENCE §2.2). */
  redirectUri: string;
  /** Your own state; by default 256 random bits. */
  state?: string;
  /** Default `https://auth.monzo.com/`. */
  authUrl?: string;
  allowInsecure?: boolean;
}

/**
 * Step 1 of Monzo's login (REFERENCE §2.2): the URL to send the person to, and the `state` to check the
 * callback against.
 *
 * @example
 * ```ts
 * const { url, state } = authorizationUrl({ clientId, redirectUri: "http://localhost:6600/callback" });
 * ```
 * @see https://docs.monzo.com/#acquire-an-access-token
 */
export function authorizationUrl(options: AuthorizationUrlOptions): { url: string; state: string } {
  if (!options.clientId)
    throw new InvalidArgumentError("clientId is empty", "Pass the client id from Monzo's developer portal.");
  try {
    new URL(options.redirectUri);
  } catch {
    throw new InvalidArgumentError(
      `redirectUri "${options.redirectUri}" is not a URL`,
      "Pass the exact redirect URL registered for the client.",
    );
  }
  const state = options.state ?? randomState();
  if (state.length < 8)
    throw new InvalidArgumentError(
      "state is too short to be unguessable",
      "Leave state out to get 256 random bits.",
    );
  const url = checkBaseUrl(options.authUrl ?? MONZO_AUTH_URL, "authUrl", options.allowInsecure);
  // Built once and assigned once: every `url.searchParams.set` re-serialises the whole query.
  const params = new URLSearchParams(url.search);
  params.set("client_id", options.clientId);
  params.set("redirect_uri", options.redirectUri);
  params.set("response_type", "code");
  params.set("state", state);
  url.search = params.toString();
  return { url: url.toString(), state };
}

/**
 * `authorizationUrl` for many logins with one client: the options are checked and the URL is laid out once,
 * then each call only adds its state. Every URL it returns is exactly the one `authorizationUrl` returns for
 * the same options and state. For servers that start many logins (a token broker).
 *
 * @example
 * ```ts
 * const loginUrl = authorizationUrlBuilder({ clientId, redirectUri });
 * const { url, state } = loginUrl(); // or loginUrl(myState)
 * ```
 */
export function authorizationUrlBuilder(
  options: Omit<AuthorizationUrlOptions, "state">,
): (state?: string) => { url: string; state: string } {
  // The layout comes from authorizationUrl itself, with a marker state that cannot occur anywhere else in
  // the URL (256 random bits), so the two can never disagree on encoding, order or an existing query.
  const marker = randomState();
  const { url: sample } = authorizationUrl({ ...options, state: marker });
  const at = sample.indexOf(marker);
  if (at < 0 || sample.indexOf(marker, at + 1) >= 0)
    return (state) => authorizationUrl({ ...options, ...(state === undefined ? {} : { state }) });
  const before = sample.slice(0, at);
  const after = sample.slice(at + marker.length);
  return (state) => {
    if (state === undefined) state = randomState();
    else if (state.length < 8)
      throw new InvalidArgumentError(
        "state is too short to be unguessable",
        "Leave state out to get 256 random bits.",
      );
    // What URLSearchParams leaves as it is needs no encoding; anything else is encoded exactly as it would.
    const encoded = PLAIN_STATE.test(state) ? state : new URLSearchParams({ s: state }).toString().slice(2);
    return { url: before + encoded + after, state };
  };
}

/** Characters application/x-www-form-urlencoded serialisation leaves alone. */
const PLAIN_STATE = /^[A-Za-z0-9*._-]*$/;

/**
 * 256 bits from the platform CSPRNG, base64url.
 *
 * @example const state = randomState(); // 43 base64url characters
 */
export function randomState(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

declare const validatedBrand: unique symbol;

/**
 * A callback whose `state` matched: the only thing `exchangeCode` accepts, so the check cannot be
 * skipped — not by the type system, and not at run time either (a look-alike object is refused).
 */
export interface ValidatedCallback {
  readonly code: string;
  readonly state: string;
  readonly [validatedBrand]: true;
}

const issued = new WeakSet<object>();

/**
 * True for an object `validateCallback` returned and `exchangeCode` has not used yet.
 *
 * @example if (!isValidatedCallback(value)) throw new Error("validate the callback first");
 */
export function isValidatedCallback(value: unknown): value is ValidatedCallback {
  return typeof value === "object" && value !== null && issued.has(value);
}

/**
 * Marks a validated callback as spent (codes are single-use, REFERENCE §2.3).
 *
 * @example spendCallback(callback); // exchangeCode does this itself
 */
export function spendCallback(callback: ValidatedCallback): void {
  issued.delete(callback);
}

/**
 * Step 2 (REFERENCE §2.3): checks the redirect Monzo sent the browser to. `state` is compared in
 * constant time before anything else; a denial becomes `AccessDeniedError`.
 *
 * @param callbackUrl - the full redirect URL (or just its `?code=…&state=…` query)
 * @param expectedState - the `state` `authorizationUrl` returned
 * @param options - `rememberSecrets: false` keeps the code out of the process-wide redaction list (a server
 *   handling other people's logins); default true
 * @throws {StateMismatchError} when the state differs — never exchange that code
 * @example
 * ```ts
 * const callback = validateCallback(request.url, state);
 * const tokens = await exchangeCode(callback, { clientId, clientSecret, redirectUri });
 * ```
 */
export function validateCallback(
  callbackUrl: string | URL,
  expectedState: string,
  options: { rememberSecrets?: boolean } = {},
): ValidatedCallback {
  const params = callbackParams(callbackUrl);
  const state = params.get("state");
  const error = params.get("error");
  if (state === null || state === "") {
    if (error) throw oauthErrorFrom(error, params.get("error_description"));
    throw new InvalidCallbackError("The callback has no state parameter");
  }
  if (!expectedState || !constantTimeEqual(state, expectedState)) throw new StateMismatchError();
  if (error) throw oauthErrorFrom(error, params.get("error_description"));
  const code = params.get("code");
  if (!code) throw new InvalidCallbackError("The callback has no code parameter");
  if (options.rememberSecrets !== false) rememberSecret(code);
  const callback = Object.freeze({ code, state }) as ValidatedCallback;
  issued.add(callback);
  return callback;
}

function callbackParams(callbackUrl: string | URL): URLSearchParams {
  if (callbackUrl instanceof URL) return callbackUrl.searchParams;
  const text = callbackUrl.trim();
  if (text.startsWith("?") || (!text.includes("://") && text.includes("=")))
    return new URLSearchParams(text.replace(/^\?/, ""));
  try {
    return new URL(text).searchParams;
  } catch {
    // Only up to the query: what follows may hold the code, which no error may show.
    throw new InvalidCallbackError(`"${text.split("?")[0]!.slice(0, 80)}…" is not a URL`);
  }
}

function oauthErrorFrom(error: string, description: string | null): Error {
  if (error === "access_denied") return new AccessDeniedError(description ?? undefined);
  return new OAuthError(
    400,
    undefined,
    error,
    `Monzo's login page returned an error: ${error}${description ? ` (${description})` : ""}`,
    "Start the login again; check the client id and redirect URL.",
  );
}

/**
 * Compares two strings in time that depends only on their lengths.
 *
 * @example constantTimeEqual(received, expected) // no early exit on the first differing byte
 */
export function constantTimeEqual(a: string, b: string): boolean {
  // UTF-16 code units: two strings are equal exactly when these are, and nothing is allocated.
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++)
    diff |= (i < a.length ? a.charCodeAt(i) : 0) ^ (i < b.length ? b.charCodeAt(i) : 0);
  return diff === 0;
}
