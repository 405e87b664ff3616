import { invalidToken, MonzoHttpError } from "../http/errors.js";
import type { OAuthClient, QuirkOptions } from "../options.js";
import type { Clock } from "../util/clock.js";
import { IdGenerator } from "../util/ids.js";

export const SCOPE_PRE_VERIFICATION = "third_party_developer_app.pre_verification";
export const SCOPE_VERIFIED = "third_party_developer_app.verified.ext";

/** One login of one user into one client: the chain every refresh of that login continues (REFERENCE §2). */
export interface Grant {
  id: string;
  clientId: string;
  userId: string;
  /** When the code was exchanged. */
  loginMs: number;
  approval: "pending" | "approved" | "declined";
  approvedMs?: number;
  /** Auto-approve at this emulator time (lazy, so a moved clock is enough). */
  autoApproveAtMs?: number;
  /** Why the whole chain stopped working, if it did. */
  ended?: "evicted" | "logged_out" | "declined";
}

interface AccessRecord {
  grant: Grant;
  issuedMs: number;
  expiresMs: number;
  scope: string;
  state: "live" | "rotated" | "ended";
}

interface RefreshRecord {
  grant: Grant;
  expiresMs: number;
  state: "live" | "used" | "ended";
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  userId: string;
  expiresMs: number;
  used: boolean;
}

export interface TokenResponse {
  access_token: string;
  client_id: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
  token_type: "Bearer";
  user_id: string;
}

export interface AuthorityOptions {
  accessTtlMs: number;
  refreshTtlMs: number;
  codeTtlMs: number;
  /** ms after login at which a new grant approves itself; undefined = wait for a person. */
  autoApproveAfterMs: number | undefined;
  quirks: QuirkOptions;
}

export interface AuthorityCounters {
  codesIssued: number;
  tokenExchanges: number;
  refreshes: number;
  refreshFailures: number;
  evictions: number;
  logouts: number;
  approvals: number;
}

/**
 * Monzo's OAuth server: codes, access and refresh tokens, rotation, eviction, logout and the in-app
 * approval (SCA) state of each login. Every mutation happens synchronously after the request body is
 * read, so two requests racing with one refresh token cannot both win (REFERENCE §13.8).
 */
export class Authority {
  readonly clients = new Map<string, OAuthClient>();
  readonly grants: Grant[] = [];
  readonly counters: AuthorityCounters = {
    codesIssued: 0,
    tokenExchanges: 0,
    refreshes: 0,
    refreshFailures: 0,
    evictions: 0,
    logouts: 0,
    approvals: 0,
  };
  readonly #codes = new Map<string, CodeRecord>();
  readonly #access = new Map<string, AccessRecord>();
  readonly #refresh = new Map<string, RefreshRecord>();
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #options: AuthorityOptions;

  constructor(clock: Clock, ids: IdGenerator, options: AuthorityOptions) {
    this.#clock = clock;
    this.#ids = ids;
    this.#options = options;
  }

  registerClient(client: OAuthClient): void {
    this.clients.set(client.id, client);
  }

