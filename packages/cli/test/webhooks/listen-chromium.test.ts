/**
 * `monzo webhooks listen` against a real web page: headless Chromium on another loopback origin that knows
 * the receiver's secret URL (the worst case: it leaked, or the page guessed a stable MONZO_WEBHOOK_SECRET)
 * posts fake events the ways a page can without a CORS preflight. None may be taken or printed.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../../test-support/chromium.js";
import { startListener } from "../../src/webhooks/listen.js";
import { fakeIo } from "../helpers.js";

let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Server;
let pageUrl: string;
beforeAll(async () => {
  browser = await launchChromium();
  page = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>a page you have open</title><iframe name=sink></iframe>");
  });
  await new Promise<void>((r) => page.listen(0, "127.0.0.1", r));
  pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => page?.close(r));
});

const FAKE = JSON.stringify({
  type: "transaction.created",
  data: {
    id: "tx_0000fake",
    account_id: "acc_0000fake",
    amount: -99999,
    currency: "GBP",
    description: "fake",
  },
});

describe("webhooks listen and a web page", () => {
  it("a page on another origin cannot post an event: text/plain, a form, or a body without a type", async () => {
    const t = fakeIo({ MONZO_WEBHOOK_SECRET: "a-stable-secret-the-page-knows-0123456789" });
    const listener = await startListener({ io: t.io, port: 0 });
    try {
      const tab = await browser.context.newPage();
      const statuses: number[] = [];
      tab.on("response", (r) => {
        if (r.url() === listener.localUrl) statuses.push(r.status());
      });
      await tab.goto(pageUrl);
      await tab.evaluate(
        async ({ url, body }) => {
          for (const type of ["text/plain", "application/x-www-form-urlencoded", ""])
            await fetch(url, {
              method: "POST",
              mode: "no-cors",
              body: type ? new Blob([body], { type }) : new Blob([body]),
            }).catch(() => {});
          // A form posting the JSON as text/plain: `name=value` with the '=' hidden inside the JSON.
          const form = document.createElement("form");
          form.method = "post";
          form.action = url;
          form.target = "sink";
          form.enctype = "text/plain";
          const input = document.createElement("input");
          input.name = body.slice(0, -2);
          input.value = '"}';
          form.append(input);
          document.body.append(form);
          form.submit();
        },
        { url: listener.localUrl, body: FAKE },
      );
      await tab.waitForResponse((r) => r.url() === listener.localUrl && r.request().method() === "POST");
      await tab.close();
      // Three fetches and the form, each refused as a browser's.
      expect(statuses).toEqual([403, 403, 403, 403]);
      expect(t.stdout()).toBe("");
      expect(t.stderr()).toContain("sent by a web browser (403)");
      // The same body from something that is not a browser gets past that check (and is judged on its own).
      const direct = await fetch(listener.localUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: FAKE,
      });
      expect(direct.status).not.toBe(403);
    } finally {
      await listener.close();
    }
  }, 60_000);
});
