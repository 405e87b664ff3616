import {
  errorFromResponse,
  OutcomeUnknownError,
  ReauthenticationRequiredError,
  TimeoutError,
} from "@monzokit/core";
import { describe, expect, it } from "vitest";
import { describeError, EXIT } from "../src/errors.js";
import { cliHint } from "../src/hints.js";
import { loggedIn } from "./helpers.js";

/** Advice only a program can follow: an option or parameter name in camelCase (`timeoutMs`, `dedupeId`). */
const CODE_LEVEL = /\b[a-z]+[A-Z]\w*\b/;

describe("core's hints that do not fit a person at the command line", () => {
  const cases = [
    {
      error: new TimeoutError("GET /accounts: no answer within 30000 ms"),
      cli: /check your network connection.*run the command again/i,
    },
    {
      error: new OutcomeUnknownError(
        "PUT /pots/pot_1/deposit: the connection failed; the money may or may not have moved",
        "monzokit-5b2c8f0e",
      ),
      cli: /Run the same command again with --dedupe-id monzokit-5b2c8f0e/,
    },
  ];

  it("are replaced by the CLI's own, which name what to type, not an option of core's", () => {
    for (const { error, cli } of cases) {
      // Why the CLI has its own: core speaks to programs.
      expect(error.hint).toMatch(CODE_LEVEL);
      const line = describeError(error, false);
      expect(line).toMatch(cli);
      expect(line.split("\n")[1]).not.toMatch(CODE_LEVEL);
      expect(line).not.toContain(error.hint);
    }
  });

  it("a login that has ended names the login command of this run's profile", () => {
    const ended = new ReauthenticationRequiredError(
      "Monzo refused the refresh token: the login has ended",
      "Log in again (monzo login).",
    );
    expect(cliHint(ended, "monzo login --profile work")).toBe("Log in again (monzo login --profile work).");
    expect(describeError(ended, false, "monzo login --profile work")).toContain(
      "→ Log in again (monzo login --profile work).",
    );
    expect(describeError(ended, false)).toContain("→ Log in again (monzo login).");
  });

  it("leaves every other hint as core wrote it", () => {
    const other = new ReauthenticationRequiredError("No Monzo tokens are stored", "Call setTokens first.");
    expect(cliHint(other, "monzo login")).toBe("Call setTokens first.");
    expect(cliHint(new TimeoutError("x"), "monzo login")).not.toBe(new TimeoutError("x").hint);
  });
});

describe("a 404", () => {
  const notFound = (path: string, code = "not_found") =>
    errorFromResponse({
      status: 404,
      body: { code, message: `No endpoint at ${path}` },
      requestId: undefined,
      retryAfter: undefined,
      method: "GET",
      path,
    });

  it("on a path without an id points at the API URL, not at an id nobody gave", () => {
    for (const path of ["/ping/whoami", "/accounts", "/balance", "/pots?current_account_id"]) {
      const line = describeError(notFound(path), false);
      expect(line).not.toContain("Check the id");
      expect(line).toMatch(/API URL/);
      expect(line).toContain("monzo config");
    }
    // Not Monzo at all (a plain 404 page, no code): the same.
    expect(describeError(notFound("/ping/whoami", ""), false)).toMatch(/API URL/);
  });

  it("on a path or query with an id still says to check the id", () => {
    for (const path of [
      "/transactions/tx_00008zIcpb1TB4yeIFXMzx",
      "/pots/pot_0000778xxfgh4iu8z83nWb/deposit",
      "/balance?account_id=acc_00009237aqC8c5umZmrRdh",
    ])
      expect(describeError(notFound(path), false)).toContain("Check the id");
  });

  it("monzo whoami at an API URL with a path in it (the emulator): exit 6 and the API URL hint", async () => {
    const { run, emu } = await loggedIn("hints-404");
    try {
      const r = await run(["--api-url", `${emu.url}/some/path`, "whoami"]);
      expect(r.code).toBe(EXIT.notFound);
      expect(r.err).toContain("404 not_found");
      expect(r.err).not.toContain("Check the id");
      expect(r.err).toMatch(/→ .*API URL/);
    } finally {
      await emu.close();
    }
  });
});
