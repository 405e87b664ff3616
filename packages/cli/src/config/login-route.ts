import type { TokenSet } from "@monzokit/core";
import { ConfigError, UsageError } from "../errors.js";
import { printable } from "../output/printable.js";
import { describeSource, type Endpoint, judgeEndpoint } from "./endpoints.js";
import type { Settings } from "./settings.js";

/**
 * How a login was obtained, saved with its tokens. It decides how they are refreshed: a broker's refresh
 * token belongs to the broker's OAuth client and only the broker holds that client's secret, so it is
 * refreshed only there; tokens made with this machine's client id and secret only at Monzo with them.
 */
export type LoginRoute = { kind: "broker"; brokerUrl: string } | { kind: "client" };

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
  const r = route as { kind?: unknown; brokerUrl?: unknown };
  if (r !== null && typeof r === "object") {
    if (r.kind === "client") return { kind: "client" };
    if (r.kind === "broker" && typeof r.brokerUrl === "string" && r.brokerUrl !== "")
      return { kind: "broker", brokerUrl: r.brokerUrl };
  }
  throw new ConfigError(
    `The token file ${tokenPath} is damaged (its "obtainedVia" is not a login route)`,
    "Run monzo login again to replace it.",
  );
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
