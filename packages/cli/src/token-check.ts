import {
  type Account,
  ApprovalRequiredError,
  AuthenticationError,
  ConnectionError,
  MonzoClient,
  ReauthenticationRequiredError,
  ServerError,
  TimeoutError,
  TokenEvictedError,
  TokenExpiredError,
  type TokenSet,
} from "@monzokit/core";

/**
 * What Monzo says of a stored login now:
 * - `live`: it works (`approval` says whether the Monzo app has approved it yet);
 * - `expired`: the access token ran out and cannot be refreshed;
 * - `revoked`: Monzo no longer accepts it (logged out elsewhere, declined in the app, or its refresh refused);
 * - `evicted`: a newer login with the same app replaced it (REFERENCE §2.8);
 * - `rejected`: a token with no refresh token (the API playground's) that Monzo refuses;
 * - `unknown`: Monzo could not be asked (the network, a server error).
 */
export type TokenState = "live" | "expired" | "revoked" | "evicted" | "rejected" | "unknown";

export interface TokenCheck {
  state: TokenState;
  approval: "approved" | "pending" | "unknown";
  /** The accounts, when the check could read them. */
  accounts?: Account[];
  /** Why, in a few words, when it is not live. */
  problem?: string;
}

/** What a failed data call says about the login. */
export function stateOf(error: unknown, refreshable: boolean): TokenCheck {
  const problem = error instanceof Error ? error.message : String(error);
  if (error instanceof ApprovalRequiredError) return { state: "live", approval: "pending" };
  if (error instanceof TokenEvictedError) return { state: "evicted", approval: "unknown", problem };
  if (error instanceof TokenExpiredError)
    return { state: refreshable ? "revoked" : "expired", approval: "unknown", problem };
  if (error instanceof ReauthenticationRequiredError) {
    if (/outcome is unknown/.test(problem)) return { state: "unknown", approval: "unknown", problem };
    if (/has expired/.test(problem)) return { state: "expired", approval: "unknown", problem };
    return { state: "revoked", approval: "unknown", problem };
  }
  if (error instanceof AuthenticationError)
    return { state: refreshable ? "revoked" : "rejected", approval: "unknown", problem };
  if (error instanceof ConnectionError || error instanceof TimeoutError || error instanceof ServerError)
    return { state: "unknown", approval: "unknown", problem };
  throw error;
}

/**
 * Asks Monzo about a login with one data call (`GET /accounts`, which also tells approval). A login that
 * can refresh goes through `client` (its token manager refreshes as needed); one that cannot (a playground
 * token) is asked with the stored token itself, whatever expiry was guessed for it.
 */
export async function checkToken(
  tokens: TokenSet,
  client: MonzoClient,
  raw: { apiUrl: string; fetch: typeof fetch },
): Promise<TokenCheck> {
  const refreshable = Boolean(tokens.refreshToken);
  const asker = refreshable
    ? client
    : new MonzoClient({
        accessToken: tokens.accessToken,
        apiUrl: raw.apiUrl,
        fetch: raw.fetch,
        maxRetries: 0,
      });
  try {
    return { state: "live", approval: "approved", accounts: await asker.accounts.list() };
  } catch (error) {
    return stateOf(error, refreshable);
  }
}

/**
 * The same question without side effects (no refresh, one `GET /ping/whoami`), for listing many profiles:
 * an expired token that can refresh is said to be so without asking.
 */
export async function peekToken(
  tokens: TokenSet,
  raw: { apiUrl: string; fetch: typeof fetch },
  now: number,
): Promise<{ state: TokenState; note?: string }> {
  const refreshable = Boolean(tokens.refreshToken);
  if (refreshable && tokens.expiresAt <= now) return { state: "expired", note: "refreshes when next used" };
  const asker = new MonzoClient({
    accessToken: tokens.accessToken,
    apiUrl: raw.apiUrl,
    fetch: raw.fetch,
    maxRetries: 0,
  });
  try {
    await asker.whoami();
    return { state: "live" };
  } catch (error) {
    if (error instanceof TokenExpiredError)
      return refreshable ? { state: "expired", note: "refreshes when next used" } : { state: "expired" };
    const { state, problem } = stateOf(error, refreshable);
    if (!problem || state !== "unknown") return { state };
    // Where it asked, not which request: a list of profiles is read for which one is unreachable, and why.
    return { state, note: `${new URL(raw.apiUrl).host}: ${problem.replace(/^GET \/ping\/whoami: /, "")}` };
  }
}
