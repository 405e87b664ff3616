/**
 * Secrets given without a terminal come through `Io.stdinLine` (piped in: `printf %s "$SECRET" | monzo …`),
 * so the CLI runs in-process here with its standard input faked.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { redact } from "@monzokit/core";
import { serveEmulator } from "@monzokit/emulator";
import { describe, expect, it } from "vitest";
import { readSecret } from "../../src/config/secret-input.js";
import { EXIT, UsageError } from "../../src/errors.js";
import { main } from "../../src/main.js";
import { fakeIo, stdinOf, tempHome } from "../helpers.js";

describe("secrets from standard input", () => {
  it("readSecret takes the first line piped in, trimmed; nothing piped is a usage error saying how", async () => {
    const piped = fakeIo({}, { stdinLine: stdinOf("  piped-secret-0123456789 \nnext line\n") });
    expect(await readSecret(piped.io, "Client secret", "--client-secret")).toBe("piped-secret-0123456789");
    const empty = fakeIo();
    const error = await readSecret(empty.io, "Client secret", "--client-secret").catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe("No client secret was given");
    expect(error.hint).toContain('printf %s "$VALUE" | monzo … --client-secret');
  });

  it("a secret read is masked in every later output of the process, though it does not look like a token", async () => {
    const secret = "Typed-Secret-Not-Token-Shaped-77";
    expect(redact(`echoed ${secret}`)).toBe(`echoed ${secret}`);
    const piped = fakeIo({}, { stdinLine: stdinOf(secret) });
    await readSecret(piped.io, "Client secret", "--client-secret");
    expect(redact(`echoed ${secret}`)).toBe("echoed [redacted]");
  });

  it("monzo config set clientSecret saves the piped secret in the 0600 profile, and never prints it", async () => {
    const home = await tempHome();
    const secret = "piped-client-secret-0123456789";
    const t = fakeIo({ MONZOKIT_HOME: home }, { cwd: home, stdinLine: stdinOf(`${secret}\n`) });
    expect(await main(["config", "set", "clientSecret"], t.io), t.stderr()).toBe(EXIT.ok);
    const path = join(home, "profiles", "default.json");
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ clientSecret: secret });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(t.stdout() + t.stderr()).not.toContain(secret);
  });

  it("monzo login --access-token stores the playground token piped in, checked against the API", async () => {
    const emu = await serveEmulator({ seed: "cli-secret-input", transactions: 10 }, { port: 0 });
    try {
      const home = await tempHome();
      const token = emu.emulator.control.token({ ttlSeconds: 3600 });
      const t = fakeIo(
        { MONZOKIT_HOME: home, MONZO_API_URL: emu.url, MONZO_TOKEN_STORE: "file" },
        { cwd: home, stdinLine: stdinOf(`${token}\n`) },
      );
      expect(await main(["login", "--access-token"], t.io), t.stderr()).toBe(EXIT.ok);
      const saved = JSON.parse(await readFile(join(home, "tokens", "default.json"), "utf8"));
      expect(saved.accessToken).toBe(token);
      expect(t.stderr()).toMatch(/Stored the access token for user_\w+/);
      expect(t.stdout() + t.stderr()).not.toContain(token);
    } finally {
      await emu.close();
    }
  });
});
