import { parseTime } from "./time.js";

/** Where the emulator's clock starts and whether it ticks by itself. */
export interface ClockOptions {
  /** The instant the clock starts at (RFC 3339 or epoch ms). Default: the real time now. */
  start?: string | number;
  /** A frozen clock only moves when told to (`advance`, `set`). Default: false. */
  frozen?: boolean;
}

/**
 * The emulator's notion of "now": real time plus an offset, or a frozen instant. Token expiry, the
 * 5-minute/90-day history window, auto-approval and `spend_today` all read it, so tests move time
 * instead of waiting.
 */
export class Clock {
  #offset: number;
  #frozenAt: number | undefined;

  constructor(options: ClockOptions = {}) {
    const start = options.start === undefined ? Date.now() : toMs(options.start);
    this.#offset = start - Date.now();
    this.#frozenAt = options.frozen ? start : undefined;
  }

  now(): number {
    return this.#frozenAt ?? Date.now() + this.#offset;
  }

  get frozen(): boolean {
    return this.#frozenAt !== undefined;
  }

  advance(ms: number): void {
    if (this.#frozenAt !== undefined) this.#frozenAt += ms;
    else this.#offset += ms;
  }

  set(instant: number): void {
    if (this.#frozenAt !== undefined) this.#frozenAt = instant;
    else this.#offset = instant - Date.now();
  }

  freeze(frozen: boolean): void {
    if (frozen && this.#frozenAt === undefined) this.#frozenAt = this.now();
    if (!frozen && this.#frozenAt !== undefined) {
      this.#offset = this.#frozenAt - Date.now();
      this.#frozenAt = undefined;
    }
  }
}

function toMs(value: string | number): number {
  if (typeof value === "number") return value;
  const ms = parseTime(value);
  if (ms === undefined) throw new Error(`clock start "${value}" is not an RFC 3339 timestamp`);
  return ms;
}
