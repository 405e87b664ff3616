/**
 * The login/consent page and the in-app approval page, clicked through by real headless Chromium:
 * Allow → redirect to a real loopback callback server → code exchange → Approve in "the app" → data.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
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

/**
 * WCAG AA from what Chromium renders: for every element with text of its own, its computed colour against
 * the first opaque background behind it (4.5:1); for each button, its edge against what surrounds it
 * (3:1, WCAG 1.4.11), and nothing that makes it look disabled.
 */
async function contrast(page: Page) {
  return page.evaluate(() => {
    const rgb = (css: string) => {
      const parts = (/rgba?\(([^)]+)\)/.exec(css)?.[1] ?? "0,0,0,0")
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(Number);
      return { r: parts[0]!, g: parts[1]!, b: parts[2]!, a: parts[3] ?? 1 };
    };
    const luminance = (c: { r: number; g: number; b: number }) => {
      const lin = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
    };
    const ratio = (a: { r: number; g: number; b: number }, b: { r: number; g: number; b: number }) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
      return (hi + 0.05) / (lo + 0.05);
    };
    const background = (el: Element | null): { r: number; g: number; b: number } => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.a > 0) return c;
      }
      return { r: 255, g: 255, b: 255 };
    };
    const texts: { text: string; ratio: number }[] = [];
    for (const el of document.body.querySelectorAll("*")) {
      const own = [...el.childNodes].some(
        (n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim() !== "",
      );
      if (!own) continue;
      const style = getComputedStyle(el);
      texts.push({
        text: `${el.tagName} ${el.textContent!.trim().slice(0, 40)}`,
        ratio: ratio(rgb(style.color), background(el)),
      });
    }
    const buttons = [...document.querySelectorAll("button")].map((b) => {
      const style = getComputedStyle(b);
      const around = background(b.parentElement);
      return {
        text: b.textContent!.trim(),
        edge: Math.max(ratio(rgb(style.borderTopColor), around), ratio(background(b), around)),
        opacity: Number(style.opacity),
        cursor: style.cursor,
        disabled: b.disabled,
      };
    });
    const viewport = document.querySelector('meta[name="viewport"]')?.getAttribute("content") ?? "";
    return { texts, buttons, viewport };
  });
}

async function expectAccessible(page: Page) {
  const { texts, buttons, viewport } = await contrast(page);
  expect(texts.length).toBeGreaterThan(0);
  expect(texts.filter((t) => t.ratio < 4.5)).toEqual([]);
  for (const b of buttons) {
    expect(b.edge, b.text).toBeGreaterThanOrEqual(3);
    expect(b).toMatchObject({ opacity: 1, cursor: "pointer", disabled: false });
  }
  expect(viewport).toContain("width=device-width");
  // Readable on a narrow phone: nothing wider than the screen.
  await page.setViewportSize({ width: 320, height: 640 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
  await page.setViewportSize({ width: 1280, height: 720 });
  return buttons;
}

describe("the pages are readable and honest", () => {
  it("login, approvals, notices and errors meet WCAG AA contrast and have a viewport; Deny and Decline look enabled", async () => {
    const client = await registerClient();
    const page = await browser.context.newPage();
    const q = new URLSearchParams({ client_id: client.id, redirect_uri: callbackUrl, response_type: "code" });
    await page.goto(`${emu.authUrl}?${q}`);
    const login = await expectAccessible(page);
    expect(login.map((b) => b.text)).toEqual(["Allow", "Deny"]);

    const control = emu.emulator.control;
    control.token({ approved: false });
    control.token({ approved: false });
    await page.goto(`${emu.authUrl}app`);
    const approvals = await expectAccessible(page);
    expect(approvals.map((b) => b.text)).toEqual(["Approve", "Decline", "Approve", "Decline"]);

    await page.click("button.decline");
    await page.waitForSelector("#notice");
    await expectAccessible(page);
    const declined = await page.evaluate(() => {
      const n = document.querySelector("#notice")!;
      return { text: n.textContent, className: n.className, background: getComputedStyle(n).backgroundColor };
    });
    expect(declined.text).toContain("Declined");
    expect(declined.className).not.toContain("success");
    // Not green: a decline is not a success.
    const [r, g, b] = (/(\d+), (\d+), (\d+)/.exec(declined.background) ?? []).slice(1).map(Number) as [
      number,
      number,
      number,
    ];
    expect(g > r && g > b).toBe(false);

    await page.click("button.approve");
    await page.waitForSelector("#notice");
    expect(await page.textContent("#notice")).toContain("Approved");
    expect(await page.getAttribute("#notice", "class")).toContain("success");

    await page.goto(`${emu.authUrl}?client_id=oauth2client_nope`);
    await expectAccessible(page);
    await page.close();
  });

  it("/auth/app?done= shows only the page's own messages, never text from the link", async () => {
    const page = await browser.context.newPage();
    const lure = "Your account is locked. Call 0800 000 0000 now";
    await page.goto(`${emu.authUrl}app?done=${encodeURIComponent(lure)}`);
    expect(await page.textContent("body")).not.toContain("0800");
    expect(await page.$("#notice")).toBeNull();
    await page.goto(`${emu.authUrl}app?done=declined`);
    expect(await page.textContent("#notice")).toBe("Declined. The app’s access was revoked.");
    await page.close();
  });
});
