import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/**
 * The app's end of a bound broker login: where the broker sends the browser back after Monzo, with the
 * one-time confirmation the broker releases the tokens for.
 */
export interface BrokerReturnServer {
  /** `http://127.0.0.1:PORT/monzokit/broker/<random>`: what `/new` is given as `return_to`. */
  returnTo: string;
  /**
   * The next confirmation a browser brought back. Each call after the first means the previous one was
   * refused by the broker (its page says so). Rejects when `signal` aborts.
   */
  next(signal: AbortSignal): Promise<string>;
  /** Answers the browser that brought the last confirmation: logged in, or what went wrong. */
  finish(outcome: { ok: true } | { ok: false; message: string }): void;
  close(): Promise<void>;
}

const CONFIRM = /^[A-Za-z0-9_-]{43}$/;
/** How long a browser's request is held open for the outcome before it is told to look at the terminal. */
const HOLD_MS = 60_000;

/**
 * Starts the return server: bound to 127.0.0.1 only, on a free port, answering only one path that holds 128
 * random bits (a web page cannot guess it, so it cannot feed us confirmations), and only `GET` with a
 * well-formed `confirm`. Everything else is 404 or 400 and changes nothing; nothing ends the login but a
 * confirmation the broker accepts.
 */
export async function startBrokerReturnServer(): Promise<BrokerReturnServer> {
  const path = `/monzokit/broker/${randomBytes(16).toString("hex")}`;
  const arrived: { confirm: string; res: ServerResponse }[] = [];
  const waiters: ((value: { confirm: string; res: ServerResponse }) => void)[] = [];
  let current: { confirm: string; res: ServerResponse } | undefined;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("cache-control", "no-store");
    res.setHeader("referrer-policy", "no-referrer");
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'");
    const target = req.url ?? "";
    const query = target.indexOf("?");
    const asked = query < 0 ? target : target.slice(0, query);
    if (req.method !== "GET" || asked !== path) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    const confirm = new URLSearchParams(query < 0 ? "" : target.slice(query + 1)).get("confirm") ?? "";
    if (!CONFIRM.test(confirm)) {
      page(res, 400, "This is not a login confirmation", "Go back to the terminal.");
      return;
    }
    // Held open until the broker has said whether it is the one, so the page tells how it really went.
    const hold = setTimeout(
      () => page(res, 200, "Go back to the terminal", "It says how the login went."),
      HOLD_MS,
    );
    res.once("close", () => clearTimeout(hold));
    const entry = { confirm, res };
    const waiter = waiters.shift();
    if (waiter) waiter(entry);
    else arrived.push(entry);
  };

  const server: Server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as { port: number };

  return {
    returnTo: `http://127.0.0.1:${port}${path}`,
    next(signal) {
      if (current)
        page(
          current.res,
          400,
          "This confirmation was refused",
          "The broker did not issue it for this login. Go back to the terminal.",
        );
      current = undefined;
      return new Promise<string>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const take = (entry: { confirm: string; res: ServerResponse }) => {
          signal.removeEventListener("abort", onAbort);
          current = entry;
          resolve(entry.confirm);
        };
        const onAbort = () => {
          const at = waiters.indexOf(take);
          if (at >= 0) waiters.splice(at, 1);
          reject(signal.reason);
        };
        const ready = arrived.shift();
        if (ready) return take(ready);
        waiters.push(take);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    },
    finish(outcome) {
      if (!current) return;
      if (outcome.ok)
        page(
          current.res,
          200,
          "You're logged in to Monzokit",
          "Now open the Monzo app and tap Allow access to your data. You can close this tab.",
        );
      else page(current.res, 400, "Login failed", outcome.message);
      current = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { res } of arrived) page(res, 410, "This login is over", "Go back to the terminal.");
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function page(res: ServerResponse, status: number, title: string, message: string) {
  if (res.writableEnded || res.destroyed) return;
  const esc = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#112}h1{color:${status === 200 ? "#14233c" : "#b3261e"}}</style></head><body><h1 id="result">${esc(title)}</h1><p>${esc(message)}</p></body></html>`,
  );
}
