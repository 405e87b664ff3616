import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

describe("monzo-emulator", () => {
  it("prints its connection details, serves, and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "--port", "0", "--transactions", "200", "--auto-consent", "--auto-approve", "--json"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d;
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    const info = JSON.parse(line) as Record<string, string>;
    expect(info).toMatchObject({
      client_id: "oauth2client_0000MonzokitDemo000001",
      redirect_uri: "http://localhost:6600/callback",
    });
    expect(info["auth_url"]).toBe(`${info["api_url"]}/auth/`);
    // --auto-consent: the login page redirects straight back with a code.
    const q = new URLSearchParams({
      client_id: info["client_id"]!,
      redirect_uri: info["redirect_uri"]!,
      response_type: "code",
      state: "abc",
    });
    const res = await fetch(`${info["auth_url"]}?${q}`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get("location")!).searchParams.get("state")).toBe("abc");
    const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });

  it("answers a bad flag with one line and exit 2, no stack trace", () => {
    for (const args of [
      ["--port", "http"],
      ["--fault", "418"],
      ["--bogus"],
      ["--clients", "/nonexistent.json"],
      ["--settle-after", "soon"],
      ["--cors", "*"],
      ["--cors", "http://localhost:5173/app"],
    ]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^monzo-emulator: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("prints help", () => {
    const r = spawnSync(process.execPath, [BIN, "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--auto-approve");
  });
});
