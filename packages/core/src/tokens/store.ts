import type { TokenSet } from "./token-set.js";

/**
 * Where a token set lives between calls and processes. `lock` (optional) serialises refreshes across
 * processes — the CLI's file store implements it with a lock file, the broker with Redis — so two of them
 * never spend the same single-use refresh token (REFERENCE §2.6).
 */
export interface TokenStore {
  load(): Promise<TokenSet | undefined>;
  /** Must be durable when it resolves: the new refresh token is the only one that works. */
  save(tokens: TokenSet): Promise<void>;
  clear(): Promise<void>;
  lock?<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Keeps the token set in memory (one process).
 *
 * @example new TokenManager({ store: new MemoryTokenStore(tokens), refresh })
 */
export class MemoryTokenStore implements TokenStore {
  #tokens: TokenSet | undefined;

  constructor(initial?: TokenSet) {
    this.#tokens = initial;
  }

  async load(): Promise<TokenSet | undefined> {
    return this.#tokens;
  }

  async save(tokens: TokenSet): Promise<void> {
    this.#tokens = tokens;
  }

  async clear(): Promise<void> {
    this.#tokens = undefined;
  }
}

export interface TokenStoreCallbacks {
  load: () => Promise<TokenSet | undefined>;
  save: (tokens: TokenSet) => Promise<void>;
  clear?: () => Promise<void>;
  lock?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * Adapts your own persistence (a database row, a secret manager) to `TokenStore`.
 *
 * @example new CallbackTokenStore({ load: () => db.get("tokens"), save: (t) => db.put("tokens", t) })
 */
export class CallbackTokenStore implements TokenStore {
  readonly #callbacks: TokenStoreCallbacks;

  constructor(callbacks: TokenStoreCallbacks) {
    this.#callbacks = callbacks;
    if (callbacks.lock) this.lock = callbacks.lock;
  }

  lock?: <T>(work: () => Promise<T>) => Promise<T>;

  load(): Promise<TokenSet | undefined> {
    return this.#callbacks.load();
  }

  save(tokens: TokenSet): Promise<void> {
    return this.#callbacks.save(tokens);
  }

  async clear(): Promise<void> {
    await this.#callbacks.clear?.();
  }
}
