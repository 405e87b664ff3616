import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { browserUrlProblem, openInBrowser, showUrl } from "../src/browser.js";
import { ConfigError } from "../src/errors.js";
import { fakeIo, tempHome } from "./helpers.js";

describe("which addresses a browser may be sent to", () => {
  it("https anywhere, plain http only on this machine", () => {
    for (const ok of [
      "https://auth.monzo.com/?client_id=a&redirect_uri=http%3A%2F%2Flocalhost%3A6600%2Fcallback&state=s",
      "http://127.0.0.1:6601/auth/",
      "http://localhost:8080/login?id=1",
      "http://[::1]:9/",
    ])
      expect({ ok, problem: browserUrlProblem(ok) }).toEqual({ ok, problem: undefined });
    for (const bad of [
      "http://evil.example/",
      "http://127.0.0.1.evil.example/",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "ms-settings:",
      "not a url",
      '" & calc & "',
    ])
      expect({ bad, problem: browserUrlProblem(bad) }).toEqual({ bad, problem: expect.any(String) });
  });

  it("never lets through anything but https or loopback http (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.webUrl(), fc.string(), fc.constantFrom("file:", "data:", "ftp:")), (url) => {
        if (browserUrlProblem(url) !== undefined) return;
        const parsed = new URL(url);
        expect(
          parsed.protocol === "https:" ||
            (parsed.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(parsed.hostname)),
        ).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("showUrl", () => {
  it("prints the address and opens it", async () => {
    const opened: string[] = [];
    const f = fakeIo(
      {},
      {
        openBrowser: async (url) => {
          opened.push(url);
          return { opened: true };
        },
      },
    );
    const url = "https://auth.monzo.com/?client_id=c&state=s&redirect_uri=x";
    await showUrl(f.io, url, { intro: "Open this page", open: true, from: "MONZO_AUTH_URL" });
    expect(f.stderr()).toBe(`Open this page:\n\n  ${url}\n\n`);
    expect(opened).toEqual([url]);
  });

  it("says so when the browser could not be started, with the reason", async () => {
    const f = fakeIo({}, { openBrowser: async () => ({ opened: false, reason: "xdg-open exited with 3" }) });
    await showUrl(f.io, "https://auth.monzo.com/", { intro: "Open this page", open: true, from: "x" });
    expect(f.stderr()).toContain("  https://auth.monzo.com/\n");
    expect(f.stderr()).toContain(
      "Could not start a browser here (xdg-open exited with 3): open the address above yourself.\n",
    );
  });

  it("refuses an address that is neither https nor loopback, before printing or opening it", async () => {
    const opened: string[] = [];
    const f = fakeIo(
      {},
      {
        openBrowser: async (url) => {
          opened.push(url);
          return { opened: true };
        },
      },
    );
    const shown = showUrl(f.io, "http://evil.example/oauth2?state=s", {
      intro: "Open this page",
      open: true,
      from: "MONZO_AUTH_URL",
    });
    await expect(shown).rejects.toThrow(ConfigError);
    await expect(shown).rejects.toThrow(/plain http to evil.example/);
    expect(opened).toEqual([]);
    expect(f.stderr()).toBe("");
  });
});

describe("openInBrowser (the real `open` package and launcher)", () => {
  const saved = { ...process.env };
  let dir: string;
  beforeEach(async () => {
    dir = await tempHome();
    // No desktop: xdg-open falls back to $BROWSER, which these tests provide.
    for (const name of ["DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "DESKTOP_SESSION"])
      delete process.env[name];
  });
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  it.skipIf(process.platform !== "linux")(
    "hands the browser the exact URL, & and quotes included",
    async () => {
      const browser = join(dir, "browser.sh");
      await writeFile(browser, `#!/bin/sh\nprintf '%s' "$1" > "${join(dir, "got")}"\n`);
      await chmod(browser, 0o755);
      process.env["BROWSER"] = browser;
      const url = 'https://auth.monzo.com/?client_id=c&redirect_uri=http%3A%2F%2Flocalhost&state=a"b c';
      expect(await openInBrowser(url)).toEqual({ opened: true });
      expect(await readFile(join(dir, "got"), "utf8")).toBe(url);
    },
  );

  it.skipIf(process.platform !== "linux")("reports a launcher that fails", async () => {
    process.env["BROWSER"] = "/bin/false";
    const result = await openInBrowser("https://auth.monzo.com/");
    expect(result).toEqual({ opened: false, reason: expect.stringMatching(/xdg-open exited with [1-9]/) });
  });

  it("refuses a URL that is not https or loopback, without starting anything", async () => {
    process.env["BROWSER"] = "/nonexistent/never-run";
    expect(await openInBrowser("http://evil.example/")).toEqual({
      opened: false,
      reason: "refused to open it: it is plain http to evil.example, not https",
    });
  });
});
