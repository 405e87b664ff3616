import { ConfigError } from "../errors.js";
import type { Io } from "../io.js";
import { printable } from "../output/printable.js";

/** The settings that say where secrets go: the API (tokens, the client secret), the login page, the broker, the redirect. */
export type EndpointName = "apiUrl" | "authUrl" | "brokerUrl" | "redirectUri";

/**
 * Where a setting's value came from. `login`: saved with the tokens by the login that obtained them (the
 * broker a login came through, which refreshes it).
 */
export type SettingSource = "flag" | "env" | ".env" | "profile" | "login" | "default";

/** What a host is: Monzo's own (REFERENCE §1.1), this machine (the emulator), or anything else. */
export type HostKind = "monzo" | "loopback" | "other";

/** The documented hosts (REFERENCE §1.1), over https on the default port. */
const MONZO_HOSTS = new Set(["api.monzo.com", "auth.monzo.com"]);

const ROLE: Record<EndpointName, { what: string; carries: string; env: string; flag: string }> = {
  apiUrl: {
    what: "the API",
    carries: "your access token, refresh token and client secret",
    env: "MONZO_API_URL",
    flag: "--api-url",
  },
  authUrl: {
    what: "the login page",
    carries: "your Monzo login",
    env: "MONZO_AUTH_URL",
    flag: "--auth-url",
  },
  brokerUrl: {
    what: "the broker",
    carries: "your tokens",
    env: "MONZO_BROKER_URL",
    flag: "--broker",
  },
  redirectUri: {
    what: "the redirect URI",
    carries: "the login code",
    env: "MONZO_REDIRECT_URI",
    flag: "--redirect-uri",
  },
};

/** Profile keys of the endpoint settings, in the order they are checked. */
export const ENDPOINT_NAMES: readonly EndpointName[] = ["apiUrl", "authUrl", "brokerUrl", "redirectUri"];

/**
 * Monzo's hosts over https, this machine (`localhost`, 127.0.0.0/8, `[::1]`), or anything else. The URL
 * parser has already turned `127.1`, `0x7f.1` and `2130706433` into `127.0.0.1` and lower-cased the name, so
 * spellings cannot pass for another kind; a trailing dot, a port on Monzo's host or plain http to it make
 * it "other".
 *
 * @example hostKind(new URL("http://127.0.0.1:6601")) // "loopback"
 */
export function hostKind(url: URL): HostKind {
  if (url.protocol === "https:" && url.port === "" && MONZO_HOSTS.has(url.hostname)) return "monzo";
  if (url.hostname === "localhost" || url.hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(url.hostname))
    return "loopback";
  return "other";
}

/** `--allow-host` values: host names (or `host:port`), separated by commas or spaces, lower-cased. */
export function parseAllowHosts(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/[\s,]+/)
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
}

/** Whether `url`'s host is in `allowed` (by name, or by name and port). */
export function hostAllowed(url: URL, allowed: Iterable<string>): boolean {
  for (const entry of allowed) if (entry === url.hostname || entry === url.host) return true;
  return false;
}

/** Where a value came from, in words: `MONZO_API_URL in the environment`, `--api-url`, `profile work`. */
export function describeSource(
  name: EndpointName,
  source: SettingSource,
  where: { profile: string; profilePath: string; dotenvPath: string },
): string {
  const role = ROLE[name];
  switch (source) {
    case "flag":
      return role.flag;
    case "env":
      return `${role.env} in the environment`;
    case ".env":
      return `${role.env} in ${where.dotenvPath}`;
    case "profile":
      return `${name} in the profile ${where.profilePath}`;
    case "login":
      return `${role.what} this login came through (saved with its tokens)`;
    default:
      return "the default";
  }
}

/** One endpoint setting as resolved: its value, where it came from, and whether it may be used. */
export interface Endpoint {
  name: EndpointName;
  url: string;
  source: SettingSource;
  kind: HostKind;
  /** Why it may not be used (a ConfigError to throw), when it may not. */
  refusal?: ConfigError;
}

/**
 * Judges one endpoint setting. Monzo's hosts and this machine are fine from anywhere. Any other host was
 * either named on this command line (the URL flag itself, or `--allow-host`) or confirmed in the profile
 * (`allowHosts`, which only a deliberate save writes); otherwise — from the environment, a `.env`, or a
 * profile value nobody confirmed (saved by an older monzo from the environment) — it is refused,
 * because the environment can be filled from a file nobody read (a `.env` loaded by another tool), and what
 * it carries — tokens, the client secret, the Monzo login itself — would go to that host.
 */
