import { describe, expect, it } from "vitest";
import { EXIT } from "../src/errors.js";
import { parsePasted } from "../src/login/flow.js";
import { main } from "../src/main.js";
import { fakeIo, tempHome } from "./helpers.js";

describe("monzo (in-process)", () => {
  it("prints help and version", async () => {
    const f = fakeIo();
    expect(await main(["--help"], f.io)).toBe(0);
    expect(f.stdout()).toContain("transactions");
    const v = fakeIo();
    expect(await main(["--version"], v.io)).toBe(0);
    expect(v.stdout()).toMatch(/^\d+\.\d+\.\d+\n$/);
    const h = fakeIo();
    expect(await main(["pots", "deposit", "--help"], h.io)).toBe(0);
    expect(h.stdout()).toContain("dedupe-id");
  });

  it("turns mistakes into one line with a fix and exit 2, no stack trace", async () => {
    for (const argv of [
      ["nope"],
      ["pots"],
      ["pots", "nope"],
      ["pots", "deposit"],
      ["balance", "--bogus"],
      ["transactions", "list", "--limit", "500"],
    ]) {
      const f = fakeIo({ MONZOKIT_HOME: await tempHome() });
      const code = await main(argv, f.io);
      expect({ argv, code }).toEqual({ argv, code: EXIT.usage });
      expect(f.stderr()).toMatch(/^error: .+\n {2}→ .+\n$/);
    }
  });

  it("without a login, data commands name monzo login (exit 3)", async () => {
    const f = fakeIo({ MONZOKIT_HOME: await tempHome() });
    expect(await main(["balance", "--profile", "work"], f.io)).toBe(EXIT.config);
    expect(f.stderr()).toContain("monzo login --profile work");
  });

  it("login without a terminal and without credentials fails fast naming the missing settings", async () => {
    const f = fakeIo({ MONZOKIT_HOME: await tempHome() });
    expect(await main(["login", "--manual"], f.io)).toBe(EXIT.config);
    expect(f.stderr()).toContain("MONZO_CLIENT_ID");
    expect(f.stderr()).toContain("MONZO_CLIENT_SECRET");
  });

  it("accepts a pasted URL, query, or code and state", () => {
    expect(parsePasted("  http://localhost:6600/callback?code=a&state=b ")).toBe(
      "http://localhost:6600/callback?code=a&state=b",
    );
    expect(parsePasted("abc def")).toBe("?code=abc&state=def");
  });
});
