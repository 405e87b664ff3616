/**
 * A browser app with no client secret (examples/browser-app: BrokerLogin from core, bundled for the browser
 * with esbuild) in real headless Chromium, served from its own loopback origin, against the broker
 * (BROKER_CORS_ORIGINS = that origin) and the emulator, each on a real loopback port.
 */
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createEmulator, type Emulator } from "@monzokit/emulator";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../test-support/chromium.js";
import { createBrokerApp, MemorySessionStore } from "../src/index.js";
import { CLIENT, config } from "./helpers.js";

const EXAMPLE = new URL("../../../examples/browser-app/", import.meta.url);
const closers: (() => Promise<void> | void)[] = [];
let browser: Awaited<ReturnType<typeof launchChromium>>;
let e: Emulator;
let emuUrl: string;
let brokerUrl: string;
let pageUrl: string;
let strangerUrl: string;
let html: string;
let script: string;

type Fetch = (request: Request) => Response | Promise<Response>;

/** Serves `fetch` on a free loopback port; `fetch` may be set after the port is known. */
async function listen(handler: { fetch: Fetch }): Promise<string> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: (request) => handler.fetch(request), port: 0, hostname: "127.0.0.1" }, () =>
      resolve(s),
    );
  });
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The example page with this run's broker and API in its config block, under a strict CSP. */
function pageServer(): { fetch: Fetch } {
  return {
    fetch: (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/app.js")
        return new Response(script, { headers: { "content-type": "text/javascript; charset=utf-8" } });
      if (path !== "/") return new Response("not found", { status: 404 });
      return new Response(html, {
        headers: {
          "content-type": "text/html; charset=utf-8",
          // No eval, no inline script, and connections to the broker and the API only.
          "content-security-policy": `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src ${brokerUrl} ${emuUrl}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        },
      });
    },
  };
}

async function counters(): Promise<Record<string, number>> {
  return (await (await e.app.request("/_emulator/counters")).json()) as Record<string, number>;
}

beforeAll(async () => {
  const emuHandler: { fetch: Fetch } = { fetch: () => new Response(null, { status: 503 }) };
  const brokerHandler: { fetch: Fetch } = { fetch: () => new Response(null, { status: 503 }) };
  const page = pageServer();
  emuUrl = await listen(emuHandler);
  brokerUrl = await listen(brokerHandler);
  pageUrl = await listen(page);
  strangerUrl = await listen(pageServer());
  // The emulator's own opt-in CORS (--cors ORIGINS), for the app's origin only, as Monzo would need to.
  e = createEmulator({
    seed: "browser-app",
    transactions: 100,
    baseUrl: emuUrl,
    cors: { origins: [pageUrl] },
  });
  closers.push(() => e.close());
  emuHandler.fetch = (request) => e.app.fetch(request);
  e.control.addClient({
    id: CLIENT.id,
    secret: CLIENT.secret,
    redirectUris: [`${brokerUrl}/callback`],
    confidential: true,
    name: "Browser app",
  });
  const broker = createBrokerApp({
    config: config({
      publicUrl: brokerUrl,
      authUrl: `${emuUrl}/auth/`,
      apiUrl: emuUrl,
      corsOrigins: [pageUrl],
    }),
    store: new MemorySessionStore(),
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });
  brokerHandler.fetch = (request) => broker.fetch(request);

  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("app.ts", EXAMPLE))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  script = bundle.outputFiles[0]!.text;
  html = (await readFile(new URL("index.html", EXAMPLE), "utf8")).replace(
    /(<script type="application\/json" id="monzokit-config">)[\s\S]*?(<\/script>)/,
    `$1${JSON.stringify({ brokerUrl, apiUrl: emuUrl })}$2`,
  );
  browser = await launchChromium();
  closers.push(() => browser.close());
}, 60_000);

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function logIn(page: Page): Promise<void> {
  await page.click("#login");
  await page.waitForSelector("#login-link");
  // The person follows the link to Monzo's login page in a new tab and presses Allow there.
  const [monzo] = await Promise.all([browser.context.waitForEvent("page"), page.click("#login-link")]);
  await monzo.waitForSelector("#allow");
  await monzo.click("#allow");
  // The broker sends that tab back to the app's own page with the one-time confirmation, which the page
  // hands to the tab that started the login and takes off its address bar.
  await monzo.waitForFunction(() => document.querySelector("#status")?.textContent?.startsWith("Logged in"));
  expect(monzo.url()).toBe(`${pageUrl}/`);
  await monzo.close();
  await page.waitForFunction(() => document.querySelector("#status")?.textContent?.includes("Monzo app"));
  // …then approves the login in the Monzo app.
  const app = await browser.context.newPage();
  await app.goto(`${emuUrl}/auth/app`);
  await app.click("button.approve");
  await app.waitForSelector("#notice");
  await app.close();
  await page.waitForSelector("#accounts:not([hidden]) tbody tr");
}

describe("a browser app through the broker", () => {
  it("logs in, lists accounts and refreshes — the client secret is never in the page or its traffic", async () => {
    const page = await browser.context.newPage();
    const requests: { url: string; method: string; body: string | null }[] = [];
    page.on("request", (r) => requests.push({ url: r.url(), method: r.method(), body: r.postData() }));
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    await page.goto(pageUrl);
    await logIn(page);

    // What GET /accounts gives the user who logged in (the login page's first user).
    const token = e.control.token({ userId: [...e.state.bank.users.keys()][0]! });
    const listed = (await (
      await e.app.request("/accounts", { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { accounts: { description: string }[] };
    const expected = listed.accounts.map((a) => a.description);
    const rows = await page.$$eval("#accounts tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")),
    );
    expect(rows.map((r) => r[0]).sort()).toEqual([...expected].sort());
    expect(rows.find((r) => r[1] === "uk_retail")?.[2]).toMatch(/£[\d,]+\.\d\d/);

    const before = (await counters())["refreshes"]!;
    await page.click("#refresh");
    await page.waitForFunction(() => document.querySelector("#status")?.textContent?.includes("refreshed"));
    expect((await counters())["refreshes"]).toBe(before + 1);
    expect(await page.textContent("#error")).toBe("");

    // The secret lives in the broker only: not in the page, its script, any request it made, or storage.
    expect(html).not.toContain(CLIENT.secret);
    expect(script).not.toContain(CLIENT.secret);
    for (const r of requests) expect(`${r.url} ${r.body ?? ""}`).not.toContain(CLIENT.secret);
    expect(requests.filter((r) => r.url.includes("/oauth2/token"))).toEqual([]);
    expect(requests.some((r) => r.url === `${brokerUrl}/refresh` && r.method === "POST")).toBe(true);
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    expect(problems.filter((p) => !/403|Forbidden/.test(p))).toEqual([]);
    await page.close();
  });

  it("a login link someone else started for the app's origin, opened by the person, gives its sender nothing", async () => {
    // The sender asks for a login bound to the app's page (an origin the broker allows) and sends the link.
    const started = await fetch(`${brokerUrl}/new?return_to=${encodeURIComponent(`${pageUrl}/`)}`, {
      method: "POST",
    });
    expect(started.status).toBe(201);
    const { id, login_url } = (await started.json()) as { id: string; login_url: string };
    // The person opens it and presses Allow: their browser goes back to the app's page, in *their* browser.
    const victim = await browser.context.newPage();
    await victim.goto(login_url);
    await victim.click("#allow");
    await victim.waitForFunction(() =>
      document.querySelector("#status")?.textContent?.startsWith("Logged in"),
    );
    await victim.close();
    // The sender holds the id but not the confirmation: waiting, then a guess, gets no tokens.
    const waiting = await fetch(`${brokerUrl}/token?id=${id}`);
    expect(waiting.status).toBe(202);
    expect(((await waiting.json()) as { status: string }).status).toBe("awaiting_confirmation");
    const guess = await fetch(`${brokerUrl}/token?id=${id}&confirm=${"A".repeat(43)}`);
    expect(guess.status).toBe(403);
    expect(await guess.text()).not.toMatch(/access_token/);
  });

  it("return_to names only a listed origin or loopback: another origin, plain http elsewhere, no path or a query is refused", async () => {
    // (Any loopback address stays open to desktop apps, which listen there themselves.)
    for (const returnTo of [
      "https://other.example/",
      `${pageUrl}/?x=1`,
      `${pageUrl}`,
      "http://evil.example/",
    ]) {
      const res = await fetch(`${brokerUrl}/new?return_to=${encodeURIComponent(returnTo)}`, {
        method: "POST",
      });
      expect({ returnTo, status: res.status }).toEqual({ returnTo, status: 400 });
      expect(((await res.json()) as { error: string }).error).toBe("invalid_return_to");
    }
  });

  it("a page from an origin the broker does not list gets nothing back from it", async () => {
    const page = await browser.context.newPage();
    await page.goto(strangerUrl);
    await page.click("#login");
    await page.waitForFunction(() => (document.querySelector("#error")?.textContent ?? "") !== "");
    expect(await page.textContent("#error")).toMatch(/Cannot reach the broker/);
    expect(await page.isHidden("#login-link")).toBe(true);
    await page.close();
  });
});