export function judgeEndpoint(
  name: EndpointName,
  value: string,
  source: SettingSource,
  context: {
    runAllowed: readonly string[];
    profileAllowed: readonly string[];
    profile: string;
    profilePath: string;
    dotenvPath: string;
  },
): Endpoint {
  const role = ROLE[name];
  const from = describeSource(name, source, context);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return {
      name,
      url: value,
      source,
      kind: "other",
      refusal: new ConfigError(
        `${from} is not a URL: "${value.slice(0, 80)}"`,
        `Set ${role.what} to an absolute http(s) URL, or unset ${role.env}.`,
      ),
    };
  }
  const kind = hostKind(url);
  const endpoint: Endpoint = { name, url: value, source, kind };
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    endpoint.refusal = new ConfigError(
      `${from} is not an http(s) URL: "${value.slice(0, 80)}"`,
      `Set ${role.what} to an https URL, or unset ${role.env}.`,
    );
  } else if (url.username || url.password) {
    // A user name or password in the URL would travel to that host with every request.
    endpoint.refusal = new ConfigError(
      `${from} has a user name or password in it`,
      `Remove the "user:password@" part from ${role.what}'s URL.`,
    );
  } else if (kind === "other" && source !== "flag") {
    if (!hostAllowed(url, context.runAllowed) && !hostAllowed(url, context.profileAllowed)) {
      const fix =
        source === "login"
          ? `If you trust ${url.hostname}, add "allowHosts": ["${url.hostname}"] to ${context.profilePath} (or pass --allow-host ${url.hostname} for one run); otherwise log in again.`
          : source === "profile"
            ? `If you saved it yourself, add "allowHosts": ["${url.hostname}"] to ${context.profilePath} (or pass --allow-host ${url.hostname} for one run); otherwise delete ${name} from that file.`
            : `If you trust ${url.hostname}, pass --allow-host ${url.hostname} (or save it in your profile: monzo config set ${name} ${value.slice(0, 200)}); otherwise ${source === ".env" ? `remove ${role.env} from ${context.dotenvPath}` : `unset ${role.env}`}.`;
      endpoint.refusal = new ConfigError(
        `${from} points ${role.what} at ${url.hostname}, which is neither Monzo nor this machine, so ${role.carries} would go there`,
        fix,
      );
    }
  }
  if (!endpoint.refusal && kind === "other" && url.protocol === "http:" && name !== "redirectUri")
    endpoint.refusal = plainHttpRefusal(name, value, source, from, url);
  return endpoint;
}

/**
 * Plain http to another host, allowed or not: what it carries would cross the network readable by anyone on
 * the way, and core refuses it anyway (its hint, "pass allowInsecure", is for programs). Said here with
 * the way out on the command line. The redirect URI is not refused: only the browser goes there, and the
 * login warns about it.
 */
function plainHttpRefusal(
  name: EndpointName,
  value: string,
  source: SettingSource,
  from: string,
  url: URL,
): ConfigError {
  const role = ROLE[name];
  const fix =
    source === "flag"
      ? `Give ${role.flag} its https address.`
      : source === "login"
        ? "Log in again through its https address (monzo login --broker https://…)."
        : source === "profile"
          ? `Save its https address: monzo config set ${name} https://…`
          : `Set ${role.env} to its https address, or unset it.`;
  return new ConfigError(
    `${from} is plain http (${value.slice(0, 200)}): ${role.carries} would cross the network to ${url.hostname} unencrypted`,
    `${fix} Plain http is only for this machine (localhost, 127.0.0.1, [::1]): for an emulator on another computer, forward its port here (ssh -L 6601:127.0.0.1:6601 HOST) and use http://127.0.0.1:6601.`,
  );
}

/** Throws the refusal of the first named endpoint that may not be used. */
export function requireEndpoints(
  endpoints: Partial<Record<EndpointName, Endpoint | undefined>>,
  names: readonly EndpointName[],
): void {
  for (const name of names) {
    const refusal = endpoints[name]?.refusal;
    if (refusal) throw refusal;
  }
}

/** Notes already printed for an Io: once per run, however many sessions the run opens. */
const said = new WeakMap<Io, Set<string>>();

/** Prints `text` on stderr once per run (per `io`). */
export function noteOnce(io: Io, key: string, text: string): void {
  let seen = said.get(io);
  if (!seen) {
    seen = new Set();
    said.set(io, seen);
  }
  if (seen.has(key)) return;
  seen.add(key);
  io.err(text);
}

/** The one-line note naming an endpoint that is not Monzo's, with where it came from. */
export function endpointNote(
  endpoint: Endpoint,
  where: { profile: string; profilePath: string; dotenvPath: string },
): string {
  const role = ROLE[endpoint.name];
  const from = describeSource(endpoint.name, endpoint.source, where);
  return `note: ${role.what} is ${printable(endpoint.url)} (${printable(from)}): ${endpoint.kind === "loopback" ? "this machine" : "another host"}, not Monzo.\n`;
}

/**
 * Wraps `inner` so that the first request of the run to an endpoint that is not Monzo's says so on stderr
 * (stdout stays the command's output, JSON included). Loopback (the emulator) is not named under `--quiet`;
 * another host always is.
 */
export function announcingFetch(
  io: Io,
  endpoints: readonly Endpoint[],
  where: { profile: string; profilePath: string; dotenvPath: string },
  inner: typeof fetch,
  quiet: boolean,
): typeof fetch {
  const byOrigin = new Map<string, Endpoint>();
  for (const e of endpoints) {
    if (e.kind === "monzo" || e.refusal || (quiet && e.kind === "loopback")) continue;
    try {
      const origin = new URL(e.url).origin;
      if (!byOrigin.has(origin)) byOrigin.set(origin, e);
    } catch {}
  }
  if (byOrigin.size === 0) return inner;
  return ((input: string | URL | Request, init?: RequestInit) => {
    try {
      // Not `instanceof Request`: touching the global Request loads undici, a third of a short command's time.
      const origin = new URL(typeof input === "object" && "url" in input ? input.url : String(input)).origin;
      const endpoint = byOrigin.get(origin);
      if (endpoint) noteOnce(io, `endpoint ${origin}`, endpointNote(endpoint, where));
    } catch {}
    return inner(input, init);
  }) as typeof fetch;
}
