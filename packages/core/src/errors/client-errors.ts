import { MonzoError } from "./monzo-error.js";

/**
 * The OAuth token endpoint refused (REFERENCE §2.4, §2.13): `oauthError` is its `error` value.
 *
 * @example if (e instanceof OAuthError && e.monzoCode === "unauthorized.bad_refresh_token") relogin();
 */
export class OAuthError extends MonzoError {
  static {
    OAuthError.prototype.name = "OAuthError";
  }

  readonly oauthError: string | undefined;
  readonly monzoCode: string | undefined;
  readonly status: number;

  constructor(
    status: number,
    monzoCode: string | undefined,
    oauthError: string | undefined,
    message: string,
    hint: string,
  ) {
    super(`oauth.${oauthError ?? "error"}`, message, { hint });
    this.status = status;
    this.monzoCode = monzoCode;
    this.oauthError = oauthError;
  }
}

/**
 * The person pressed Deny on Monzo's login page (`error=access_denied` on the redirect).
 *
 * @example if (e instanceof AccessDeniedError) console.log("You pressed Deny; log in again to continue.");
 */
export class AccessDeniedError extends MonzoError {
  static {
    AccessDeniedError.prototype.name = "AccessDeniedError";
  }

  constructor(description?: string) {
    super(
      "oauth.access_denied",
      `Access was denied at Monzo's login page${description ? `: ${description}` : ""}`,
      {
        hint: "Log in again and press Allow.",
      },
    );
  }
}

/**
 * The callback's `state` is not the one this login sent: never exchange that code (REFERENCE §2.3).
 *
 * @example if (e instanceof StateMismatchError) console.log("Start the login again from this app.");
 */
export class StateMismatchError extends MonzoError {
  static {
    StateMismatchError.prototype.name = "StateMismatchError";
  }

  constructor() {
    super("oauth.state_mismatch", "The login callback's state does not match the login that was started", {
      hint: "Start the login again from this app; do not reuse a link from another login.",
    });
  }
}

/**
 * A callback URL without what a Monzo redirect carries.
 *
 * @example validateCallback("http://localhost:6600/callback", state) // throws: no code
 */
export class InvalidCallbackError extends MonzoError {
  static {
    InvalidCallbackError.prototype.name = "InvalidCallbackError";
  }

  constructor(message: string) {
    super("oauth.invalid_callback", message, {
      hint: "Paste the whole address the browser was sent back to, including ?code=…&state=…",
    });
  }
}

/**
 * The network failed before Monzo answered.
 *
 * @example if (e instanceof ConnectionError) setTimeout(retry, 5000);
 */
export class ConnectionError extends MonzoError {
  static {
    ConnectionError.prototype.name = "ConnectionError";
  }

  constructor(message: string, cause?: unknown, options: { code?: string; hint?: string } = {}) {
    super(options.code ?? "network.connection", message, {
      cause,
      hint: options.hint ?? "Check the network connection and try again.",
    });
  }
}

/**
 * The server answered a request that carries a token or secret with a redirect. It is never followed
 * (the secret would go to wherever it points) and never taken as Monzo's answer: Monzo's API, token
 * endpoint and a Monzokit broker never redirect these requests. `location` is only the target's origin.
 *
 * @example if (e instanceof RedirectRefusedError) console.error(`check the API URL: it sent us to ${e.location}`);
 */
export class RedirectRefusedError extends ConnectionError {
  /** The origin the answer pointed to (never its path or query, which may hold anything). */
  readonly location: string | undefined;

  static {
    RedirectRefusedError.prototype.name = "RedirectRefusedError";
  }

  constructor(what: string, location: string | undefined) {
    super(
      `${what}: the server answered with a redirect${location ? ` to ${location}` : ""}, which is never followed with a token or secret`,
      undefined,
      {
        code: "network.redirect_refused",
        hint: "Check the configured URL points at Monzo (or your broker) itself, not at a host that forwards elsewhere.",
      },
    );
    this.location = location;
  }
}

/**
 * No answer within the time limit.
 *
 * @example await client.accounts.list({}, { timeoutMs: 5000 }) // TimeoutError after 5 s per attempt
 */
export class TimeoutError extends MonzoError {
  static {
    TimeoutError.prototype.name = "TimeoutError";
  }

  constructor(message: string, cause?: unknown) {
    super("network.timeout", message, {
      cause,
      hint: "Monzo did not answer in time: try again, or raise timeoutMs.",
    });
  }
}

/**
 * The caller's AbortSignal fired.
 *
 * @example const c = new AbortController(); const p = client.accounts.list({}, { signal: c.signal }); c.abort(); // p rejects with AbortError
 */
export class AbortError extends MonzoError {
  static {
    AbortError.prototype.name = "AbortError";
  }

  constructor(message = "The request was aborted", cause?: unknown) {
    super("aborted", message, { cause, hint: "It was cancelled on purpose; nothing to fix." });
  }
}

/**
 * There is no way to get a working token without a person logging in again.
 *
 * @example if (e instanceof ReauthenticationRequiredError) await startLogin();
 */
export class ReauthenticationRequiredError extends MonzoError {
  static {
    ReauthenticationRequiredError.prototype.name = "ReauthenticationRequiredError";
  }

  constructor(message: string, hint = "Log in again (monzo login).", cause?: unknown) {
    super("auth.reauthentication_required", message, { cause, hint });
  }
}

/**
 * A pot move whose outcome is unknown (the connection failed or timed out after it was sent). Retrying
 * with the same `dedupeId` is safe: Monzo moves the money at most once (REFERENCE §6.5).
 *
 * @example catch (e) { if (e instanceof OutcomeUnknownError) await client.pots.deposit({ ...params, dedupeId: e.dedupeId }) }
 */
export class OutcomeUnknownError extends MonzoError {
  static {
    OutcomeUnknownError.prototype.name = "OutcomeUnknownError";
  }

  readonly dedupeId: string;

  constructor(message: string, dedupeId: string, cause?: unknown) {
    super("pots.outcome_unknown", message, {
      cause,
      hint: `Retry with the same dedupeId (${dedupeId}): the money moves at most once.`,
    });
    this.dedupeId = dedupeId;
  }
}

/**
 * A parameter was wrong before anything was sent.
 *
 * @example client.transactions.list({ accountId, limit: 500 }) // throws InvalidArgumentError: 1–100
 */
export class InvalidArgumentError extends MonzoError {
  static {
    InvalidArgumentError.prototype.name = "InvalidArgumentError";
  }

  constructor(message: string, hint: string) {
    super("invalid_argument", message, { hint });
  }
}
