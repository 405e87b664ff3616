/** A login as `/new` creates it. The polling `id` and the OAuth `state` are different secrets. */
export interface NewSession {
  id: string;
  state: string;
  createdAt: number;
  expiresAt: number;
  /**
   * The app's own loopback address (`http://127.0.0.1:PORT/PATH`): after Monzo's login the browser is sent
   * there with a one-time confirmation that the poller must present. Absent: an unbound login (the original
   * protocol, only with `BROKER_UNBOUND_LOGINS`).
   */
  returnTo?: string;
}

/**
 * A login as the store holds it: never its id or state in plain text (a store may keep only keyed hashes
 * of them), but `ref`, the store's own name for it.
 */
export interface PendingSession {
  /**
   * The store's name for this session, derived from its id (the memory store: the id itself; Redis: a keyed
   * hash of it). Always computed from the id or state the caller presented, never read back from storage:
   * codes are sealed with it as additional data, so a sealed code copied into another session does not open.
   */
  ref: string;
  createdAt: number;
  expiresAt: number;
  status: "pending" | "ready" | "denied";
  /**
   * The authorization code, sealed (AES-256-GCM, bound to `ref` and, for a bound login, to `confirmHash`); only
   * once Monzo redirected back.
   */
  sealedCode?: string;
  /** Monzo's `error` when the person denied. */
  error?: string;
  /** As at creation: where the browser goes back to (a bound login). */
  returnTo?: string;
  /** SHA-256 (base64url) of the one-time confirmation the browser was given; set with the code. */
  confirmHash?: string;
}

/** What `settle` changes. */
export type SessionUpdate = Pick<PendingSession, "status" | "sealedCode" | "error" | "confirmHash">;

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
 * get-and-delete that makes each session collectable once, across instances. Lookups by id and by state
 * must not leak either by timing (the memory store compares in constant time; Redis looks up keyed hashes).
 * A store that others can write (Redis) must authenticate what it reads back: `returnTo` and `confirmHash`
 * decide who gets the tokens, so a record it did not write itself is absent, never a session.
 */
export interface SessionStore {
  create(session: NewSession): Promise<void>;
  /** The session a `state` belongs to (unknown or expired: undefined). */
  byState(state: string): Promise<PendingSession | undefined>;
  get(id: string): Promise<PendingSession | undefined>;
  /**
   * Updates a pending session by its `ref` (the callback parks the code); false if it is gone or no longer
   * pending.
   */
  settle(ref: string, update: SessionUpdate): Promise<boolean>;
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
  createIfAllowed(session: NewSession, limit: RateLimit, maxSessions: number): Awaitable<CreateOutcome>;
  /** `hit` against `limit` and `get` as one step. The read is done either way; `allowed` says if the hit was. */
  getCounting(
    id: string,
    limit: RateLimit,
  ): Awaitable<{ allowed: boolean; session: PendingSession | undefined }>;
  /** Throws when the store is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
