/**
 * AES-256-GCM envelopes (Web Crypto, so the broker runs on Node, Workers and Lambda alike): the client
 * secret at rest, and authorization codes parked in the store, are never plain text.
 * Format: `v1.` + base64url(12-byte IV ‖ ciphertext ‖ 16-byte tag).
 */
const PREFIX = "v1.";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Unpadded base64url of `bytes[start, end)`. */
export function b64url(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = "";
  let i = start;
  for (; i + 2 < end; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  if (end - i === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (end - i === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

// Random bytes are drawn from the CSPRNG in blocks and each byte is handed out once: one system call per
// 128 ids instead of one per id, which was a tenth of the broker's CPU under load.
const POOL = new Uint8Array(32 * 128);
let poolUsed = POOL.length;

/** A fresh 256-bit random identifier, base64url (43 characters): session ids and OAuth `state`. */
export function randomId(): string {
  if (poolUsed + 32 > POOL.length) {
    crypto.getRandomValues(POOL);
    poolUsed = 0;
  }
  const id = b64url(POOL, poolUsed, poolUsed + 32);
  POOL.fill(0, poolUsed, poolUsed + 32);
  poolUsed += 32;
  return id;
}

function fromB64url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A new random 256-bit key, base64url (what `monzo-broker gen-key` prints). */
export function generateKey(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Reads a 32-byte key given as base64url, base64 or hex; `undefined` when it is not one. */
export function parseKey(text: string): Uint8Array | undefined {
  const t = text.trim();
  let bytes: Uint8Array | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t))
    bytes = Uint8Array.from(t.match(/../g)!.map((h) => Number.parseInt(h, 16)));
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    try {
      bytes = fromB64url(t.replace(/=$/, ""));
    } catch {
      return undefined;
    }
  }
  return bytes?.length === 32 ? bytes : undefined;
}

/**
 * True for a key nobody drew at random: 32 random bytes have about 30 distinct values (fewer than 16 happens
 * with a probability far below 10⁻¹⁵), while an all-zero key, a repeated byte or a short repeated pattern has
 * a handful.
 */
export function isWeakKey(key: Uint8Array): boolean {
  return new Set(key).size < 16;
}

export class Envelope {
  readonly #key: ReturnType<typeof crypto.subtle.importKey>;

  constructor(rawKey: Uint8Array) {
    this.#key = crypto.subtle.importKey("raw", rawKey as Uint8Array<ArrayBuffer>, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
  }

  /**
   * Seals `plain`. With `context` (AES-GCM additional data), the envelope opens only with the same context:
   * a code sealed for one session cannot be opened as another's.
   */
  async seal(plain: string, context?: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(gcm(iv, context), await this.#key, new TextEncoder().encode(plain)),
    );
    const out = new Uint8Array(12 + sealed.length);
    out.set(iv);
    out.set(sealed, 12);
    return PREFIX + b64url(out);
  }

  /** Opens an envelope; throws if it was tampered with, sealed with another key or another context. */
  async open(envelope: string, context?: string): Promise<string> {
    if (!envelope.startsWith(PREFIX)) throw new Error("not a v1 envelope");
    const bytes = fromB64url(envelope.slice(PREFIX.length));
    if (bytes.length < 12 + 16) throw new Error("envelope too short");
    const plain = await crypto.subtle.decrypt(
      gcm(bytes.slice(0, 12), context),
      await this.#key,
      bytes.slice(12),
    );
    return new TextDecoder().decode(plain);
  }
}

function gcm(iv: Uint8Array, context: string | undefined): Parameters<typeof crypto.subtle.encrypt>[0] {
  return context === undefined
    ? { name: "AES-GCM", iv: iv as Uint8Array<ArrayBuffer> }
    : {
        name: "AES-GCM",
        iv: iv as Uint8Array<ArrayBuffer>,
        additionalData: new TextEncoder().encode(context) as Uint8Array<ArrayBuffer>,
      };
}
