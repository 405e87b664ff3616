import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const run = (args: string[], env: Record<string, string> = {}, input?: string) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "", ...env },
    ...(input === undefined ? {} : { input }),
  });

describe("monzo-broker", () => {
  it("gen-key and encrypt-secret produce what the server reads", () => {
    const key = run(["gen-key"]).stdout.trim();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const sealed = run(["encrypt-secret"], { BROKER_KEY: key }, "mnzconf.from-stdin");
    expect(sealed.status).toBe(0);
    expect(sealed.stdout).toMatch(/^v1\./);
    expect(sealed.stdout).not.toContain("from-stdin");
    expect(run(["encrypt-secret"], {}, "x").status).toBe(2);
  });

  it("fails fast with one line per bad setting, no stack trace", () => {
    const r = run([], { PORT: "nope" });
    expect(r.status).toBe(2);
    for (const name of ["MONZO_CLIENT_ID", "MONZO_CLIENT_SECRET", "BROKER_PUBLIC_URL", "PORT"])
      expect(r.stderr).toContain(`${name}:`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("serves and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [BIN], {
      env: {
        PATH: process.env["PATH"] ?? "",
        MONZO_CLIENT_ID: "c",
        MONZO_CLIENT_SECRET: "mnzconf.s",
        BROKER_PUBLIC_URL: "https://b.example",
        PORT: "0",
        LOG_LEVEL: "silent",
      },
    });
    const url = await new Promise<string>((resolve, reject) => {
      let err = "";
      child.stderr.on("data", (d: Buffer) => {
        err += d;
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const exit = new Promise<number | null>((r) => child.once("exit", r));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });
});
