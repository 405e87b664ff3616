import type { Rng } from "./rng.js";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CODES = [...ALPHABET].map((ch) => ch.charCodeAt(0));
const BUFFER = new Uint8Array(128);
const LATIN1 = new TextDecoder("latin1");
const VALUES: number[] = [];
for (const [i, code] of CODES.entries()) VALUES[code] = i;

/** A 32-bit integer hash (murmur3's finaliser). */
function mix(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Monzo-shaped ids: `<prefix>_0000` + 18 base-62 characters (REFERENCE §1.7, §13.32). The first 8 of
 * those encode a counter shared by every prefix, so ids sort (as strings, because the alphabet is in
 * ASCII order) in the order they were created; the last 10 are seeded noise so they look like Monzo's.
 * The noise is a hash of the seed and the counter, so an id can be rebuilt from its number alone: the
 * bank keeps numbers, not strings, for its hundred thousand transactions.
 */
export class IdGenerator {
  #counter = 0;
  readonly #salt: number;

  constructor(rng: Rng) {
    this.#salt = Math.floor(rng.next() * 2 ** 32) >>> 0;
  }

  next(prefix: string): string {
    return this.idAt(prefix, this.reserve(1));
  }

  /** Takes `count` consecutive numbers and returns the first. */
  reserve(count: number): number {
    const first = this.#counter + 1;
    this.#counter += count;
    return first;
  }

  /** The id with this prefix and number. */
  idAt(prefix: string, n: number): string {
    // Written into a reused byte buffer and decoded once: a flat string and no garbage per id.
    const buf = BUFFER;
    let at = 0;
    for (let i = 0; i < prefix.length; i++) buf[at++] = prefix.charCodeAt(i);
    buf[at++] = 95; // _
    for (let i = 0; i < 4; i++) buf[at++] = 48; // 0000
    let rest = n;
    for (let i = 7; i >= 0; i--) {
      buf[at + i] = CODES[rest % 62]!;
      rest = Math.floor(rest / 62);
    }
    at += 8;
    let h = mix(this.#salt ^ Math.imul(n, 0x9e3779b1));
    for (let i = 0; i < 10; i++) {
      if (i === 5) h = mix(h ^ 0x85ebca6b);
      buf[at++] = CODES[h % 62]!;
      h = Math.floor(h / 62);
    }
    return LATIN1.decode(buf.subarray(0, at));
  }

  /** The number inside an id made by `idAt` (`undefined` when the text is not one of ours). */
  numberOf(id: string, prefix: string): number | undefined {
    const head = prefix.length + 5;
    if (id.length !== head + 18 || !id.startsWith(`${prefix}_0000`)) return undefined;
    let n = 0;
    for (let i = head; i < head + 8; i++) {
      const digit = VALUES[id.charCodeAt(i)] ?? -1;
      if (digit < 0) return undefined;
      n = n * 62 + digit;
    }
    return n > 0 && n <= this.#counter && this.idAt(prefix, n) === id ? n : undefined;
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
