/**
 * The deliveries a handler has seen lately, so that Monzo's retries of one event reach `onEvent` once
 * (REFERENCE §11.4: up to 5 attempts with exponential backoff). An event is remembered from the moment its
 * `onEvent` succeeds until `windowMs` later; at most `maxEntries` are kept (the oldest go first), so memory
 * stays bounded whatever arrives. While an event's `onEvent` runs, a repeat joins that run instead of
 * starting another; when it fails, the event is forgotten, so Monzo's next attempt delivers it again.
 */
export class RecentDeliveries {
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Key → when its onEvent succeeded; Map order is completion order, so the oldest is first. */
  readonly #done = new Map<string, number>();
  /** Key → the run in progress; resolves true when onEvent succeeded, false when it failed. */
  readonly #running = new Map<string, Promise<boolean>>();

  constructor(options: { windowMs: number; maxEntries: number; now: () => number }) {
    this.#windowMs = options.windowMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now;
  }

  /** How many runs are in progress. */
  get running(): number {
    return this.#running.size;
  }

  /** How many completed events are remembered. */
  get remembered(): number {
    this.#prune();
    return this.#done.size;
  }

  /** `"done"` when the event succeeded within the window, its run when one is in progress, else undefined. */
  lookup(key: string): "done" | Promise<boolean> | undefined {
    this.#prune();
    if (this.#done.has(key)) return "done";
    return this.#running.get(key);
  }

  /** Starts `work` for `key` (the caller checked `lookup` first) and records its outcome. */
  start(key: string, work: () => Promise<void>): Promise<boolean> {
    const run = Promise.resolve()
      .then(work)
      .then(
        () => {
          this.#running.delete(key);
          this.#remember(key);
          return true;
        },
        () => {
          this.#running.delete(key);
          return false;
        },
      );
    this.#running.set(key, run);
    return run;
  }

  #remember(key: string): void {
    this.#done.delete(key);
    this.#done.set(key, this.#now());
    while (this.#done.size > this.#maxEntries) {
      const oldest = this.#done.keys().next().value;
      if (oldest === undefined) break;
      this.#done.delete(oldest);
    }
  }

  #prune(): void {
    const cutoff = this.#now() - this.#windowMs;
    for (const [key, at] of this.#done) {
      if (at > cutoff) break;
      this.#done.delete(key);
    }
  }
}
