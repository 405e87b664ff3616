/** HTTP status by the first segment of a Monzo error code (REFERENCE §12.2). */
const STATUS_BY_PREFIX: Record<string, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  bad_response: 406,
  precondition_failed: 412,
  rate_limited: 429,
  internal_service: 500,
  timeout: 504,
};

export function statusForCode(code: string): number {
  return STATUS_BY_PREFIX[code.split(".", 1)[0]!] ?? 500;
}

/**
 * An error answered in Monzo's shape: `{code, message, params?}` with the status implied by the code's
 * prefix; auth errors also carry the OAuth `error`/`error_description` pair (REFERENCE §2.13, §12.2).
 * Route handlers throw it; the app's error handler turns it into the response.
 */
export class MonzoHttpError extends Error {
  readonly code: string;
  readonly status: number;
  readonly params: Record<string, string> | undefined;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    message: string,
    options: {
      params?: Record<string, string>;
      extra?: Record<string, unknown>;
      headers?: Record<string, string>;
      /** Overrides the status the code's prefix implies (an injected 502/503). */
      status?: number;
    } = {},
  ) {
    super(message);
    this.code = code;
    this.status = options.status ?? statusForCode(code);
    this.params = options.params;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  body(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.params ? { params: this.params } : {}),
      ...this.extra,
    };
  }
}

/** `400 bad_request.missing_param.<field>` with the message Monzo uses (REFERENCE §6.2). */
export function missingParam(field: string): MonzoHttpError {
  return new MonzoHttpError(`bad_request.missing_param.${field}`, `The field '${field}' is required`, {
    extra: { retryable: {} },
  });
}

export function badParam(field: string, message: string): MonzoHttpError {
  return new MonzoHttpError(`bad_request.bad_param.${field}`, message);
}

/** An auth failure: Monzo adds OAuth's `error: "invalid_token"` to these (REFERENCE §2.13). */
export function invalidToken(code: string, message: string): MonzoHttpError {
  return new MonzoHttpError(code, message, { extra: { error: "invalid_token", error_description: message } });
}
