import { readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { TokenSet, TokenStore } from "@monzokit/core";
import { ConfigError } from "../errors.js";
import { privateDir, sweepStaleTemps, writeFileAtomic } from "./atomic.js";
import { withLock } from "./lock.js";

export interface FileTokenStoreOptions {
  /** Give up waiting for another process's refresh after this long. Default 30 s. */
  lockTimeoutMs?: number;
  /** A lock older than this is from a crashed process. Default 60 s. */
  staleLockMs?: number;
}

/**
 * Tokens in one JSON file per profile: created 0600 atomically, and a lock file around refreshes so
 * several `monzo` processes never spend the same single-use refresh token (REFERENCE §2.6).
 *
 * @example
 * ```ts
 * const store = new FileTokenStore("/home/me/.config/monzokit/tokens/default.json");
 * ```
 */
export class FileTokenStore implements TokenStore {
  readonly path: string;
  readonly #options: FileTokenStoreOptions;

  constructor(path: string, options: FileTokenStoreOptions = {}) {
    this.path = path;
    this.#options = options;
  }

  async load(): Promise<TokenSet | undefined> {
    // A write killed half-way (before its rename) leaves a temporary copy: clear those on every read.
    await sweepStaleTemps(this.path);
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const tokens = parseTokenSet(text);
    if (!tokens)
      throw new ConfigError(`The token file ${this.path} is damaged`, "Run monzo login again to replace it.");
    return tokens;
  }

  async save(tokens: TokenSet): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(tokens, null, 2)}\n`);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }

  /** Runs `work` holding `<file>.lock`, created exclusively; a stale lock from a dead process is broken. */
  async lock<T>(work: () => Promise<T>): Promise<T> {
    await privateDir(dirname(this.path));
    return withLock(`${this.path}.lock`, work, {
      timeoutMs: this.#options.lockTimeoutMs ?? 30_000,
      staleMs: this.#options.staleLockMs ?? 60_000,
      what: "a token refresh",
    });
  }
}

/** A stored token set, or `undefined` when `text` is not one (damaged, truncated, wrong shape). */
export function parseTokenSet(text: string): TokenSet | undefined {
  try {
    const data = JSON.parse(text) as Partial<TokenSet>;
    if (
      typeof data.accessToken !== "string" ||
      typeof data.expiresAt !== "number" ||
      typeof data.userId !== "string" ||
      typeof data.clientId !== "string"
    )
      return undefined;
    return data as TokenSet;
  } catch {
    return undefined;
  }
}
