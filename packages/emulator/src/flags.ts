/**
 * The emulator's command-line options, defined once for every command that starts it (`monzo-emulator` and
 * `monzo emulator`), in a form any argument parser can take. `emulatorSettings` turns parsed values into what
 * `serveEmulator` takes, with the same checks and messages everywhere; `startEmulatorFromFlags` also serves and
 * describes the result. Loading this module loads nothing of the server (Hono comes with the first start).
 */
import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { corsPolicy } from "./http/cors.js";
import { DEMO_CLIENT, type EmulatorOptions, type FaultRule, type OAuthClient } from "./options.js";
import type { RunningEmulator, ServeOptions } from "./server.js";

/** One command-line option of the emulator. */
export interface EmulatorFlag {
  /** The long flag without its dashes (`--auto-approve` is `auto-approve`; a negatable `control` is `--no-control`). */
  name: string;
  /**
   * `string` takes a value (`--port 6601`), `boolean` is a switch, `optional` is a switch that may take a value
   * (`--auto-approve` or `--auto-approve 3000`).
   */
  type: "string" | "boolean" | "optional";
  /** The value's placeholder in help: `N`, `MS`, `FILE`. */
  value?: string;
  /** May be given several times; the values arrive as an array. */
  multiple?: boolean;
  /** On by default; the flag users type is `--no-<name>`, which turns it off. */
  negatable?: boolean;
  description: string;
  /** The default, as help shows it. */
  default?: string;
}

/** Every option of `monzo-emulator` and `monzo emulator`, in the order help lists them. */
export const EMULATOR_FLAGS: readonly EmulatorFlag[] = [
  {
    name: "port",
    type: "string",
    value: "N",
    description: "port to listen on (0 = any free port)",
    default: "6601",
  },
  { name: "host", type: "string", value: "ADDR", description: "address to bind", default: "127.0.0.1" },
  {
    name: "seed",
    type: "string",
    value: "S",
    description: "seed for the generated bank",
    default: "monzokit",
  },
  {
    name: "transactions",
    type: "string",
    value: "N",
    description: "transactions in the bank (up to 1,000,000)",
    default: "2000",
  },
  { name: "years", type: "string", value: "N", description: "years of history (up to 20)", default: "3" },
  {
    name: "settle-after",
    type: "string",
    value: "S",
    description: "pending card payments settle S seconds after they were made",
    default: "24 to 48 hours, as Monzo's do",
  },
  {
    name: "latency",
    type: "string",
    value: "MS",
    description: "latency added to every API request",
    default: "0",
  },
  {
    name: "jitter",
    type: "string",
    value: "MS",
    description: "plus up to this much random latency",
    default: "0",
  },
  {
    name: "fault",
    type: "string",
    value: "SPEC",
    multiple: true,
    description:
      "inject a fault, repeatable: KIND[@RATE][:ROUTE], e.g. 503@0.2, 429:/balance, reset@0.05:GET /transactions",
  },
  {
    name: "auto-consent",
    type: "optional",
    value: "USER",
    description: "skip the consent page (log in the first user, or USER)",
  },
  {
    name: "auto-approve",
    type: "optional",
    value: "MS",
    description: 'approve new logins in "the app" after MS ms (0 when given alone)',
  },
  {
    name: "clients",
    type: "string",
    value: "FILE",
    description: "JSON array of OAuth clients {id, secret, redirectUris, confidential, name}",
  },
  {
    name: "access-ttl",
    type: "string",
    value: "S",
    description: "access-token lifetime in seconds",
    default: "107999",
  },
  {
    name: "cors",
    type: "string",
    value: "ORIGINS",
    multiple: true,
    description:
      "let browser apps on these origins call the API (comma-separated, e.g. http://localhost:5173); off by default, as on real Monzo",
  },
  {
    name: "control",
    type: "boolean",
    negatable: true,
    description: "do not serve the /_emulator control API",
  },
  {
    name: "allow-remote-control",
    type: "boolean",
    description: "serve the control API on a non-loopback --host",
  },
  { name: "json", type: "boolean", description: "print the connection details as one JSON line" },
];

/**
 * Parsed values keyed by flag name: a string or an array of strings for `string` flags, a boolean for
 * switches (`false` for a negatable one turned off), `true` or a string for `optional` flags.
 */
export type EmulatorFlagValues = Readonly<Record<string, string | boolean | readonly string[] | undefined>>;

/** A value the emulator cannot start with; the message names the flag and what it needs. */
export class EmulatorUsageError extends Error {
  static {
    EmulatorUsageError.prototype.name = "EmulatorUsageError";
  }

