#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { corsPolicy } from "./http/cors.js";
import { DEMO_CLIENT, type EmulatorOptions, type FaultRule, type OAuthClient } from "./index.js";
import { EmulatorStartError, serveEmulator } from "./server.js";

const HELP = `monzo-emulator — a faithful local Monzo for offline development and tests

Usage: monzo-emulator [options]

  --port N              port to listen on (default 6601; 0 = any free port)
  --host ADDR           address to bind (default 127.0.0.1)
  --seed S              seed for the generated bank (default monzokit)
  --transactions N      transactions in the bank (default 2000; up to 1,000,000)
  --years N             years of history (default 3)
  --settle-after S      pending card payments settle S seconds after they were made
                        (default: between 24 and 48 hours, as Monzo's usually do)
  --latency MS          latency added to every API request
  --jitter MS           plus up to this much random latency
  --fault SPEC          inject a fault, repeatable: KIND[@RATE][:ROUTE], e.g. 503@0.2, 429:/balance, reset@0.05:GET /transactions
  --auto-consent [USER] skip the consent page (log in the first user, or USER)
  --auto-approve [MS]   approve new logins in "the app" after MS ms (default 0)
  --clients FILE        JSON array of OAuth clients {id, secret, redirectUris, confidential, name}
  --access-ttl S        access-token lifetime in seconds (default 107999)
  --cors ORIGINS        let browser apps on these origins call the API (comma-separated,
                        e.g. http://localhost:5173); off by default, as on real Monzo
  --no-control          do not serve the /_emulator control API
  --allow-remote-control  serve the control API on a non-loopback --host
  --json                print the connection details as one JSON line
  --help, --version
`;

function fail(message: string): never {
  process.stderr.write(`monzo-emulator: ${message}\nRun monzo-emulator --help for the options.\n`);
  process.exit(2);
}

function int(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min)
    fail(`--${name} must be a whole number${min ? ` of at least ${min}` : ""}, not "${value}"`);
  return Number(value);
}

function parseFault(spec: string): FaultRule {
  const m = /^(429|500|502|503|504|reset)(?:@([0-9.]+))?(?::(.+))?$/.exec(spec);
  if (!m) fail(`--fault "${spec}" is not KIND[@RATE][:ROUTE] (KIND is 429, 500, 502, 503, 504 or reset)`);
  const rule: FaultRule = { kind: m[1] === "reset" ? "reset" : (Number(m[1]) as FaultRule["kind"]) };
  if (m[2] !== undefined) {
    const rate = Number(m[2]);
    if (!(rate > 0 && rate <= 1)) fail(`--fault rate must be in (0, 1], not ${m[2]}`);
    rule.rate = rate;
  }
  if (m[3]) rule.route = m[3];
  return rule;
}

