/** `monzo emulator` offers what `monzo-emulator` offers: the same flags, checks, messages and output. */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { EMULATOR_FLAGS } from "@monzokit/emulator";
import { describe, expect, it } from "vitest";

const MONZO = fileURLToPath(new URL("../../bin/monzo.js", import.meta.url));
const EMULATOR = fileURLToPath(new URL("../../../emulator/bin/monzo-emulator.js", import.meta.url));
const env = { PATH: process.env["PATH"] ?? "", NO_COLOR: "1" };

async function firstLine(args: string[]): Promise<{ line: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d;
    });
    child.once("exit", (code) => reject(new Error(`exited early with ${code}: ${err}`)));
  });
  return {
    line,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}

describe("monzo emulator", () => {
  it("takes monzo-emulator's options and prints the same connection details", async () => {
    const flags = [
      "--port",
      "0",
      "--json",
      "--seed",
      "parity",
      "--transactions",
      "30",
      "--auto-consent",
      "--auto-approve",
      "--fault",
      "503:/balance",
      "--fault",
      "429:/pots",
      "--no-control",
      "--settle-after",
      "60",
      "--cors",
      "http://localhost:5173",
    ];
    const cli = await firstLine([MONZO, "emulator", ...flags]);
    const own = await firstLine([EMULATOR, ...flags]);
    try {
      const a = JSON.parse(cli.line) as Record<string, unknown>;
      const b = JSON.parse(own.line) as Record<string, unknown>;
      const strip = (info: Record<string, unknown>) =>
        JSON.stringify(info).replaceAll(String(info["api_url"]), "URL");
      expect(strip(a)).toBe(strip(b));
      expect(a).toMatchObject({
        seed: "parity",
        transactions: 30,
        control_url: null,
        cors_origins: ["http://localhost:5173"],
      });
      // Both faults arrived (a repeated flag), and --auto-consent redirects straight back with a code.
      expect((await fetch(`${a["api_url"]}/balance?account_id=x`)).status).toBe(503);
      expect((await fetch(`${a["api_url"]}/pots?current_account_id=x`)).status).toBe(429);
      const q = new URLSearchParams({
        client_id: String(a["client_id"]),
        redirect_uri: String(a["redirect_uri"]),
        response_type: "code",
        state: "s",
      });
      expect((await fetch(`${a["auth_url"]}?${q}`, { redirect: "manual" })).status).toBe(302);
    } finally {
      expect(await cli.stop()).toBe(0);
      await own.stop();
    }
  });

  it("lists every option of monzo-emulator in its help", () => {
    const r = spawnSync(process.execPath, [MONZO, "emulator", "--help"], { env, encoding: "utf8" });
    expect(r.status).toBe(0);
    for (const f of EMULATOR_FLAGS)
      expect(r.stdout).toContain(f.negatable ? `--no-${f.name}` : `--${f.name}`);
  });

  it("refuses a bad value with monzo-emulator's message and the usage exit code", () => {
    const monzo = (args: string[]) =>
      spawnSync(process.execPath, [MONZO, "emulator", ...args], { env, encoding: "utf8" });
    for (const args of [
      ["--fault", "418"],
      ["--port", "http"],
      ["--years", "99"],
      ["--settle-after", "soon"],
      ["--cors", "*"],
    ]) {
      const cli = monzo(args);
      const own = spawnSync(process.execPath, [EMULATOR, ...args], { env, encoding: "utf8" });
      expect(cli.status, args.join(" ")).toBe(2);
      expect(own.status, args.join(" ")).toBe(2);
      const message = own.stderr.split("\n")[0]!.replace(/^monzo-emulator: /, "");
      expect(cli.stderr).toContain(message);
      expect(cli.stderr).not.toMatch(/\n\s+at /);
    }
    // What the parser itself refuses: the usage exit code and the word, whatever the parser's wording.
    for (const [args, word] of [
      [["--bogus"], "--bogus"],
      [["stray"], "stray"],
    ] as const) {
      const cli = monzo([...args]);
      expect(cli.status, word).toBe(2);
      expect(cli.stderr).toContain(word);
      expect(cli.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
