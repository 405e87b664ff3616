import type { TokenSet } from "@monzokit/core";
import { ConfigError, UsageError } from "../errors.js";
import { printable } from "../output/printable.js";
import { describeSource, type Endpoint, judgeEndpoint } from "./endpoints.js";
import type { Settings } from "./settings.js";

/**
 * How a login was obtained, saved with its tokens. It decides how they are refreshed: a broker's refresh
 * token belongs to the broker's OAuth client and only the broker holds that client's secret, so it is
 * refreshed only there; tokens made with this machine's client id and secret only at Monzo with them; a
 * token from the API playground is never refreshed. `apiOrigin` is the API the login was made at (the origin
 * of its `apiUrl`, as the URL parser normalises it): its tokens are sent to no other. Files written before
 * it was saved lack it (and older ones the whole route).
 */
export type LoginRoute =
  | { kind: "broker"; brokerUrl: string; apiOrigin?: string }
  | { kind: "client"; apiOrigin?: string }
  | { kind: "playground"; apiOrigin?: string };

/** The token set as the CLI keeps it: core's set, and how the login was obtained (older files lack it). */
export type StoredTokens = TokenSet & { obtainedVia?: LoginRoute };

/** How one refresh is done: through a broker (its endpoint judged), or at Monzo with the client secret. */
export type RefreshPlan =
  | { kind: "broker"; brokerUrl: string; endpoint: Endpoint }
  | { kind: "client"; clientId: string; clientSecret: string };

/** `tokens` with the way they were obtained (kept on every refresh). */
export function withRoute(tokens: TokenSet, route: LoginRoute): StoredTokens {
  return { ...tokens, obtainedVia: route };
}

/**
 * The origin requests to `apiUrl` go to, normalised by the URL parser as every endpoint is judged (host
 * lower-cased, `127.1` read as `127.0.0.1`, the default port dropped): what a login records, and what each
 * run is compared with. `apiUrl` has been judged a URL before any login or request; anything else is kept
 * as given (and so matches nothing recorded).
 *
 * @example apiOrigin("HTTP://127.1:6601/") // "http://127.0.0.1:6601"
 */
export function apiOrigin(apiUrl: string): string {
  try {
    return new URL(apiUrl).origin;
  } catch {
    return apiUrl;
  }
}

/** Same broker: compared as URLs, trailing slashes aside (the broker client strips them too). */
function sameBroker(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      return new URL(u).href.replace(/\/+$/, "");
    } catch {
      return u;
    }
  };
  return norm(a) === norm(b);
}

/**
 * The saved route of a token set: `undefined` for a file written before routes were saved.
 *
 * @throws {ConfigError} when the saved route is not one (a damaged or hand-edited token file)
 */
export function routeOf(tokens: TokenSet, tokenPath: string): LoginRoute | undefined {
  const route = (tokens as StoredTokens).obtainedVia as unknown;
  if (route === undefined) return undefined;
  const r = route as { kind?: unknown; brokerUrl?: unknown; apiOrigin?: unknown };
  if (r !== null && typeof r === "object" && (r.apiOrigin === undefined || isOrigin(r.apiOrigin))) {
    const api = r.apiOrigin === undefined ? {} : { apiOrigin: r.apiOrigin };
    if (r.kind === "client") return { kind: "client", ...api };
    if (r.kind === "playground") return { kind: "playground", ...api };
    if (r.kind === "broker" && typeof r.brokerUrl === "string" && r.brokerUrl !== "")
      return { kind: "broker", brokerUrl: r.brokerUrl, ...api };
  }
  throw new ConfigError(
    `The token file ${tokenPath} is damaged (its "obtainedVia" is not a login route)`,
    "Run monzo login again to replace it.",
  );
}

/** An http(s) origin as `apiOrigin` writes it (a hand-edited path, query or other scheme is not one). */
function isOrigin(value: unknown): value is string {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * The API a login's tokens belong to, when its file records it: the one it was made at (kept on every
 * refresh). `undefined` for a file written before it was recorded.
 *
 * @throws {ConfigError} for a damaged route (see `routeOf`)
 */
export function loginApiOf(tokens: TokenSet, tokenPath: string): string | undefined {
  return routeOf(tokens, tokenPath)?.apiOrigin;
}

