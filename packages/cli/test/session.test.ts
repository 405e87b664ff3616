import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/main.js";
import { debugFetch } from "../src/session.js";
import { fakeIo, tempHome } from "./helpers.js";

describe("--debug output", () => {
  it("never shows a broker's collection handle or confirmation, nor a token in a body", async () => {
    const { io, stderr } = fakeIo();
    const id = "broker-poll-handle-0123456789abcdefghijklmn";
    const confirm = "broker-confirmation-0123456789abcdefghijkl";
    const inner = (async () => new Response("{}", { status: 202 })) as typeof fetch;
    const traced = debugFetch(io, inner);
    await traced(`https://broker.example/token?id=${id}&confirm=${confirm}&wait=25`);
    await traced(`https://broker.example/new?return_to=${encodeURIComponent("http://127.0.0.1:1/x")}`, {
      method: "POST",
    });
    await traced("https://api.monzo.com/balance?account_id=acc_0001");
    const inner2 = (async () => {
      throw new Error(`connect ECONNREFUSED for /token?id=${id}`);
    }) as typeof fetch;
    await debugFetch(io, inner2)(`https://broker.example/token?id=${id}`).catch(() => {});
    const text = stderr();
    expect(text).not.toContain(id);
    expect(text).not.toContain(confirm);
    expect(text).toContain("/token?id=[redacted]&confirm=[redacted]&wait=25");
    // Everything else stays readable.
    expect(text).toContain("account_id=acc_0001");
    expect(text).toContain("return_to=");
  });
});

describe("the configured client secret", () => {
  it("is masked in every output for the life of the process, though it does not look like a token", async () => {
    // Not `mnzconf.`-shaped and never after `client_secret=`: only registering it can mask it.
    const secret = "Plain-Configured-Secret-4f7c2a";
    // An API that echoes it back in its error text, as a misbehaving server or proxy might.
    const api = createServer((_req, res) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: "bad_request.bad_param", message: `unknown client ${secret} here` }));
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    try {
      const home = await tempHome();
      await mkdir(join(home, "tokens"), { recursive: true, mode: 0o700 });
      await writeFile(
        join(home, "tokens", "default.json"),
        JSON.stringify({
          accessToken: "access-token-0001",
          expiresAt: Date.now() + 3_600_000,
          userId: "user_1",
          clientId: "oauth2client_0001",
        }),
        { mode: 0o600 },
      );
      const env = {
        MONZOKIT_HOME: home,
        MONZO_TOKEN_STORE: "file",
        MONZO_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
        MONZO_CLIENT_ID: "oauth2client_0001",
        MONZO_CLIENT_SECRET: secret,
      };
      for (const argv of [["accounts"], ["accounts", "--debug"]]) {
        const t = fakeIo(env, { cwd: home });
        expect(await main(argv, t.io), t.stderr()).toBe(1);
        expect(t.stderr()).toContain("unknown client [redacted] here");
        expect(t.stderr()).not.toContain(secret);
      }
    } finally {
      api.close();
    }
  });
});
