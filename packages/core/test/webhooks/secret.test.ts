import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkWebhookSecret,
  createWebhookSecret,
  InvalidArgumentError,
  webhookPath,
} from "../../src/index.js";
import { normaliseBasePath } from "../../src/webhooks/secret.js";

describe("createWebhookSecret", () => {
  it("is 256 random bits in base64url: 43 URL-safe characters, never the same twice", () => {
    const secrets = new Set(Array.from({ length: 200 }, () => createWebhookSecret()));
    expect(secrets.size).toBe(200);
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(() => checkWebhookSecret(s)).not.toThrow();
    }
  });
});

describe("checkWebhookSecret", () => {
  it("refuses short secrets and characters a URL would change, without echoing the secret", () => {
    for (const bad of [
      "",
      "tooBriefSecret",
      "a".repeat(21),
      `${"a".repeat(30)}/x`,
      `${"a".repeat(30)}%41`,
      "ä".repeat(30),
    ]) {
      let thrown: unknown;
      try {
        checkWebhookSecret(bad);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      if (bad.length > 3) expect((thrown as Error).message).not.toContain(bad);
    }
    expect(() => checkWebhookSecret("a".repeat(22))).not.toThrow();
  });
});

describe("webhookPath", () => {
  const secret = "s".repeat(43);
  it("is <basePath>/<secret>, whatever slashes the base path has", () => {
    expect(webhookPath(secret)).toBe(`/${secret}`);
    expect(webhookPath(secret, "")).toBe(`/${secret}`);
    expect(webhookPath(secret, "/monzo")).toBe(`/monzo/${secret}`);
    expect(webhookPath(secret, "monzo/hooks/")).toBe(`/monzo/hooks/${secret}`);
    expect(webhookPath(secret, "//monzo//")).toBe(`/monzo/${secret}`);
  });
  it("refuses base paths with a query, fragment, %, dot segments, empty segments or spaces", () => {
    for (const bad of ["/a?b", "/a#b", "/a%20b", "/a/../b", "/./a", "/a//b", "/a b", "/é", "/a\\b", "/a<b"])
      expect(() => webhookPath(secret, bad), bad).toThrow(InvalidArgumentError);
  });
  it("a URL parser leaves every accepted path exactly as it is (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (base) => {
        let path: string;
        try {
          path = `${normaliseBasePath(base)}/${secret}`;
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidArgumentError);
          return;
        }
        expect(new URL(path, "https://example.com").pathname).toBe(path);
      }),
      { numRuns: 3000 },
    );
  });
});
