/** One login waiting to be collected. The polling `id` and the OAuth `state` are different secrets. */
export interface PendingSession {
  id: string;
  state: string;
  createdAt: number;
  expiresAt: number;
  status: "pending" | "ready" | "denied";
  /** The authorization code, sealed (AES-256-GCM); only once Monzo redirected back. */
  sealedCode?: string;
  /** Monzo's `error` when the person denied. */
  error?: string;
}

/** A value or a promise of it: a store that can answer at once keeps the hot routes synchronous. */
export type Awaitable<T> = T | Promise<T>;

/** What `createIfAllowed` did: made the session, or refused it for the rate limit or the store's cap. */
export type CreateOutcome = "created" | "limited" | "full";

/** A rate limit to count a request against: `capacity` requests per `windowMs` for `key`. */
export interface RateLimit {
  key: string;
  capacity: number;
  windowMs: number;
}

/**
 * Where pending logins live. Nothing else is stored: no tokens, no refresh tokens. `take` is the atomic
 * get-and-delete that makes each session collectable once, across instances.
 */
export interface SessionStore {
  create(session: PendingSession): Promise<void>;
  /** The session a `state` belongs to (unknown or expired: undefined). */
  byState(state: string): Promise<PendingSession | undefined>;
  get(id: string): Promise<PendingSession | undefined>;
  /** Replaces a pending session (the callback parks the code); false if it is gone or no longer pending. */
  settle(id: string, update: Pick<PendingSession, "status" | "sealedCode" | "error">): Promise<boolean>;
  /** Atomically removes and returns a settled session; later calls get undefined. Leaves a tombstone. */
  take(id: string): Promise<PendingSession | undefined>;
  /** True if `id` was collected (or denied and reported) recently: 410 rather than 404. */
  wasTaken(id: string): Promise<boolean>;
  /** One token from the bucket `key` (`capacity` per `windowMs`); false when empty. */
  hit(key: string, capacity: number, windowMs: number): Promise<boolean>;
  /**
   * `hit` against `limit`, then `create` only if the hit was allowed and fewer than `maxSessions` live
   * sessions are held, as one step (one round trip to a remote store). `"limited"` or `"full"`, and nothing
   * created, when either refused it.
   */
  createIfAllowed(session: PendingSession, limit: RateLimit, maxSessions: number): Awaitable<CreateOutcome>;
  /** `hit` against `limit` and `get` as one step. The read is done either way; `allowed` says if the hit was. */
  getCounting(
    id: string,
    limit: RateLimit,
  ): Awaitable<{ allowed: boolean; session: PendingSession | undefined }>;
  /** Throws when the store is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
