import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { b64url, isWeakKey, randomId } from "../src/crypto.js";
import { Envelope, generateKey, parseKey } from "../src/index.js";

describe("envelopes", () => {
  it("round-trip any text and refuse tampering or another key", async () => {
    const key = parseKey(generateKey())!;
    const box = new Envelope(key);
    await fc.assert(
      fc.asyncProperty(fc.string(), async (text) => {
        expect(await box.open(await box.seal(text))).toBe(text);
      }),
      { numRuns: 50 },
    );
    const sealed = await box.seal("mnzconf.secret");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("secret");
    expect(await box.seal("same")).not.toBe(await box.seal("same"));
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
    await expect(box.open(flipped)).rejects.toThrow();
    await expect(new Envelope(parseKey(generateKey())!).open(sealed)).rejects.toThrow();
  });
  it("an envelope sealed for one context (a session) opens for no other, nor without it", async () => {
    const box = new Envelope(parseKey(generateKey())!);
    const sealed = await box.seal("code-123", "code:session-a");
    expect(await box.open(sealed, "code:session-a")).toBe("code-123");
    await expect(box.open(sealed, "code:session-b")).rejects.toThrow();
    await expect(box.open(sealed)).rejects.toThrow();
    await expect(box.open(await box.seal("code-123"), "code:session-a")).rejects.toThrow();
  });
  it("keys: base64url, base64 or hex of 32 bytes; anything else is refused", () => {
    expect(parseKey(generateKey())).toHaveLength(32);
    expect(parseKey("ab".repeat(32))).toHaveLength(32);
    expect(parseKey("too-short")).toBeUndefined();
    expect(parseKey("zz".repeat(32))).toBeUndefined();
  });
  it("weak keys: all zero, one repeated byte or a short pattern; never a key drawn at random", () => {
    expect(isWeakKey(new Uint8Array(32))).toBe(true);
    expect(isWeakKey(parseKey("ab".repeat(32))!)).toBe(true);
    expect(isWeakKey(Uint8Array.from({ length: 32 }, (_, i) => i % 8))).toBe(true);
    for (let i = 0; i < 10_000; i++) expect(isWeakKey(parseKey(generateKey())!)).toBe(false);
  });
  it("base64url encoding matches Node's for any bytes and any slice (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const start = bytes.length === 0 ? 0 : a % (bytes.length + 1);
        const end = start + (bytes.length === 0 ? 0 : b % (bytes.length - start + 1));
        expect(b64url(bytes, start, end)).toBe(Buffer.from(bytes.subarray(start, end)).toString("base64url"));
      }),
      { numRuns: 500 },
    );
  });
  it("random ids: 43 base64url characters, never repeated across pool refills", () => {
    const seen = new Set<string>();
    // 1,000 ids span several refills of the 128-id pool.
    for (let i = 0; i < 1000; i++) {
      const id = randomId();
      expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(1000);
  });
});
