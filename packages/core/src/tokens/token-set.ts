import type { ClientId, UserId } from "../models/ids.js";

/** What a login or a refresh yields, ready to store (REFERENCE §2.4). */
export interface TokenSet {
  accessToken: string;
  /** Absent for non-confidential clients, which must log in again on expiry (REFERENCE §2.1). */
  refreshToken?: string;
  /** Epoch ms at which the access token expires. */
  expiresAt: number;
  userId: UserId;
  clientId: ClientId;
  /** `…pre_verification` before in-app approval, `…verified.ext` on tokens refreshed after it. */
  scope?: string;
}

/**
 * True when the token expires within `skewMs` of `now`.
 *
 * @example if (expiresSoon(tokens, Date.now(), 60_000)) await manager.refreshFrom(tokens);
 */
export function expiresSoon(tokens: TokenSet, now: number, skewMs: number): boolean {
  return tokens.expiresAt - skewMs <= now;
}
