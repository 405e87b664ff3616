import type { Rng } from "./rng.js";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CODES = [...ALPHABET].map((ch) => ch.charCodeAt(0));
const BUFFER = new Uint8Array(128);
const LATIN1 = new TextDecoder("latin1");

/**
 * Monzo-shaped ids: `<prefix>_0000` + 18 base-62 characters (REFERENCE §1.7, §13.32). The first 8 of
 * those encode a counter shared by every prefix, so ids sort (as strings, because the alphabet is in
 * ASCII order) in the order they were created; the last 10 are seeded noise so they look like Monzo's.
 */
export class IdGenerator {
  #counter = 0;
  readonly #rng: Rng;

  constructor(rng: Rng) {
    this.#rng = rng;
  }

  next(prefix: string): string {
    // Written into a reused byte buffer and decoded once: a flat string and no garbage per id
    // (seeding 100k transactions makes over half a million ids).
    const buf = BUFFER;
    let at = 0;
    for (let i = 0; i < prefix.length; i++) buf[at++] = prefix.charCodeAt(i);
    buf[at++] = 95; // _
    for (let i = 0; i < 4; i++) buf[at++] = 48; // 0000
    let n = ++this.#counter;
    for (let i = 7; i >= 0; i--) {
      buf[at + i] = CODES[n % 62]!;
      n = Math.floor(n / 62);
    }
    at += 8;
    for (let i = 0; i < 10; i++) buf[at++] = CODES[Math.floor(this.#rng.next() * 62)]!;
    return LATIN1.decode(buf.subarray(0, at));
  }

  /** Random base-62 text for secrets and opaque tokens (not sortable, not guessable from the seed alone). */
  static random(length: number): string {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    let out = "";
    for (const b of bytes) out += ALPHABET[b % 62];
    return out;
  }
}

/** `prefix_` + 22 base-62 characters, the shape of every Monzo id. */
export const ID_PATTERN = /^[a-z0-9]+_[0-9A-Za-z]{4,40}$/;
