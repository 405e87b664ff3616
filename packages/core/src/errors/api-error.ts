import { MonzoError } from "./monzo-error.js";
import { redact, redactValue } from "./redact.js";

/** What Monzo said: its dotted `code`, message and params (REFERENCE §12.2). */
export interface MonzoErrorBody {
  code?: string;
  message?: string;
  params?: Record<string, string>;
  error?: string;
  error_description?: string;
  [key: string]: unknown;
}

interface ApiErrorInit {
  status: number;
  body: MonzoErrorBody | undefined;
  requestId: string | undefined;
  retryAfter: number | undefined;
  method: string;
  path: string;
}

/**
 * Monzo answered with an error status. `monzoCode` is Monzo's own code (`forbidden.verification_required`),
 * `status` the HTTP status, `requestId` the trace id to quote to Monzo, `retryAfter` seconds when given.
 *
 * @see https://docs.monzo.com/#errors
 *
 * @example if (e instanceof MonzoApiError) console.error(e.status, e.monzoCode, e.requestId);
 */
export class MonzoApiError extends MonzoError {
  static {
    MonzoApiError.prototype.name = "MonzoApiError";
  }

  readonly status: number;
  readonly monzoCode: string | undefined;
  /** Monzo's `params`, redacted like `body` (they echo what was sent, which may be a token). */
  readonly params: Record<string, string> | undefined;
  readonly requestId: string | undefined;
  readonly retryAfter: number | undefined;
  /** The error body, redacted. */
  readonly body: MonzoErrorBody | undefined;

  constructor(init: ApiErrorInit, code: string, hint: string) {
    const said = init.body?.message ?? init.body?.error_description ?? `HTTP ${init.status}`;
    super(
      code,
      `${init.method} ${init.path}: ${init.status}${init.body?.code ? ` ${init.body.code}` : ""} — ${said}`,
      { hint },
    );
    this.status = init.status;
    this.monzoCode = init.body?.code;
    // Everything kept on the error is redacted: its own fields come out through `{...error}` and log
    // serializers (pino copies them), not only through the message and toJSON.
    this.params =
      init.body?.params === undefined ? undefined : (redactValue(init.body.params) as Record<string, string>);
    this.requestId = init.requestId === undefined ? undefined : redact(init.requestId);
    this.retryAfter = init.retryAfter;
    this.body = init.body === undefined ? undefined : (redactValue(init.body) as MonzoErrorBody);
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      monzo_code: this.monzoCode ?? null,
      request_id: this.requestId ?? null,
      ...(this.retryAfter === undefined ? {} : { retry_after: this.retryAfter }),
    };
  }
}

/**
 * 400: a parameter was missing or wrong (Monzo's code names it).
 *
 * @example if (e instanceof BadRequestError) console.error(e.monzoCode); // e.g. bad_request.missing_param.account_id
 */
export class BadRequestError extends MonzoApiError {
  static {
    BadRequestError.prototype.name = "BadRequestError";
  }
}
/**
 * 401: the token is not (or no longer) valid.
 *
 * @example if (e instanceof AuthenticationError) await startLogin();
 */
export class AuthenticationError extends MonzoApiError {
  static {
    AuthenticationError.prototype.name = "AuthenticationError";
  }
}
/**
 * The access token is past its `expires_in` (REFERENCE §2.13).
 *
 * @example if (e instanceof TokenExpiredError) await manager.refreshFrom(tokens);
 */
export class TokenExpiredError extends AuthenticationError {
  static {
    TokenExpiredError.prototype.name = "TokenExpiredError";
  }
}
/**
 * A newer login with the same client and user replaced this token (REFERENCE §2.8).
 *
 * @example if (e instanceof TokenEvictedError) await startLogin(); // another login replaced this one
 */
export class TokenEvictedError extends AuthenticationError {
  static {
    TokenEvictedError.prototype.name = "TokenEvictedError";
  }
}
/**
 * 403: authenticated, but not allowed (approval, history window, someone else's resource).
 *
 * @example if (e instanceof PermissionDeniedError) console.error(e.hint);
 */
export class PermissionDeniedError extends MonzoApiError {
  static {
    PermissionDeniedError.prototype.name = "PermissionDeniedError";
  }
}
/**
 * The login has not been approved in the Monzo app yet (REFERENCE §2.11).
 *
 * @example if (e instanceof ApprovalRequiredError) await waitForApproval(() => client.accounts.list());
 */
