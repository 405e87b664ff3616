import { afterEach, describe, expect, it } from "vitest";
import { EmulatorStartError, type RunningEmulator, serveEmulator } from "../src/index.js";

const running: RunningEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()));
});

async function start(...args: Parameters<typeof serveEmulator>) {
  const r = await serveEmulator(...args);
  running.push(r);
  return r;
}

describe("serveEmulator", () => {
  it("serves the API, the pages and the control API on a loopback port", async () => {
    const r = await start({ seed: 3, transactions: 100 });
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const who = await fetch(`${r.url}/ping/whoami`);
    expect(who.status).toBe(401);
    expect(((await who.json()) as { code: string }).code).toBe("unauthorized.auth_required");
    expect((await fetch(`${r.url}/_emulator/counters`)).status).toBe(200);
    expect((await fetch(`${r.authUrl}app`)).headers.get("content-type")).toMatch(/text\/html/);
  });

  it("hands out upload URLs on its own origin", async () => {
    const r = await start({ transactions: 50 });
    const token = (
      (await (await fetch(`${r.url}/_emulator/tokens`, { method: "POST", body: "{}" })).json()) as {
        access_token: string;
      }
    ).access_token;
    const up = await fetch(`${r.url}/attachment/upload`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-www-form-urlencoded" },
      body: "file_name=a.png&file_type=image/png&content_length=3",
    });
    const body = (await up.json()) as { upload_url: string; file_url: string };
    expect(body.file_url.startsWith(`${r.url}/_storage/`)).toBe(true);
    expect((await fetch(body.upload_url, { method: "PUT", body: "abc" })).status).toBe(200);
    expect(await (await fetch(body.file_url)).text()).toBe("abc");
  });

  it("drops the TCP connection for a reset fault", async () => {
    const r = await start({
      transactions: 50,
      faults: { rules: [{ kind: "reset", route: "/ping/whoami", count: 1 }] },
    });
    await expect(fetch(`${r.url}/ping/whoami`)).rejects.toThrow(TypeError);
    expect((await fetch(`${r.url}/ping/whoami`)).status).toBe(401);
  });

  it("refuses to expose the control API beyond loopback unless asked", async () => {
    await expect(serveEmulator({}, { host: "0.0.0.0" })).rejects.toThrow(EmulatorStartError);
    await expect(serveEmulator({}, { host: "0.0.0.0" })).rejects.toThrow(/--allow-remote-control/);
  });

  it("names the port when it is taken", async () => {
    const r = await start({ transactions: 10 });
    await expect(serveEmulator({ transactions: 10 }, { port: r.port })).rejects.toThrow(
      `Port ${r.port} on 127.0.0.1 is already in use`,
    );
  });
});