function loadClients(file: string): OAuthClient[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    fail(`cannot read --clients ${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) fail(`--clients ${file} must hold a JSON array of clients`);
  return data.map((c, i) => {
    const ok =
      c &&
      typeof c.id === "string" &&
      typeof c.secret === "string" &&
      Array.isArray(c.redirectUris) &&
      c.redirectUris.every((u: unknown) => typeof u === "string");
    if (!ok) fail(`client ${i} in ${file} needs id, secret and redirectUris (an array of URLs)`);
    return {
      id: c.id,
      secret: c.secret,
      redirectUris: c.redirectUris,
      confidential: c.confidential !== false,
      name: c.name ?? c.id,
    };
  });
}

async function main() {
  let args: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        seed: { type: "string" },
        transactions: { type: "string" },
        years: { type: "string" },
        "settle-after": { type: "string" },
        latency: { type: "string" },
        jitter: { type: "string" },
        fault: { type: "string", multiple: true },
        "auto-consent": { type: "boolean" },
        "auto-approve": { type: "boolean" },
        clients: { type: "string" },
        "access-ttl": { type: "string" },
        "no-control": { type: "boolean" },
        cors: { type: "string", multiple: true },
        "allow-remote-control": { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
      allowPositionals: true,
      strict: true,
    });
  try {
    args = parse();
  } catch (e) {
    fail((e as Error).message);
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(HELP);
    return;
  }
  if (v.version) {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  // `--auto-consent USER` and `--auto-approve MS` take an optional value, given as the next positional.
  const positionals = [...args.positionals];
  const argv = process.argv.slice(2);
  const valueAfter = (flag: string) => {
    const i = argv.indexOf(flag);
    const next = argv[i + 1];
    if (i >= 0 && next !== undefined && !next.startsWith("--") && positionals.includes(next)) {
      positionals.splice(positionals.indexOf(next), 1);
      return next;
    }
    return undefined;
  };
  const consentUser = v["auto-consent"] ? valueAfter("--auto-consent") : undefined;
  const approveMs = v["auto-approve"] ? valueAfter("--auto-approve") : undefined;
  if (positionals.length > 0) fail(`unexpected argument "${positionals[0]}"`);

  const options: EmulatorOptions = {
    seed: v.seed ?? "monzokit",
    transactions: int("transactions", v.transactions, 1) ?? 2000,
    faults: {
      latencyMs: int("latency", v.latency) ?? 0,
      jitterMs: int("jitter", v.jitter) ?? 0,
      rules: (v.fault ?? []).map(parseFault),
    },
  };
  const years = v.years === undefined ? undefined : Number(v.years);
  if (years !== undefined && !(years > 0 && years <= 20))
    fail(`--years must be between 0 and 20, not "${v.years}"`);
  if (years !== undefined) options.years = years;
  const settleAfter = int("settle-after", v["settle-after"]);
  if (settleAfter !== undefined) options.settleAfterMs = settleAfter * 1000;
  if (v["auto-consent"] || consentUser) options.autoConsent = consentUser ?? true;
  if (v["auto-approve"] || approveMs !== undefined) options.autoApprove = int("auto-approve", approveMs) ?? 0;
  if (v.clients) options.clients = loadClients(v.clients);
  const ttl = int("access-ttl", v["access-ttl"], 1);
  if (ttl !== undefined) options.accessTokenTtlSeconds = ttl;
  if (v["no-control"]) options.control = false;
  if (v.cors) {
    const origins = v.cors.flatMap((list) => list.split(",")).filter((o) => o.trim() !== "");
    try {
      options.cors = { origins: [...corsPolicy(origins).origins] };
    } catch (e) {
      fail(`--cors: ${(e as Error).message}`);
    }
  }

  let running: Awaited<ReturnType<typeof serveEmulator>>;
  try {
    running = await serveEmulator(options, {
      port: int("port", v.port) ?? 6601,
      host: v.host ?? "127.0.0.1",
      allowRemoteControl: v["allow-remote-control"] ?? false,
    });
  } catch (e) {
    if (e instanceof EmulatorStartError) fail(e.message);
    throw e;
  }
  const client = options.clients?.[0] ?? DEMO_CLIENT;
  const info = {
    api_url: running.url,
    auth_url: running.authUrl,
    app_url: `${running.authUrl}app`,
    control_url: options.control === false ? null : `${running.url}/_emulator`,
    client_id: client.id,
    client_secret: client.secret,
    redirect_uri: client.redirectUris[0],
    seed: options.seed,
    transactions: options.transactions,
    cors_origins: options.cors?.origins ?? [],
  };
  if (v.json) process.stdout.write(`${JSON.stringify(info)}\n`);
  else {
    process.stdout.write(
      [
        `Monzo emulator listening on ${running.url} (seed ${info.seed}, ${info.transactions} transactions)`,
        "",
        `  API base URL      ${info.api_url}`,
        `  Login page        ${info.auth_url}`,
        `  In-app approvals  ${info.app_url}`,
        ...(info.control_url ? [`  Control API       ${info.control_url}`] : []),
        ...(info.cors_origins.length ? [`  CORS origins      ${info.cors_origins.join(", ")}`] : []),
        `  Client id         ${info.client_id}`,
        `  Client secret     ${info.client_secret}`,
        `  Redirect URI      ${info.redirect_uri}`,
        "",
        "Point the monzo CLI at it:",
        `  export MONZO_API_URL=${info.api_url} MONZO_AUTH_URL=${info.auth_url} MONZO_CLIENT_ID=${info.client_id} MONZO_CLIENT_SECRET=${info.client_secret}`,
        "",
        "Press Ctrl+C to stop.",
        "",
      ].join("\n"),
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!v.json) process.stderr.write(`\nmonzo-emulator: ${signal}, shutting down\n`);
    void running.close().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  process.stderr.write(`monzo-emulator: ${(e as Error).message ?? e}\n`);
  process.exit(1);
});
