import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AccessDeniedError,
  authorizationUrl,
  authorizationUrlBuilder,
  constantTimeEqual,
  InvalidCallbackError,
  isValidatedCallback,
  StateMismatchError,
  validateCallback,
} from "../../src/index.js";

describe("authorizationUrl", () => {
  it("builds Monzo's login URL with a 256-bit state by default", () => {
    const { url, state } = authorizationUrl({
      clientId: "oauth2client_1",
      redirectUri: "http://localhost:6600/callback",
    });
    const u = new URL(url);
    expect(u.origin + u.pathname).toBe("https://auth.monzo.com/");
    expect(Object.fromEntries(u.searchParams)).toEqual({
      client_id: "oauth2client_1",
      redirect_uri: "http://localhost:6600/callback",
      response_type: "code",
      state,
    });
    expect(state).toMatch(/^[\w-]{43}$/);
    expect(authorizationUrl({ clientId: "c", redirectUri: "http://localhost/cb" }).state).not.toBe(state);
  });
  it("refuses an empty client id and a redirect that is not a URL", () => {
    expect(() => authorizationUrl({ clientId: "", redirectUri: "http://localhost/cb" })).toThrow(/clientId/);
    expect(() => authorizationUrl({ clientId: "c", redirectUri: "not a url" })).toThrow(/redirectUri/);
  });
});

describe("authorizationUrlBuilder", () => {
  const bases = [
    undefined,
    "http://127.0.0.1:6601/auth/",
    "https://auth.example/login?lang=en&x=a%20b+c",
    "https://auth.example/?state=old&client_id=old",
    "https://auth.example/path#fragment",
    "https://auth.example/?q=%F0%9F%99%82&empty=",
  ];

  it("returns exactly authorizationUrl's URL for any state and base URL (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...bases),
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.oneof(
          fc.string({ minLength: 8, maxLength: 60, unit: "binary" }),
          fc.base64String({ minLength: 8 }),
          // Mostly characters left as they are, with the odd one that is not: the fast path's boundary.
          fc.string({
            minLength: 8,
            maxLength: 40,
            unit: fc.oneof(
              { arbitrary: fc.constantFrom(..."aZ09*-._"), weight: 15 },
              { arbitrary: fc.constantFrom(..."~ +/=%&#?é🙂!'()".split(/(?:)/u)), weight: 1 },
            ),
          }),
        ),
        (authUrl, clientId, state) => {
          const options = {
            clientId,
            redirectUri: "http://localhost:6600/callback?a=1&b= 2",
            ...(authUrl ? { authUrl } : {}),
          };
          expect(authorizationUrlBuilder(options)(state)).toEqual(authorizationUrl({ ...options, state }));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("draws a fresh 256-bit state when given none, and checks options once and states every time", () => {
    const build = authorizationUrlBuilder({ clientId: "oauth2client_1", redirectUri: "http://localhost/cb" });
    const a = build();
    const b = build();
    expect(a.state).toMatch(/^[\w-]{43}$/);
    expect(a.state).not.toBe(b.state);
    expect(new URL(a.url).searchParams.get("state")).toBe(a.state);
    expect(a.url).toBe(
      authorizationUrl({ clientId: "oauth2client_1", redirectUri: "http://localhost/cb", state: a.state })
        .url,
    );
    expect(() => build("short")).toThrow(/too short/);
    expect(() => authorizationUrlBuilder({ clientId: "", redirectUri: "http://localhost/cb" })).toThrow(
      /clientId/,
    );
    expect(() =>
      authorizationUrlBuilder({
        clientId: "c",
        redirectUri: "http://localhost/cb",
        authUrl: "http://auth.example/",
      }),
    ).toThrow(/https/);
  });
});

describe("validateCallback", () => {
  const state = "expected-state-value-123";
  it("accepts the right state and returns a validated object", () => {
    const cb = validateCallback(`http://localhost:6600/callback?code=abc&state=${state}`, state);
    expect(cb.code).toBe("abc");
    expect(isValidatedCallback(cb)).toBe(true);
    expect(isValidatedCallback({ code: "abc", state })).toBe(false);
  });
  it("accepts a pasted query string", () => {
    expect(validateCallback(`?code=abc&state=${state}`, state).code).toBe("abc");
    expect(validateCallback(`code=abc&state=${state}`, state).code).toBe("abc");
  });
  it("maps denial, missing parts and mismatches to clear errors", () => {
    expect(() => validateCallback(`http://x/cb?error=access_denied&state=${state}`, state)).toThrow(
      AccessDeniedError,
    );
    expect(() => validateCallback("http://x/cb?error=access_denied", state)).toThrow(AccessDeniedError);
    expect(() => validateCallback(`http://x/cb?state=${state}`, state)).toThrow(InvalidCallbackError);
    expect(() => validateCallback("http://x/cb?code=abc", state)).toThrow(InvalidCallbackError);
    expect(() => validateCallback("http://x/cb?code=abc&state=other", state)).toThrow(StateMismatchError);
    expect(() => validateCallback(`http://x/cb?error=access_denied&state=forged`, state)).toThrow(
      StateMismatchError,
    );
    expect(() => validateCallback("::::", state)).toThrow(InvalidCallbackError);
  });
  it("never validates a state that differs from the expected one (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        fc.string({ minLength: 1 }),
        (expected, got, code) => {
          fc.pre(expected !== got);
          const url = `http://localhost/cb?${new URLSearchParams({ code, state: got })}`;
          expect(() => validateCallback(url, expected)).toThrow();
        },
      ),
    );
  });
  it("constantTimeEqual agrees with === (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(constantTimeEqual(a, b)).toBe(a === b);
      }),
    );
  });
});