/**
 * Refuses, before anything is sent, to use a login at an API other than the one it was made at: its access
 * token — and near expiry its refresh token with this machine's client secret — would go to a server that
 * never issued them (a `MONZO_API_URL` set later for other work, a profile's `apiUrl` changed since). The
 * person's mistake, said with both APIs and the ways out; `--api-url` naming the other API is a usage error
 * (exit 2), a setting from the environment, a `.env`, the profile or the default a configuration one (exit
 * 3), as for a `--broker` or client id that is not the login's (planRefresh). A file without a recorded API
 * (written before it was) passes: it is used with this run's API, as before, until a refresh or a login
 * records one.
 *
 * @throws {UsageError} when `--api-url` names another API than the login's
 * @throws {ConfigError} when the environment, a `.env`, the profile or the default does
 */
export function requireLoginApi(tokens: TokenSet, settings: Settings): void {
  const made = loginApiOf(tokens, settings.tokenPath);
  const here = apiOrigin(settings.apiUrl);
  if (made === undefined || made === here) return;
  const source = settings.sources["apiUrl"] ?? "default";
  const from = describeSource("apiUrl", source, whereOf(settings));
  const login = loginHint(settings);
  const message = `This login was made at the API ${printable(made)}, but this run's API is ${printable(here)} (${printable(from)}): its tokens are not sent to an API that did not issue them`;
  const hint = `${wayBack(made, settings)}, or log in again for ${printable(here)} (${login}), or keep each API in its own profile (--profile NAME).`;
  if (source === "flag") throw new UsageError(message, hint);
  throw new ConfigError(message, hint);
}

function whereOf(settings: Settings) {
  return { profile: settings.profile, profilePath: settings.profilePath, dotenvPath: settings.dotenv.path };
}

/**
 * What brings this run back to the login's API `made`, worked out from the run's own settings: taking away
 * the setting in effect is offered only when the one it overrides (`apiUrlLayers`) names that API and would
 * itself be accepted; otherwise the API is named where it overrides what is in effect (`--api-url` always;
 * `MONZO_API_URL` when the flag is not what is in effect and its host would be accepted from there).
 */
function wayBack(made: string, settings: Settings): string {
  const [top, next] = settings.apiUrlLayers;
  const source = top?.source ?? "default";
  const api = printable(made);
  const context = {
    runAllowed: settings.runAllowHosts,
    profileAllowed: settings.profileAllowHosts,
    ...whereOf(settings),
  };
  const nextIsMade =
    next !== undefined &&
    apiOrigin(next.value) === made &&
    !judgeEndpoint("apiUrl", next.value, next.source, context).refusal;
  const fromEnvironment = !judgeEndpoint("apiUrl", made, "env", context).refusal;
  switch (source) {
    case "flag":
      return nextIsMade
        ? `Drop --api-url to use this login at ${api}`
        : `Pass --api-url ${api} instead to use this login where it was made`;
    case "env":
      if (nextIsMade) return `Unset MONZO_API_URL to use this login at ${api}`;
      return fromEnvironment
        ? `Set MONZO_API_URL to ${api} (or pass --api-url ${api}) to use this login where it was made`
        : `Pass --api-url ${api} to use this login where it was made`;
    case ".env":
      if (nextIsMade)
        return `Remove MONZO_API_URL from ${printable(settings.dotenv.path)} to use this login at ${api}`;
      break;
    case "profile": {
      // `monzo config set` confirms the host it saves, so this is accepted from the profile.
      const profile = settings.profile === "default" ? "" : ` --profile ${settings.profile}`;
      return `Set the profile's apiUrl back (monzo config set apiUrl ${api}${profile}) to use this login`;
    }
  }
  return fromEnvironment
    ? `Pass --api-url ${api} (or set MONZO_API_URL to it) to use this login where it was made`
    : `Pass --api-url ${api} to use this login where it was made`;
}

function loginHint(settings: Settings): string {
  return settings.profile === "default" ? "monzo login" : `monzo login --profile ${settings.profile}`;
}

/**
 * Chooses how to refresh `tokens`, from how they were obtained — never from whichever credentials happen to
 * be in the environment. A broker login refreshes only through its broker: the environment's client id and
 * secret are never sent with its refresh token; a broker named with `--broker` that is not that one is a
 * usage error; one only in the environment, a `.env` or the profile is passed over with a note. A login made
 * with this machine's client refreshes only at Monzo with that client, never through a broker. Token sets
 * saved before routes were: this machine's client when its id is the one the tokens were issued to, else
 * the configured broker. The saved broker URL obeys the host rules of every URL (`judgeEndpoint`).
 *
 * @throws {UsageError} for a `--broker` this login cannot be refreshed through
 * @throws {ConfigError} when what the refresh needs is missing or refused
 */
