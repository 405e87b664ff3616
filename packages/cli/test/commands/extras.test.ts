/**
 * `monzo webhooks listen` as a subprocess on a real loopback port: a web page in headless Chromium, on
 * another loopback origin, posting to it the ways a page can without a CORS preflight, and deliveries whose
 * text carries terminal escape sequences.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../../test-support/chromium.js";
import { tempHome } from "../helpers.js";

const BIN = fileURLToPath(new URL("../../dist/bundle/bin.js", import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Listener {
  child: ChildProcessWithoutNullStreams;
  url: string;
  out: () => string;
  err: () => string;
  stop: () => Promise<void>;
}

/** A stable secret path, so the test knows the URL (the listener takes it from the environment, never argv). */
const SECRET = "test-secret-0123456789abcdef";

async function listen(extra: string[] = []): Promise<Listener> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, "webhooks", "listen", "--port", String(port), ...extra], {
    env: {
      PATH: process.env["PATH"] ?? "",
      MONZOKIT_HOME: await tempHome(),
      NO_COLOR: "1",
      MONZO_WEBHOOK_SECRET: SECRET,
    },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d;
  });
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      err += d;
      if (err.includes("Listening on")) resolve();
    });
    child.once("exit", () => reject(new Error(`exited: ${err}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}/monzo/${SECRET}`,
    out: () => out,
    err: () => err,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** A delivery as Monzo sends it, whose text was chosen by someone else (a merchant name, a transfer reference). */
const HOSTILE = "Coffee\u001b]0;owned\u0007\u001b[2J\u009b31m\r\u202eevil";
const event = (id: string, description: string) =>
  JSON.stringify({
    type: "transaction.created",
    data: {
      id,
      account_id: "acc_0000webhooks",
      created: "2026-06-01T12:34:56.789Z",
      amount: -350,
      currency: "GBP",
      description,
      category: "eating_out",
      settled: "",
      metadata: {},
      merchant: null,
    },
  });
const delivery = event("tx_0000hostile", HOSTILE);

let browser: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => browser?.close());

describe("monzo webhooks listen", () => {
  it("a web page on another origin cannot post events to it: text/plain, a form, or any fetch (Chromium)", async () => {
    const listener = await listen();
    const page = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><title>a page</title>
        <form id="f" method="post" action="${listener.url}" target="sink" enctype="text/plain">
          <input name='${event("tx_fromform", "from a form").slice(0, -2)},"x":"' value='"}}'>
        </form><iframe name="sink"></iframe>`);
    });
    await new Promise<void>((r) => page.listen(0, "127.0.0.1", r));
    try {
      const tab = await browser.context.newPage();
      const statuses: number[] = [];
      tab.on("response", (r) => {
        if (r.url() === listener.url) statuses.push(r.status());
      });
      await tab.goto(`http://127.0.0.1:${(page.address() as AddressInfo).port}/`);
      const body = event("tx_fromfetch", "from fetch");
      await tab.evaluate(
        async ({ url, body }) => {
          for (const type of ["text/plain", "application/x-www-form-urlencoded", ""])
            await fetch(url, {
              method: "POST",
              mode: "no-cors",
              body: type ? new Blob([body], { type }) : new Blob([body]),
            }).catch(() => {});
          document.forms[0]!.submit();
        },
        { url: listener.url, body },
      );
      await tab.waitForResponse((r) => r.url() === listener.url && r.request().method() === "POST");
      await tab.close();
      // A real delivery still gets through after all that.
      const ok = await fetch(listener.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: event("tx_real", "real"),
      });
      expect(ok.status).toBe(200);
      await listener.stop();
      // Three fetches and the form, each told 403.
      expect(statuses).toEqual([403, 403, 403, 403]);
      expect(listener.out()).not.toContain("from fetch");
      expect(listener.out()).not.toContain("from a form");
      expect(listener.out()).toContain("tx_real");
      expect(listener.err()).toMatch(/Refused a request: sent by a web browser \(403\)/);
    } finally {
      page.close();
      if (listener.child.exitCode === null) await listener.stop();
    }
  }, 60_000);

  it("prints events without the escape sequences, overwrites or reordering their text carries", async () => {
    const listener = await listen();
    const res = await fetch(listener.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: delivery,
    });
    expect(res.status).toBe(200);
    await listener.stop();
    expect(listener.out()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(listener.out()).toMatch(/-£3\.50 +Coffee\\x1b\]0;owned\\x07.* tx_0000hostile/);
  });

  it("--json prints one line of JSON per event, the same event to a parser, nothing a terminal acts on", async () => {
    const listener = await listen(["--json"]);
    // Monzo's JSON may be laid out over lines, with carriage returns as whitespace.
    const laidOut = delivery.replace(/,/g, ",\r\n  ");
    await fetch(listener.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: laidOut,
    });
    await listener.stop();
    const lines = listener.out().trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(JSON.parse(lines[0]!)).toEqual(JSON.parse(delivery));
  });
});