export class ApprovalRequiredError extends PermissionDeniedError {
  static {
    ApprovalRequiredError.prototype.name = "ApprovalRequiredError";
  }
}
/**
 * The 5-minute full-history window has closed and the request reaches 90+ days back (REFERENCE §2.12).
 *
 * @example if (e instanceof HistoryWindowError) since = new Date(Date.now() - 89 * 86_400_000);
 */
export class HistoryWindowError extends PermissionDeniedError {
  static {
    HistoryWindowError.prototype.name = "HistoryWindowError";
  }
}
/**
 * 404: no such endpoint or resource for this user.
 *
 * @example if (e instanceof NotFoundError) console.error("No such transaction");
 */
export class NotFoundError extends MonzoApiError {
  static {
    NotFoundError.prototype.name = "NotFoundError";
  }
}
/**
 * 429: Monzo is rate limiting this app; `retryAfter` says for how long.
 *
 * @example if (e instanceof RateLimitError) await sleep((e.retryAfter ?? 60) * 1000);
 */
export class RateLimitError extends MonzoApiError {
  static {
    RateLimitError.prototype.name = "RateLimitError";
  }
}
/**
 * 5xx: a problem at Monzo; safe reads are retried before this surfaces.
 *
 * @example if (e instanceof ServerError) console.error(`Monzo had a problem (request ${e.requestId})`);
 */
export class ServerError extends MonzoApiError {
  static {
    ServerError.prototype.name = "ServerError";
  }
}

const HINTS: [RegExp, typeof MonzoApiError, string, string][] = [
  [
    /^forbidden\.insufficient_permissions/,
    ApprovalRequiredError,
    "api.approval_required",
    "Open the Monzo app and approve access for this app (Allow access to your data); the same token then works.",
  ],
  [
    /^forbidden\.verification_required/,
    HistoryWindowError,
    "api.history_window_closed",
    "Full history is readable only within 5 minutes of a fresh login and in-app approval; otherwise ask for the last 89 days at most.",
  ],
  [
    /^unauthorized\.bad_access_token\.expired/,
    TokenExpiredError,
    "api.token_expired",
    "The access token expired: refresh it, or log in again.",
  ],
  [
    /^unauthorized\.bad_access_token\.evicted/,
    TokenEvictedError,
    "api.token_evicted",
    "Another login with the same app replaced this token: use the newest token or log in again.",
  ],
  [
    /^unauthorized\.bad_refresh_token/,
    AuthenticationError,
    "api.bad_refresh_token",
    "The refresh token was already used or revoked: log in again.",
  ],
  [
    /^(unauthorized|bad_request\.invalid_token)/,
    AuthenticationError,
    "api.unauthenticated",
    "The access token is not valid: log in again.",
  ],
];

/**
 * The one factory that turns an error response into a typed error (REFERENCE §12): by Monzo code first,
 * then by status.
 *
 * @example throw errorFromResponse({ status: 403, body, requestId, retryAfter: undefined, method: "GET", path: "/accounts" });
 */
export function errorFromResponse(init: ApiErrorInit): MonzoApiError {
  const code = init.body?.code ?? "";
  for (const [pattern, Class, stable, hint] of HINTS) {
    if (pattern.test(code)) return new Class(init, stable, hint);
  }
  const s = init.status;
  if (s === 400)
    return new BadRequestError(init, "api.bad_request", "Check the parameters named in the message.");
  if (s === 401)
    return new AuthenticationError(
      init,
      "api.unauthenticated",
      "The access token is not valid: log in again.",
    );
  if (s === 403)
    return new PermissionDeniedError(
      init,
      "api.forbidden",
      "This token may not do that: check the account or resource belongs to the logged-in user.",
    );
  if (s === 404)
    return new NotFoundError(
      init,
      "api.not_found",
      "Check the id: it does not exist or belongs to someone else.",
    );
  if (s === 429) {
    const wait = init.retryAfter === undefined ? "a while" : `${init.retryAfter} s`;
    return new RateLimitError(
      init,
      "api.rate_limited",
      `Monzo is rate limiting this app: retry after ${wait} and slow down.`,
    );
  }
  if (s >= 500) return new ServerError(init, "api.server_error", "Monzo had a problem: try again shortly.");
  return new MonzoApiError(init, "api.error", "See the message for what Monzo said.");
}