  constructor(
    message: string,
    /** What to do about it, when it is more than "see --help". */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** What `serveEmulator` takes, from the flags. */
export interface EmulatorSettings {
  options: EmulatorOptions;
  serve: Required<ServeOptions>;
  json: boolean;
}

function fail(message: string): never {
  throw new EmulatorUsageError(message);
}

function single(values: EmulatorFlagValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined || typeof v === "boolean") return undefined;
  if (typeof v === "string") return v;
  if (v.length > 1) fail(`--${name} was given ${v.length} times; give it once`);
  return v[0];
}

function int(
  name: string,
  value: string | undefined,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    fail(
      `--${name} must be a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min ? ` of at least ${min}` : ""}, not "${value}"`,
    );
  return Number(value);
}

/** Parses `KIND[@RATE][:ROUTE]`; throws `EmulatorUsageError` for anything else. */
export function parseFault(spec: string): FaultRule {
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

function loadClients(file: string, readFile: (path: string) => string): OAuthClient[] {
  let data: unknown;
  try {
    data = JSON.parse(readFile(file));
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
      name: typeof c.name === "string" ? c.name : c.id,
    };
  });
}

/**
 * Parses a command line into flag values exactly as `monzo-emulator` does (node:util's parseArgs over
 * `EMULATOR_FLAGS`, strict), for a command that wants the same parsing rather than its own parser's.
 * parseArgs has no option that may or may not take a value, so `--auto-approve [MS]` is a switch whose value,
 * when given, is the word right after it (or `=MS`).
 *
 * @example parseEmulatorArgs(["--port", "0", "--auto-approve", "3000"]).values // { port: "0", "auto-approve": "3000", … }
 * @throws EmulatorUsageError for an unknown option, a missing value or an unexpected word.
 */
export function parseEmulatorArgs(argv: readonly string[]): {
  values: EmulatorFlagValues;
  help: boolean;
  version: boolean;
} {
  const optional = new Set(EMULATOR_FLAGS.filter((f) => f.type === "optional").map((f) => f.name));
  const args = argv.flatMap((a) => {
    const m = /^--([^=]+)=(.*)$/s.exec(a);
    return m && optional.has(m[1]!) ? [`--${m[1]}`, m[2]!] : [a];
  });
  const options: NonNullable<ParseArgsConfig["options"]> = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  };
  for (const f of EMULATOR_FLAGS) {
    if (f.negatable) options[`no-${f.name}`] = { type: "boolean" };
    else if (f.type === "string")
      options[f.name] = { type: "string", ...(f.multiple ? { multiple: true } : {}) };
    else options[f.name] = { type: "boolean" };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true, tokens: true });
  } catch (e) {
    fail((e as Error).message);
  }
  const values: Record<string, string | boolean | readonly string[] | undefined> = {};
  for (const f of EMULATOR_FLAGS) {
    const v = parsed.values[f.negatable ? `no-${f.name}` : f.name];
    if (f.negatable) values[f.name] = v === true ? false : undefined;
    else values[f.name] = v as string | boolean | string[] | undefined;
  }
  const taken = new Set<number>();
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== "option" || !optional.has(t.name)) continue;
    const next = parsed.tokens?.find((n) => n.index === t.index + 1);
    if (next?.kind === "positional") {
      values[t.name] = next.value;
      taken.add(next.index);
    }
  }
  const extra = (parsed.tokens ?? []).find((t) => t.kind === "positional" && !taken.has(t.index));
  if (extra?.kind === "positional") fail(`unexpected argument "${extra.value}"`);
  return { values, help: parsed.values["help"] === true, version: parsed.values["version"] === true };
}

/**
 * Turns parsed flag values into emulator and server options, checking each the same way for every command.
 *
 * @example emulatorSettings({ port: "0", "auto-approve": "3000", fault: ["503@0.1"] })
 * @throws EmulatorUsageError for a value the emulator cannot start with.
 */
