import { BrokerLoginExpiredError, errorFromResponse, RedirectRefusedError } from "@monzokit/core";
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

  it("main passes the profile of the run into the hint", async () => {
    const f = fakeIo({ MONZOKIT_HOME: await tempHome(), MONZO_PROFILE: "work" });
    expect(await main(["balance"], f.io)).toBe(EXIT.config);
    expect(f.stderr()).toContain("monzo login --profile work");
  });
});