  /** Step 1–2 (REFERENCE §2.2–2.3): the person allowed access; the code is bound to client + redirect URI. */
  issueCode(clientId: string, redirectUri: string, userId: string): string {
    const code = jwtShaped("authzcode", "azc");
    this.#codes.set(code, {
      clientId,
      redirectUri,
      userId,
      expiresMs: this.#clock.now() + this.#options.codeTtlMs,
      used: false,
    });
    this.counters.codesIssued++;
    return code;
  }

  /** `POST /oauth2/token` with `grant_type=authorization_code` (REFERENCE §2.4). */
  exchangeCode(form: {
    clientId?: string;
    clientSecret?: string;
    redirectUri?: string;
    code?: string;
  }): TokenResponse {
    const client = this.#authenticateClient(form.clientId, form.clientSecret);
    if (!form.redirectUri)
      throw tokenError(
        "bad_request.missing_param.redirect_uri",
        "The field 'redirect_uri' is required",
        "invalid_request",
      );
    if (!form.code)
      throw tokenError("bad_request.missing_param.code", "The field 'code' is required", "invalid_request");
    const record = this.#codes.get(form.code);
    const now = this.#clock.now();
    if (!record || record.used || record.expiresMs <= now || record.clientId !== client.id) {
      throw tokenError(
        "bad_request.authorization_code.invalid",
        "Authorization code is invalid or has already been used",
        "invalid_grant",
      );
    }
    if (record.redirectUri !== form.redirectUri) {
      throw tokenError(
        "bad_request.bad_param.redirect_uri",
        "redirect_uri does not match the one used to obtain the code",
        "invalid_grant",
      );
    }
    record.used = true;
    // One live token per client + user: this login evicts every earlier one (REFERENCE §2.8).
    for (const grant of this.grants) {
      if (grant.clientId === client.id && grant.userId === record.userId && !grant.ended) {
        this.#endGrant(grant, "evicted");
        this.counters.evictions++;
      }
    }
    const grant: Grant = {
      id: this.#ids.next("grant"),
      clientId: client.id,
      userId: record.userId,
      loginMs: now,
      approval: "pending",
    };
    if (this.#options.autoApproveAfterMs !== undefined)
      grant.autoApproveAtMs = now + this.#options.autoApproveAfterMs;
    this.grants.push(grant);
    this.counters.tokenExchanges++;
    return this.#issue(grant, client, SCOPE_PRE_VERIFICATION);
  }

  /** `POST /oauth2/token` with `grant_type=refresh_token` (REFERENCE §2.6): rotates both tokens. */
  refresh(form: { clientId?: string; clientSecret?: string; refreshToken?: string }): TokenResponse {
    const client = this.#authenticateClient(form.clientId, form.clientSecret);
    if (!form.refreshToken)
      throw tokenError(
        "bad_request.missing_param.refresh_token",
        "The field 'refresh_token' is required",
        "invalid_request",
      );
    const record = this.#refresh.get(form.refreshToken);
    const now = this.#clock.now();
    if (!record || record.grant.clientId !== client.id)
      return this.#refreshFailed("unauthorized.bad_refresh_token", "Bad refresh token");
    if (record.state === "ended" && record.grant.ended === "evicted") {
      return this.#refreshFailed(
        "unauthorized.bad_refresh_token.evicted",
        "Refresh token has been evicted due to a login elsewhere",
      );
    }
    if (record.state !== "live")
      return this.#refreshFailed("unauthorized.bad_refresh_token", "Bad refresh token");
    if (record.expiresMs <= now)
      return this.#refreshFailed("unauthorized.bad_refresh_token", "Refresh token has expired");
    record.state = "used";
    // The previous access token dies with the rotation (REFERENCE §2.6).
    for (const access of this.#access.values()) {
      if (access.grant === record.grant && access.state === "live") access.state = "rotated";
    }
    this.counters.refreshes++;
    const grant = record.grant;
    this.#settleApproval(grant);
    return this.#issue(
      grant,
      client,
      grant.approval === "approved" ? SCOPE_VERIFIED : SCOPE_PRE_VERIFICATION,
    );
  }

  /**
   * Checks a bearer token (REFERENCE §2.13, §13.1). Returns the grant it belongs to, or throws the
   * exact 401 Monzo gives for a missing, unknown, expired, evicted or logged-out token.
   */
  authenticate(header: string | undefined): { grant: Grant; token: string } {
    if (!header) throw new MonzoHttpError("unauthorized.auth_required", "Authentication required");
    const token = bearerToken(header);
    const record = token ? this.#access.get(token) : undefined;
    if (!token || !record) throw this.#badToken();
    if (record.state === "ended" && record.grant.ended === "evicted") {
      throw invalidToken(
        "unauthorized.bad_access_token.evicted",
        "Access token has been evicted due to a login elsewhere",
      );
    }
    if (record.state !== "live") throw this.#badToken();
    if (record.expiresMs <= this.#clock.now()) {
      throw invalidToken("unauthorized.bad_access_token.expired", "Access token has expired");
    }
    this.#settleApproval(record.grant);
    return { grant: record.grant, token };
  }

  /** `POST /oauth2/logout` (REFERENCE §2.9): the token and its whole refresh chain stop working. */
  logout(grant: Grant): void {
    this.#endGrant(grant, "logged_out");
    this.counters.logouts++;
  }

  /** The person tapped "Allow" in the app (REFERENCE §2.11). The same token starts working. */
  approve(grant: Grant): boolean {
    this.#settleApproval(grant);
    if (grant.ended || grant.approval !== "pending") return false;
    grant.approval = "approved";
    grant.approvedMs = this.#clock.now();
    this.counters.approvals++;
    return true;
  }

  /** The person declined in the app: the login is revoked (inferred: its tokens then get 401). */
  decline(grant: Grant): boolean {
    if (grant.ended || grant.approval !== "pending") return false;
    grant.approval = "declined";
    this.#endGrant(grant, "declined");
    return true;
  }

  /** When the 5-minute full-history window opened for this grant, if it has (REFERENCE §2.12). */
  historyWindowStart(grant: Grant): number | undefined {
    if (this.#options.quirks.historyWindowStartsAt === "login") return grant.loginMs;
    return grant.approvedMs;
  }

  pendingGrants(): Grant[] {
    for (const grant of this.grants) this.#settleApproval(grant);
    return this.grants.filter((g) => g.approval === "pending" && !g.ended);
  }

  /** Makes a token as Monzo's API playground does: short-lived, no refresh token, already approved. */
  playgroundToken(clientId: string, userId: string, ttlMs: number, approved = true): TokenResponse {
    const now = this.#clock.now();
    const grant: Grant = {
      id: this.#ids.next("grant"),
      clientId,
      userId,
      loginMs: now,
      approval: approved ? "approved" : "pending",
    };
    if (approved) grant.approvedMs = now;
    this.grants.push(grant);
    const access = jwtShaped("acctok", "at");
    this.#access.set(access, {
      grant,
      issuedMs: now,
      expiresMs: now + ttlMs,
      scope: approved ? SCOPE_VERIFIED : SCOPE_PRE_VERIFICATION,
      state: "live",
    });
    return {
      access_token: access,
      client_id: clientId,
      expires_in: Math.floor(ttlMs / 1000),
      scope: approved ? SCOPE_VERIFIED : SCOPE_PRE_VERIFICATION,
      token_type: "Bearer",
      user_id: userId,
    };
  }

  /** For `/_emulator/tokens`: what tokens exist, identified without revealing them. */
  describeTokens(): {
    grant: string;
    client_id: string;
    user_id: string;
    approval: string;
    ended: string | null;
    live_access: number;
    live_refresh: number;
  }[] {
    return this.grants.map((g) => ({
      grant: g.id,
      client_id: g.clientId,
      user_id: g.userId,
      approval: g.approval,
      ended: g.ended ?? null,
      live_access: [...this.#access.values()].filter((a) => a.grant === g && a.state === "live").length,
      live_refresh: [...this.#refresh.values()].filter((r) => r.grant === g && r.state === "live").length,
    }));
  }

  #issue(grant: Grant, client: OAuthClient, scope: string): TokenResponse {
    const now = this.#clock.now();
    const access = jwtShaped("acctok", "at");
    this.#access.set(access, {
      grant,
      issuedMs: now,
      expiresMs: now + this.#options.accessTtlMs,
      scope,
      state: "live",
    });
    const response: TokenResponse = {
      access_token: access,
      client_id: client.id,
      expires_in: Math.floor(this.#options.accessTtlMs / 1000),
      scope,
      token_type: "Bearer",
      user_id: grant.userId,
    };
    // Non-confidential clients never get a refresh token (REFERENCE §2.1, §13.4).
    if (client.confidential) {
      const refresh = jwtShaped("reftok", "rt");
      this.#refresh.set(refresh, {
        grant,
        expiresMs: now + this.#options.refreshTtlMs,
        state: "live",
      });
      response.refresh_token = refresh;
    }
    return response;
  }

  #authenticateClient(clientId: string | undefined, secret: string | undefined): OAuthClient {
    if (!clientId)
      throw tokenError(
        "bad_request.missing_param.client_id",
        "The field 'client_id' is required",
        "invalid_request",
      );
    const client = this.clients.get(clientId);
    if (!client || !secret || !constantTimeEqual(client.secret, secret)) {
      throw tokenError(
        "bad_request.could_not_authenticate",
        "Could not authenticate the client",
        "invalid_client",
      );
    }
    return client;
  }

  #refreshFailed(code: string, message: string): never {
    this.counters.refreshFailures++;
    throw new MonzoHttpError(code, message, {
      extra: { error: "invalid_grant", error_description: message },
    });
  }

  #badToken(): MonzoHttpError {
    if (this.#options.quirks.invalidTokenStatus === 400)
      return new MonzoHttpError("bad_request.invalid_token", "Token is invalid");
    return invalidToken("unauthorized.bad_access_token", "Bad access token");
  }

  #endGrant(grant: Grant, why: NonNullable<Grant["ended"]>): void {
    grant.ended ??= why;
    for (const access of this.#access.values()) if (access.grant === grant) access.state = "ended";
    for (const refresh of this.#refresh.values())
      if (refresh.grant === grant && refresh.state === "live") refresh.state = "ended";
  }

  #settleApproval(grant: Grant): void {
    if (
      grant.approval === "pending" &&
      !grant.ended &&
      grant.autoApproveAtMs !== undefined &&
      this.#clock.now() >= grant.autoApproveAtMs
    ) {
      grant.approval = "approved";
      grant.approvedMs = grant.autoApproveAtMs;
      this.counters.approvals++;
    }
  }
}

/** The token of `Bearer <token>` (scheme case-insensitive), without a regex on the hot path. */
function bearerToken(header: string): string | undefined {
  if (header.length < 8 || header.slice(0, 7).toLowerCase() !== "bearer ") return undefined;
  const token = header.slice(7).trim();
  return token === "" || /\s/.test(token) ? undefined : token;
}

function tokenError(code: string, message: string, oauthError: string): MonzoHttpError {
  return new MonzoHttpError(code, message, { extra: { error: oauthError, error_description: message } });
}

/** Opaque tokens shaped like Monzo's ES256 JWTs (REFERENCE §2.4); nothing should parse them. */
function jwtShaped(prefix: string, typ: string): string {
  const enc = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = enc({ alg: "ES256", typ: "JWT" });
  const payload = enc({
    eb: IdGenerator.random(20),
    jti: `${prefix}_0000${IdGenerator.random(18)}`,
    typ,
    v: "6",
  });
  return `${header}.${payload}.${IdGenerator.random(86)}`;
}

export function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
