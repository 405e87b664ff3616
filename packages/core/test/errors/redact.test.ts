import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MonzoError } from "../../src/errors/monzo-error.js";
import { redact, redactValue, registerSecret } from "../../src/errors/redact.js";
import { validateCallback } from "../../src/oauth/authorize.js";

describe("redaction", () => {
  it("masks registered secrets, bearer headers, JWT-shaped tokens, client secrets and token fields", () => {
    registerSecret("my-very-secret-value");
    const text = [
      "x my-very-secret-value y",
      "Authorization: Bearer abc.def.ghi",
      "token eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJhY2N0b2tfMDAwMCJ9.c2lnbmF0dXJlLXNpZw",
      "secret mnzconf.AbCdEf123",
      "body client_secret=s3cr3t&code=c0de&grant_type=refresh_token",
      '{"refresh_token":"rt-123456789"}',
    ].join("\n");
    const out = redact(text);
    for (const leaked of [
      "my-very-secret-value",
      "abc.def.ghi",
      "eyJhbGciOiJFUzI1NiJ9",
      "mnzconf.AbCdEf123",
      "s3cr3t",
      "c0de",
      "rt-123456789",
    ]) {
      expect(out).not.toContain(leaked);
    }
    expect(out).toContain("grant_type=refresh_token");
  });

  it("errors redact their message, cause and JSON", () => {
    registerSecret("tok_abcdefgh12345");
    const error = new MonzoError("x", "failed with tok_abcdefgh12345", {
      cause: new Error("Bearer tok_abcdefgh12345"),
      hint: "h",
    });
    const all = `${error.message} ${JSON.stringify(error)} ${String((error.cause as Error).message)} ${error.stack} ${inspect(error)}`;
    expect(inspect(error)).toContain('"code": "x"');
    expect(all).not.toContain("tok_abcdefgh12345");
  });

  it("redactValue masks secret-named keys at any depth", () => {
    expect(redactValue({ a: { access_token: "x", list: [{ client_secret: "y" }] }, ok: 1 })).toEqual({
      a: { access_token: "[redacted]", list: [{ client_secret: "[redacted]" }] },
      ok: 1,
    });
  });

  it("a registered secret never survives, whatever surrounds it (property)", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ minLength: 12, maxLength: 40 }).filter((s) => !s.includes("[") && s.trim().length >= 12),
        fc.string(),
        (before, secret, after) => {
          registerSecret(secret);
          expect(redact(before + secret + after)).not.toContain(secret);
        },
      ),
    );
  });
});

describe("the process-wide redaction list (F7)", () => {
  it("a configured secret is never evicted, however many tokens and codes pass through afterwards", () => {
    registerSecret("configured-secret-never-evicted");
    // Every validated callback and token exchange used to register its values in one FIFO of 256.
    for (let i = 0; i < 600; i++)
      validateCallback(`?code=code-${i}-xxxxxxxx&state=state-123456`, "state-123456");
    expect(redact("oops configured-secret-never-evicted")).toBe("oops [redacted]");
  });

  it("what a call was told not to remember stays out of the list, and its own errors still mask it", () => {
    validateCallback("?code=someone-elses-code-1234&state=state-123456", "state-123456", {
      rememberSecrets: false,
    });
    expect(redact("someone-elses-code-1234")).toBe("someone-elses-code-1234");
    expect(redact("x someone-elses-code-1234 y", ["someone-elses-code-1234"])).toBe("x [redacted] y");
  });
});
