import { constantTimeEqual } from "@monzokit/core";
import type {
  CreateOutcome,
  NewSession,
  PendingSession,
  RateLimit,
  SessionStore,
  SessionUpdate,
} from "./types.js";

/** Limits of what a memory store holds. */
export interface MemoryStoreOptions {
  /**
   * Most rate-limit counters held at once (default 100,000, about 10 MB). Past it, expired counters are
   * dropped; if that is not enough, new addresses share one counter per route until some expire, so a
   * flood from many addresses is still limited and memory stays bounded.
   */
  maxRateLimitKeys?: number;
}

/** What the memory store keeps of a session: the view plus its id and state. */
type Held = NewSession & Omit<PendingSession, "ref">;

/**
 * One instance: sessions in a Map with expiry, swept as they are touched and every minute. A session's
 * `ref` is its id (nobody but this process can read this memory).
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Held>();
  readonly #states = new Map<string, string>();
  readonly #tombstones = new Map<string, number>();
  readonly #buckets = new Map<string, { count: number; resetAt: number }>();
  readonly #now: () => number;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #maxKeys: number;
  #sweptAt = Number.NEGATIVE_INFINITY;

  constructor(now: () => number = Date.now, options: MemoryStoreOptions = {}) {
    this.#now = now;
    this.#maxKeys = options.maxRateLimitKeys ?? 100_000;
    this.#sweeper = setInterval(() => this.#sweep(), 60_000);
    this.#sweeper.unref?.();
  }

  async create(session: NewSession): Promise<void> {
    this.#put(session);
  }

  #put(session: NewSession): void {
    this.#sessions.set(session.id, { ...session, status: "pending" });
    this.#states.set(session.state, session.id);
  }

  async byState(state: string): Promise<PendingSession | undefined> {
    const id = this.#states.get(state);
    if (id === undefined) return undefined;
    const held = this.#held(id);
    return held && constantTimeEqual(held.state, state) ? view(held) : undefined;
  }

  async get(id: string): Promise<PendingSession | undefined> {
    return this.#live(id);
  }

  #live(id: string): PendingSession | undefined {
    const held = this.#held(id);
    return held ? view(held) : undefined;
  }

  // Every read and change below is synchronous: with no await between look-up and delete, two `take`
  // calls racing in this process cannot both win. The Map finds the entry; the id is then compared in
  // constant time, so no timing says how much of a guessed id was right.
  #held(id: string): Held | undefined {
    const held = this.#sessions.get(id);
    if (!held || !constantTimeEqual(held.id, id)) return undefined;
    if (held.expiresAt <= this.#now()) {
      this.#drop(held);
      this.#tombstones.set(id, held.expiresAt + 3_600_000);
      return undefined;
    }
    return held;
  }

  async settle(ref: string, update: SessionUpdate): Promise<boolean> {
    const held = this.#held(ref);
    if (held?.status !== "pending") return false;
    this.#sessions.set(ref, { ...held, ...update });
    return true;
  }

  async take(id: string): Promise<PendingSession | undefined> {
    const held = this.#held(id);
    if (!held) return undefined;
    this.#drop(held);
    this.#tombstones.set(id, held.expiresAt + 3_600_000);
    return view(held);
  }

  async wasTaken(id: string): Promise<boolean> {
    const until = this.#tombstones.get(id);
    return until !== undefined && until > this.#now();
  }

  async hit(key: string, capacity: number, windowMs: number): Promise<boolean> {
    return this.#hit(key, capacity, windowMs);
  }

  // The two calls of the hot routes answer at once (no promise): /new and a /token poll stay synchronous.
  createIfAllowed(session: NewSession, limit: RateLimit, maxSessions: number): CreateOutcome {
    if (!this.#hit(limit.key, limit.capacity, limit.windowMs)) return "limited";
    if (this.#sessions.size >= maxSessions) {
      this.#sweepSoon();
      if (this.#sessions.size >= maxSessions) return "full";
    }
    this.#put(session);
    return "created";
  }

  getCounting(id: string, limit: RateLimit): { allowed: boolean; session: PendingSession | undefined } {
    return { allowed: this.#hit(limit.key, limit.capacity, limit.windowMs), session: this.#live(id) };
  }

  #hit(address: string, capacity: number, windowMs: number): boolean {
    const now = this.#now();
    let key = address;
    let bucket = this.#buckets.get(key);
    if (!bucket && this.#buckets.size >= this.#maxKeys) {
      this.#sweepSoon();
      // Still full of live counters: new addresses share one per route until some expire.
      if (this.#buckets.size >= this.#maxKeys) {
        key = `${key.slice(0, key.indexOf(":") + 1)}(overflow)`;
        bucket = this.#buckets.get(key);
      }
    }
    if (!bucket || bucket.resetAt <= now) {
      bucket = { count: 0, resetAt: now + windowMs };
      this.#buckets.set(key, bucket);
    }
    bucket.count++;
    return bucket.count <= capacity;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }

  /** How many sessions are held (for tests and the benchmark). */
  get size(): number {
    return this.#sessions.size;
  }

  /** How many rate-limit counters are held (for tests). */
  get rateLimitKeys(): number {
    return this.#buckets.size;
  }

  // At a cap, expired entries are swept at most once a second: a caller at the cap cannot make every
  // request walk the whole store.
  #sweepSoon(): void {
    const now = this.#now();
    if (now - this.#sweptAt < 1000) return;
    this.#sweptAt = now;
    this.#sweep();
  }

  #drop(session: Held): void {
    this.#sessions.delete(session.id);
    this.#states.delete(session.state);
  }

  #sweep(): void {
    const now = this.#now();
    for (const session of this.#sessions.values()) if (session.expiresAt <= now) this.#drop(session);
    for (const [id, until] of this.#tombstones) if (until <= now) this.#tombstones.delete(id);
    for (const [key, bucket] of this.#buckets) if (bucket.resetAt <= now) this.#buckets.delete(key);
  }
}

function view(held: Held): PendingSession {
  const { id, state: _state, ...rest } = held;
  return { ref: id, ...rest };
}
