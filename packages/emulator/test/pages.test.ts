/**
 * The login/consent page and the in-app approval page, clicked through by real headless Chromium:
 * Allow → redirect to a real loopback callback server → code exchange → Approve in "the app" → data.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../test-support/chromium.js";
import { type RunningEmulator, serveEmulator } from "../src/index.js";

let emu: RunningEmulator;
let callback: Server;
let callbackUrl: string;
const hits: URL[] = [];
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  emu = await serveEmulator({ seed: "browser", transactions: 200 });
  callback = createServer((req, res) => {
    const url = new URL(req.url!, "http://localhost");
    if (url.pathname === "/callback") hits.push(url);
    res.setHeader("content-type", "text/html");
    res.end("<h1>Back in the app</h1>");
  });
  await new Promise<void>((r) => callback.listen(0, "127.0.0.1", r));
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => callback?.close(r));
  await emu?.close();
});

async function registerClient() {
  const res = await fetch(`${emu.url}/_emulator/clients`, {
    method: "POST",
    body: JSON.stringify({ name: "Browser test app", redirect_uris: [callbackUrl] }),
  });
  return ((await res.json()) as { client: { id: string; secret: string } }).client;
}

describe("consent and approval pages in a real browser", () => {
  it("Allow redirects with code and state; Approve unlocks the same token", async () => {
    const client = await registerClient();
    const page = await browser.context.newPage();
    const q = new URLSearchParams({
      client_id: client.id,
      redirect_uri: callbackUrl,
      response_type: "code",
      state: "st-42",
    });
    await page.goto(`${emu.authUrl}?${q}`);
    expect(await page.textContent("body")).toContain("Browser test app");
    await page.click("#allow");
    await page.waitForURL(/\/callback\?/);
    expect(await page.textContent("h1")).toBe("Back in the app");
    const hit = hits.at(-1)!;
    expect(hit.searchParams.get("state")).toBe("st-42");
    const code = hit.searchParams.get("code")!;

    const token = (await (
      await fetch(`${emu.url}/oauth2/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "authorization_code",
          client_id: client.id,
          client_secret: client.secret,
          redirect_uri: callbackUrl,
          code,
        }),
      })
    ).json()) as { access_token: string };
    const accounts = () =>
      fetch(`${emu.url}/accounts`, { headers: { authorization: `Bearer ${token.access_token}` } });
    expect((await accounts()).status).toBe(403);

    await page.goto(`${emu.authUrl}app`);
    expect(await page.textContent("body")).toContain("Browser test app");
    await page.click("button.approve");
    await page.waitForSelector("#notice");
    expect(await page.textContent("#notice")).toContain("Approved");
    expect(await page.textContent("#empty")).toContain("Nothing is waiting");
    expect((await accounts()).status).toBe(200);
    await page.close();
  });

  it("Deny redirects with error=access_denied and no code", async () => {
    const client = await registerClient();
    const page = await browser.context.newPage();
    const q = new URLSearchParams({
      client_id: client.id,
      redirect_uri: callbackUrl,
      response_type: "code",
      state: "st-deny",
    });
    await page.goto(`${emu.authUrl}?${q}`);
    await page.click("#deny");
    await page.waitForURL(/\/callback\?/);
    const hit = hits.at(-1)!;
    expect(hit.searchParams.get("error")).toBe("access_denied");
    expect(hit.searchParams.get("state")).toBe("st-deny");
    expect(hit.searchParams.has("code")).toBe(false);
    await page.close();
  });

  it("a redirect URI mismatch shows an error page and stays put", async () => {
    const client = await registerClient();
    const page = await browser.context.newPage();
    const q = new URLSearchParams({
      client_id: client.id,
      redirect_uri: "http://127.0.0.1:1/elsewhere",
      response_type: "code",
    });
    const response = await page.goto(`${emu.authUrl}?${q}`);
    expect(response?.status()).toBe(400);
    expect(await page.textContent("#error")).toBe("Redirect URL not registered");
    expect(page.url().startsWith(emu.authUrl)).toBe(true);
    await page.close();
  });
});
