/** One logged request (no headers, no query string, no body: nothing secret is kept). */
export interface RequestLogEntry {
  atMs: number;
  method: string;
  path: string;
  route: string;
  status: number;
  ms: number;
}

/**
 * The last `size` requests in a ring of parallel arrays: recording one allocates nothing, which matters
 * because it runs on every request.
 */
export class RequestLog {
  readonly #size: number;
  readonly #at: Float64Array;
  readonly #ms: Float64Array;
  readonly #status: Uint16Array;
  readonly #method: string[];
  readonly #path: string[];
  readonly #route: string[];
  #next = 0;
  #count = 0;

  constructor(size: number) {
    this.#size = Math.max(1, size);
    this.#at = new Float64Array(this.#size);
    this.#ms = new Float64Array(this.#size);
    this.#status = new Uint16Array(this.#size);
    this.#method = new Array<string>(this.#size);
    this.#path = new Array<string>(this.#size);
    this.#route = new Array<string>(this.#size);
  }

  record(atMs: number, method: string, path: string, route: string, status: number, ms: number): void {
    const i = this.#next;
    this.#at[i] = atMs;
    this.#ms[i] = ms;
    this.#status[i] = status;
    this.#method[i] = method;
    this.#path[i] = path;
    this.#route[i] = route;
    this.#next = (i + 1) % this.#size;
    if (this.#count < this.#size) this.#count++;
  }

  /** Oldest first. */
  entries(): RequestLogEntry[] {
    const out: RequestLogEntry[] = [];
    const start = (this.#next - this.#count + this.#size) % this.#size;
    for (let k = 0; k < this.#count; k++) {
      const i = (start + k) % this.#size;
      out.push({
        atMs: this.#at[i]!,
        method: this.#method[i]!,
        path: this.#path[i]!,
        route: this.#route[i]!,
        status: this.#status[i]!,
        ms: this.#ms[i]!,
      });
    }
    return out;
  }

  clear(): void {
    this.#next = 0;
    this.#count = 0;
  }
}