export function emulatorSettings(
  values: EmulatorFlagValues,
  readFile: (path: string) => string = (path) => readFileSync(path, "utf8"),
): EmulatorSettings {
  const faults = values["fault"];
  const options: EmulatorOptions = {
    seed: single(values, "seed") ?? "monzokit",
    transactions: int("transactions", single(values, "transactions"), 1, 1_000_000) ?? 2000,
    faults: {
      latencyMs: int("latency", single(values, "latency")) ?? 0,
      jitterMs: int("jitter", single(values, "jitter")) ?? 0,
      rules: (typeof faults === "string" ? [faults] : Array.isArray(faults) ? faults : []).map(parseFault),
    },
  };
  const yearsText = single(values, "years");
  if (yearsText !== undefined) {
    const years = Number(yearsText);
    if (!(years > 0 && years <= 20)) fail(`--years must be more than 0 and at most 20, not "${yearsText}"`);
    options.years = years;
  }
  const settleAfter = int("settle-after", single(values, "settle-after"));
  if (settleAfter !== undefined) options.settleAfterMs = settleAfter * 1000;
  const consent = values["auto-consent"];
  if (consent === true || (typeof consent === "string" && consent !== "")) options.autoConsent = consent;
  const approve = values["auto-approve"];
  if (approve === true || approve === "") options.autoApprove = 0;
  else if (typeof approve === "string") options.autoApprove = int("auto-approve", approve)!;
  const clients = single(values, "clients");
  if (clients !== undefined) options.clients = loadClients(clients, readFile);
  const ttl = int("access-ttl", single(values, "access-ttl"), 1);
  if (ttl !== undefined) options.accessTokenTtlSeconds = ttl;
  if (values["control"] === false) options.control = false;
  const cors = values["cors"];
  if (cors !== undefined && typeof cors !== "boolean") {
    const origins = (typeof cors === "string" ? [cors] : cors)
      .flatMap((list) => list.split(","))
      .filter((o) => o.trim() !== "");
    try {
      options.cors = { origins: [...corsPolicy(origins).origins] };
    } catch (e) {
      fail(`--cors: ${(e as Error).message}`);
    }
  }
  return {
    options,
    serve: {
      port: int("port", single(values, "port"), 0, 65535) ?? 6601,
      host: single(values, "host") ?? "127.0.0.1",
      allowRemoteControl: values["allow-remote-control"] === true,
    },
    json: values["json"] === true,
  };
}

/** What a started emulator tells its user: where everything is and which client to log in with. */
export interface ConnectionDetails {
  api_url: string;
  auth_url: string;
  app_url: string;
  control_url: string | null;
  client_id: string;
  client_secret: string;
  redirect_uri: string | undefined;
  seed: string | number | undefined;
  transactions: number | undefined;
  /** The origins whose browser apps may call the API (`--cors`); empty when CORS is off. */
  cors_origins: readonly string[];
}

/** The connection details of a running emulator started with `options`. */
export function connectionDetails(running: RunningEmulator, options: EmulatorOptions): ConnectionDetails {
  const client = options.clients?.[0] ?? DEMO_CLIENT;
  return {
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
}

/** The details as one JSON line (`json`) or as the lines a person reads, with the exports for the CLI. */
export function formatConnectionDetails(info: ConnectionDetails, json: boolean): string {
  if (json) return `${JSON.stringify(info)}\n`;
  return [
    `Monzo emulator listening on ${info.api_url} (seed ${info.seed}, ${info.transactions} transactions)`,
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
  ].join("\n");
}

/**
 * Checks the flags, starts the emulator over HTTP and describes it: what both commands do before waiting for
 * Ctrl+C. Close `running` to stop.
 *
 * @throws EmulatorUsageError for a value it cannot start with, a port in use, or a refused control exposure.
 */
export async function startEmulatorFromFlags(
  values: EmulatorFlagValues,
): Promise<{ running: RunningEmulator; details: ConnectionDetails; text: string; json: boolean }> {
  const settings = emulatorSettings(values);
  const { EmulatorStartError, serveEmulator } = await import("./server.js");
  let running: RunningEmulator;
  try {
    running = await serveEmulator(settings.options, settings.serve);
  } catch (e) {
    if (e instanceof EmulatorStartError) throw new EmulatorUsageError(e.message, e.hint);
    throw e;
  }
  const details = connectionDetails(running, settings.options);
  return { running, details, text: formatConnectionDetails(details, settings.json), json: settings.json };
}

/** Words of `text` in lines of at most `width` characters (a longer word stands on its own line). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/**
 * `--help` text for a command that takes these flags, e.g. `emulatorHelp("monzo-emulator")`: each
 * description wrapped beside its flag so that every line fits `columns` (80 by default).
 */
export function emulatorHelp(command: string, columns = 80): string {
  const usage = (f: EmulatorFlag) =>
    f.negatable
      ? `--no-${f.name}`
      : `--${f.name}${f.type === "string" ? ` ${f.value}` : f.type === "optional" ? ` [${f.value}]` : ""}`;
  const width = Math.max(...EMULATOR_FLAGS.map((f) => usage(f).length)) + 2;
  const indent = " ".repeat(2 + width);
  const entries = EMULATOR_FLAGS.map((f) => {
    const text = `${f.description}${f.default === undefined ? "" : ` (default ${f.default})`}`;
    const [first = "", ...rest] = wrap(text, Math.max(20, columns - indent.length));
    return [`  ${usage(f).padEnd(width)}${first}`, ...rest.map((l) => `${indent}${l}`)].join("\n");
  });
  return `${command} — a faithful local Monzo for offline development and tests

Usage: ${command} [options]

${entries.join("\n")}
  --help, --version
`;
}
