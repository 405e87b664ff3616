import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Io } from "../src/io.js";

export async function tempHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), "monzokit-cli-test-"));
}

/** Standard input for a fake Io: `text` as if piped in (`printf 'a\nb' | monzo …`), then ended. */
export function stdinOf(text: string): () => Promise<string> {
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  return async () => (lines.shift() ?? "").replace(/\r$/, "");
}

/**
 * An Io that records output and never touches the real terminal, browser or standard input (which is
 * empty, as with `</dev/null`, unless `stdinLine` is given: see `stdinOf`).
 */
export function fakeIo(env: Record<string, string | undefined> = {}, overrides: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    env,
    cwd: env["PWD_OVERRIDE"] ?? tmpdir(),
    interactive: false,
    columns: 80,
    stdoutTty: false,
    color: false,
    live: false,
    liveLine: async () => {
      throw new Error("a progress line asked for without a terminal");
    },
    openBrowser: async () => ({ opened: false, reason: "no browser in tests" }),
    prompt: async () => {
      throw new Error("prompted without a terminal");
    },
    stdinLine: stdinOf(""),
    now: Date.now,
    ...overrides,
  };
  return { io, out, err, stdout: () => out.join(""), stderr: () => err.join("") };
}

/**
 * The emulator on a real loopback port with a profile logged in to it (a playground-style token, approved),
 * and `run(argv)` calling the CLI in-process against it. With `viaProxy`, the login and every run go
 * through a `lossyProxy` in front of it (the API the login records is the proxy's: a login is used only at
 * the API it was made at), which passes everything until a test tells it otherwise.
 */
export async function loggedIn(
  seed: string,
  options: {
    transactions?: number;
    env?: Record<string, string>;
    ttlSeconds?: number;
    viaProxy?: boolean;
  } = {},
) {
  const { serveEmulator } = await import("@monzokit/emulator");
  const { main } = await import("../src/main.js");
  const emu = await serveEmulator(
    { seed, ...(options.transactions ? { transactions: options.transactions } : {}) },
    { port: 0 },
  );
  const proxy = options.viaProxy ? await lossyProxy(emu.url) : undefined;
  const home = await tempHome();
  const env = { MONZOKIT_HOME: home, MONZO_API_URL: proxy?.url ?? emu.url, TZ: "UTC", ...options.env };
  const run = async (argv: string[], extra: Record<string, string> = {}, overrides: Partial<Io> = {}) => {
    const f = fakeIo({ ...env, ...extra }, overrides);
    const code = await main(argv, f.io);
    // The once-per-run note that the API is this machine, not Monzo (the endpoint policy's), is not the command's.
    const err = f.stderr().replace(/^note: the API is http:\/\/127\.0\.0\.1:\d+ .*\n/m, "");
    return { code, out: f.stdout(), err };
  };
  const token = emu.emulator.control.token({ ttlSeconds: options.ttlSeconds ?? 3600 });
  const login = await run(["login"], { MONZO_ACCESS_TOKEN: token });
  if (login.code !== 0) throw new Error(`login failed: ${login.err}`);
  const alex = [...emu.emulator.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!;
  return { emu, home, env, run, token, account: alex, proxy };
}

/**
 * A real HTTP proxy in front of the emulator, for what a network does to a money move: `drop` forwards
 * matching requests and then cuts the connection before the answer arrives (the move happened, nobody
 * heard), `hold` keeps them waiting without forwarding (nothing happened yet). Everything else passes.
 */
export async function lossyProxy(target: string) {
  const { createServer, request } = await import("node:http");
  const upstream = new URL(target);
  const state = {
    drop: undefined as RegExp | undefined,
    hold: undefined as RegExp | undefined,
    /** After `after` matching requests, answer the rest with a 503 (a server failing half-way). */
    fail: undefined as { match: RegExp; after: number } | undefined,
    /** Answer matching requests this much later. */
    slow: undefined as { match: RegExp; ms: number } | undefined,
    /** Answer matching requests with Monzo's 401 for a token it no longer accepts, without forwarding. */
    unauthorized: undefined as RegExp | undefined,
    seen: [] as string[],
    onHold: [] as ((line: string) => void)[],
  };
  const server = createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    state.seen.push(line);
    if (state.hold?.test(line)) {
      for (const f of state.onHold.splice(0)) f(line);
      req.resume();
      return;
    }
    if (state.fail?.match.test(line) && state.fail.after-- <= 0) {
      req.resume();
      res.writeHead(503, { "content-type": "application/json" });
      res.end('{"code":"internal_service","message":"Injected by the test proxy"}');
      return;
    }
    if (state.unauthorized?.test(line)) {
      req.resume();
      res.writeHead(401, { "content-type": "application/json" });
      res.end('{"code":"unauthorized.bad_access_token","message":"Injected by the test proxy"}');
      return;
    }
    const delay = state.slow?.match.test(line) ? state.slow.ms : 0;
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        if (state.drop?.test(line)) {
          answer.resume();
          answer.on("end", () => req.socket.destroy());
          return;
        }
        setTimeout(() => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        }, delay);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    /** Resolves when a held request arrives. */
    held: () => new Promise<string>((resolve) => state.onHold.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