export function planRefresh(
  tokens: TokenSet,
  settings: Settings,
  note: (text: string) => void = () => {},
): RefreshPlan {
  const route = routeOf(tokens, settings.tokenPath);
  const where = {
    profile: settings.profile,
    profilePath: settings.profilePath,
    dotenvPath: settings.dotenv.path,
  };
  const { clientId, clientSecret, brokerUrl } = settings;
  const brokerSource = settings.sources["brokerUrl"] ?? "default";
  const login = loginHint(settings);
  const viaBroker = (url: string, endpoint: Endpoint | undefined): RefreshPlan => {
    const judged =
      endpoint ??
      judgeEndpoint("brokerUrl", url, "login", {
        runAllowed: settings.runAllowHosts,
        profileAllowed: settings.profileAllowHosts,
        ...where,
      });
    if (judged.refusal) throw judged.refusal;
    return { kind: "broker", brokerUrl: url, endpoint: judged };
  };
  const viaClient = (): RefreshPlan => {
    if (!clientId || !clientSecret)
      throw new ConfigError(
        `The access token has expired, and this login was made with this machine's client (${tokens.clientId}): refreshing it needs that client's id and secret, which are not set`,
        `Set MONZO_CLIENT_ID and MONZO_CLIENT_SECRET (or save them with ${login}), or log in again. A broker cannot refresh it: the tokens belong to this machine's client.`,
      );
    if (clientId !== tokens.clientId)
      throw new ConfigError(
        `The client id set here (${clientId}, from ${describeClientSource(settings)}) is not the one this login was made with (${tokens.clientId})`,
        `Set MONZO_CLIENT_ID and MONZO_CLIENT_SECRET to that client's, or log in again with this one (${login}).`,
      );
    return { kind: "client", clientId, clientSecret };
  };

  if (route?.kind === "broker") {
    if (brokerUrl !== undefined && !sameBroker(brokerUrl, route.brokerUrl)) {
      if (brokerSource === "flag")
        throw new UsageError(
          `This login came through the broker ${route.brokerUrl}: --broker ${brokerUrl} cannot refresh it (its tokens belong to the other broker's client)`,
          `Drop --broker to refresh through ${route.brokerUrl}, or log in through the other one: ${login} --broker ${brokerUrl}`,
        );
      note(
        `note: this login came through the broker ${printable(route.brokerUrl)}, so it is refreshed there, not at ${printable(brokerUrl)} (${printable(describeSource("brokerUrl", brokerSource, where))}).\n`,
      );
      return viaBroker(route.brokerUrl, undefined);
    }
    return viaBroker(route.brokerUrl, brokerUrl !== undefined ? settings.endpoints.brokerUrl : undefined);
  }
  if (route?.kind === "playground")
    throw new ConfigError(
      "The access token has expired, and it is a token from Monzo's API playground, which cannot be refreshed",
      `Get a new one from the playground (${login} --access-token), or log in with your own client (${login}).`,
    );
  if (route?.kind === "client") {
    if (brokerUrl !== undefined && brokerSource === "flag")
      throw new UsageError(
        `This login was made with this machine's client (${tokens.clientId}), not through a broker: --broker cannot refresh it`,
        `Drop --broker, or log in through the broker: ${login} --broker ${brokerUrl}`,
      );
    return viaClient();
  }
  // Saved before routes were: the client the tokens were issued to says which way they came.
  if (clientId && clientSecret && clientId === tokens.clientId) return viaClient();
  if (brokerUrl !== undefined) return viaBroker(brokerUrl, settings.endpoints.brokerUrl);
  if (clientId && clientSecret) return viaClient();
  throw new ConfigError(
    "The access token has expired, and there is no way to refresh it here: no client secret and no broker",
    `Log in again (${login}), or set MONZO_CLIENT_ID and MONZO_CLIENT_SECRET, or --broker URL, to what this login was made with.`,
  );
}

function describeClientSource(settings: Settings): string {
  switch (settings.sources["clientId"]) {
    case "flag":
      return "--client-id";
    case "env":
      return "MONZO_CLIENT_ID in the environment";
    case ".env":
      return `MONZO_CLIENT_ID in ${settings.dotenv.path}`;
    default:
      return `the profile ${settings.profilePath}`;
  }
}
