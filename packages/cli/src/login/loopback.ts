import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { AccessDeniedError, constantTimeEqual } from "@monzokit/core";
import { UsageError } from "../errors.js";

export interface CallbackServerOptions {
  /** The redirect URI registered with Monzo: its host must be loopback; its port and path are used exactly. */
  redirectUri: string;
  /**
   * The `state` of the login URL this server waits for. Only a request that carries exactly this state (and
   * a code or an error) is taken; any other is told 400 and the server keeps waiting — any web page can make
   * the browser request this address (an `<img>` does), and must not be able to end the login.
   */
  state: string;
  /** Give up after this long. Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CallbackServer {
  /** Resolves with the full callback URL the browser brought back (exactly once). */
  callback: Promise<URL>;
  /**
   * Answers the browser's waiting request with a success or failure page, then stops the server. The page
   * says only our own words, chosen by the kind of `error`: what came with the callback (Monzo's
   * `error_description`, say) is never shown there.
   */
  finish(outcome: { ok: true } | { ok: false; error?: unknown }): void;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * The local end of the login (the pattern of `gh auth login`): a one-use HTTP server bound to loopback
 * only, on the redirect URI's port, answering only its exact path. It hands back the callback URL and
 * keeps the browser's request open until the code exchange is done, so the page the person sees says
 * how it really went.
 */
export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  if (typeof options.state !== "string" || options.state.length < 16)
    throw new TypeError("startCallbackServer needs the state of the login URL it waits for");
  const redirect = new URL(options.redirectUri);
  if (redirect.protocol !== "http:" || !LOOPBACK_HOSTS.has(redirect.hostname)) {
    throw new UsageError(
      `The redirect URI ${options.redirectUri} is not on this machine, so monzo cannot catch the login`,
      "Register http://localhost:6600/callback in Monzo's developer portal and use it, or log in with --manual.",
    );
  }
  const port = Number(redirect.port || 80);
  // "localhost" may resolve to ::1 or 127.0.0.1 in the browser: listen on both when we can.
  const hosts =
    redirect.hostname === "localhost" ? ["127.0.0.1", "::1"] : [redirect.hostname.replace(/^\[|\]$/g, "")];
  let resolveCallback!: (url: URL) => void;
  let rejectCallback!: (error: unknown) => void;
  const callback = new Promise<URL>((resolve, reject) => {
    resolveCallback = resolve;
    rejectCallback = reject;
  });
  callback.catch(() => {});
  let pending: ServerResponse | undefined;
  let used = false;

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("cache-control", "no-store");
    res.setHeader("referrer-policy", "no-referrer");
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'");
    // Only a browser's origin-form target ("/path?query"), and the path compared as sent, unnormalised. The
    // Host header plays no part: it is the client's to write, and an empty or odd one must not matter.
    const target = req.url ?? "";
    const query = target.indexOf("?");
    const path = query < 0 ? target : target.slice(0, query);
    if (!target.startsWith("/")) {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
      res.end("Bad request\n");
      return;
    }
    if (req.method !== "GET" || path !== redirect.pathname) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("Not found\n");
      return;
    }
    let url: URL;
    try {
      url = new URL(`${redirect.origin}${target}`);
    } catch {
      res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
      res.end("Bad request\n");
      return;
    }
    if (!isOurs(url.searchParams, options.state)) {
      page(
        res,
        400,
        "This is not the login monzo is waiting for",
        "Nothing happened. If you are logging in, use the address the terminal printed.",
      );
      return;
    }
    if (used) {
      page(res, 410, "This login link was already used", "Go back to the terminal.");
      return;
    }
    used = true;
    pending = res;
    resolveCallback(url);
  };

  const servers: Server[] = [];
  for (const host of hosts) {
    const server = createServer(handler);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => resolve());
      });
      servers.push(server);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (host === "::1" && (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT")) continue;
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      if (code === "EADDRINUSE") {
        throw new UsageError(
          `Port ${port} (from the redirect URI ${options.redirectUri}) is already in use`,
          `Stop what is using port ${port}, or pick another with --port N and register http://${redirect.hostname}:N${redirect.pathname} in Monzo's developer portal.`,
        );
      }
      if (code === "EACCES")
        throw new UsageError(
          `Not allowed to listen on port ${port}`,
          "Use a redirect URI with a port above 1024.",
        );
      throw error;
    }
  }

  const timer = setTimeout(
    () =>
      rejectCallback(
        new UsageError(
          "Nobody came back from the login page in time",
          "Run monzo login again and finish in the browser, or use --manual.",
        ),
      ),
    options.timeoutMs ?? 5 * 60_000,
  );
  const onAbort = () => rejectCallback(new UsageError("Login cancelled", "Run monzo login again."));
  options.signal?.addEventListener("abort", onAbort, { once: true });

  const close = async () => {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  };

  return {
    callback,
    finish(outcome) {
      const res = pending;
      pending = undefined;
      if (res && !res.writableEnded) {
        if (outcome.ok)
          page(
            res,
            200,
            "You're logged in to Monzokit",
            "Now open the Monzo app and tap Allow access to your data. You can close this tab.",
          );
        else page(res, 400, "Login failed", failureWords(outcome.error));
      }
      void close();
    },
    close,
  };
}

/** Exactly one `state`, equal to ours (compared in constant time), and a code or an error to act on. */
function isOurs(params: URLSearchParams, state: string): boolean {
  const states = params.getAll("state");
  if (states.length !== 1 || !constantTimeEqual(states[0]!, state)) return false;
  return params.has("code") || params.has("error");
}

/** Our own words for a failed login's page: the details, with whatever text came along, are in the terminal. */
function failureWords(error: unknown): string {
  if (error instanceof AccessDeniedError)
    return "You did not allow access at Monzo. Run monzo login again when you want to log in.";
  return "The login could not be finished. The terminal says what happened and what to do.";
}

function page(res: ServerResponse, status: number, title: string, message: string) {
  const esc = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#112}h1{color:${status === 200 ? "#14233c" : "#b3261e"}}</style></head><body><h1 id="result">${esc(title)}</h1><p>${esc(message)}</p></body></html>`,
  );
}
