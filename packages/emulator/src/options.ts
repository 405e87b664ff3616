import type { ClockOptions } from "./util/clock.js";

/** An OAuth client registered with the emulator, as in Monzo's developer portal (REFERENCE §2.1). */
export interface OAuthClient {
  /** `oauth2client_…` */
  id: string;
  /** `mnzconf.…` for confidential clients, `mnzpub.…` otherwise (the prefix is informational). */
  secret: string;
  /** Exact redirect URIs; the login page refuses any other. */
  redirectUris: string[];
  /** Confidential clients get refresh tokens; others never do (REFERENCE §2.1, §13.4). */
  confidential: boolean;
  /** Shown on the consent page. */
  name?: string;
}

/** One injected fault rule. Rules are checked in order; the first that fires answers the request. */
export interface FaultRule {
  /** Which requests: `"GET /balance"`, `"/transactions*"`, `"*"` (method optional, `*` wildcard). Default `*`. */
  route?: string;
  /** What happens: an HTTP error status, or `reset` (the connection is dropped without an answer). */
  kind: 429 | 500 | 502 | 503 | 504 | "reset";
  /** Probability per matching request (seeded). Default 1. */
  rate?: number;
  /** Fire on at most this many requests, then stop. Default unlimited. */
  count?: number;
  /** For 429: the `Retry-After` seconds. Default 1. */
  retryAfter?: number;
}

export interface FaultOptions {
  /** Added to every API request. */
  latencyMs?: number;
  /** Plus a seeded random extra up to this. */
  jitterMs?: number;
  rules?: FaultRule[];
}

/**
 * Every behaviour the reference marks as inferred or uncertain is a switch here, with the
 * documented default (REFERENCE §13, §14).
 */
export interface QuirkOptions {
  /** `/ping/whoami` before in-app approval: 200 (default, Monzo's reference app) or 403. */
  whoamiBeforeApproval: "ok" | "forbidden";
  /** Custom annotate keys persist (documented, default) or only `notes` sticks (observed since 2021). */
  annotateKeepsCustomKeys: boolean;
  /** An account id that is not the caller's: 403 insufficient_permissions (default) or 404 not_found. */
  foreignAccount: "forbidden" | "not_found";
  /** When the 5-minute full-history window starts: at in-app approval (default) or at the code exchange. */
  historyWindowStartsAt: "approval" | "login";
  /**
   * `PUT /transaction-receipts` answers `{receipt_id}` (default: the docs' example) or `{}` (the docs' prose
   * since 2019, REFERENCE §10.2).
   */
  receiptPutResponse: "empty_object" | "receipt_id";
  /** `/oauth2/logout` body: `{}` (default). */
  logoutResponse: "empty_object" | "ok_true";
  /** Longest `since`…`before` span in days for a timestamp `since`; `null` turns the check off. Default 365. */
  maxSpanDays: number | null;
  /** `POST /feed` also accepts a JSON body (default false: form only, as documented). */
  feedAcceptsJson: boolean;
  /** A bad bearer token: 401 `unauthorized.bad_access_token` (default) or 400 `bad_request.invalid_token`. */
  invalidTokenStatus: 401 | 400;
}

export interface EmulatorOptions {
  /** Seed for every piece of generated data. Default `"monzokit"`. */
  seed?: number | string;
  clock?: ClockOptions;
  /** Transactions on the users' accounts (about two thirds on the main current account; pot ledgers mirror pot moves on top). Default 2,000. */
  transactions?: number;
  /** Years of history to spread them over. Default 3. */
  years?: number;
  /**
   * How long after authorisation a pending card payment settles, in ms: a fixed delay, or a `[min, max]`
   * range drawn from per payment with the seed. Default `[24 h, 48 h]` (REFERENCE §7.1: "usually 24–48 h").
   * Settlement happens as the emulator's clock passes the time; the amount may change then.
   */
  settleAfterMs?: number | readonly [number, number];
  /** OAuth clients; the demo clients are always there unless `includeDemoClients: false`. */
  clients?: OAuthClient[];
  includeDemoClients?: boolean;
  /** Access-token lifetime in seconds (REFERENCE §2.7). Default 107999. */
  accessTokenTtlSeconds?: number;
  /** Refresh-token lifetime in seconds. Default 90 days. */
  refreshTokenTtlSeconds?: number;
  /** Authorization-code lifetime in seconds. Default 600. */
  codeTtlSeconds?: number;
  /** Skip the consent page: `true` logs in the first seeded user, or name a user id. */
  autoConsent?: boolean | string;
  /** Approve new tokens "in the app" by themselves after this many ms of emulator time (`true` = 0). */
  autoApprove?: boolean | number;
  /** Full-history window after approval in ms (REFERENCE §2.12). Default 5 minutes. */
  historyWindowMs?: number;
  /** How far back data can be read once the window closes, in days. Default 90. */
  historyLimitDays?: number;
  faults?: FaultOptions;
  /** Optional token bucket per access token: `capacity` requests, refilled at `perSecond`. Off by default. */
  rateLimit?: { capacity: number; perSecond: number } | null;
  /** Webhook delivery: attempts (default 5) and the first backoff in ms (default 1000, doubling). */
  webhooks?: { attempts?: number; backoffMs?: number; timeoutMs?: number };
  /** Base URL the emulator is reached at, for links it hands out. Default: the origin of each request. */
  baseUrl?: string;
  /** Path prefix of the login, consent and in-app approval pages. Default `/auth`. */
  authPrefix?: string;
  /** Serve the control API under `/_emulator`. Default true. */
  control?: boolean;
  /**
   * Let browser apps on these exact origins (`http://localhost:5173`) call the API and file storage:
   * preflights answered, `Access-Control-Allow-Origin` on answers, never credentials. Off by default, as on
   * real Monzo; never for the login pages or the control API.
   */
  cors?: { origins: readonly string[]; maxAgeSeconds?: number };
  quirks?: Partial<QuirkOptions>;
  /** Maximum request-log entries kept. Default 1000. */
  requestLogSize?: number;
}

export const DEFAULT_QUIRKS: QuirkOptions = {
  whoamiBeforeApproval: "ok",
  annotateKeepsCustomKeys: true,
  foreignAccount: "forbidden",
  historyWindowStartsAt: "approval",
  receiptPutResponse: "receipt_id",
  logoutResponse: "empty_object",
  maxSpanDays: 365,
  feedAcceptsJson: false,
  invalidTokenStatus: 401,
};

/** The demo clients every emulator knows, so `monzo login` works against it with no setup. */
export const DEMO_CLIENT: OAuthClient = {
  id: "oauth2client_0000MonzokitDemo000001",
  secret: "mnzconf.monzokit-demo-secret",
  redirectUris: ["http://localhost:6600/callback", "http://127.0.0.1:6600/callback"],
  confidential: true,
  name: "Monzokit demo",
};

export const DEMO_PUBLIC_CLIENT: OAuthClient = {
  id: "oauth2client_0000MonzokitPublic0001",
  secret: "mnzpub.monzokit-public-secret",
  redirectUris: ["http://localhost:6600/callback", "http://127.0.0.1:6600/callback"],
  confidential: false,
  name: "Monzokit demo (non-confidential)",
};
