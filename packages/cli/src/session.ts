import { stat } from "node:fs/promises";
import {
  type AccessTokenProvider,
  type Account,
  BrokerLogin,
  MonzoClient,
  monzoRefresh,
  type RefreshFunction,
  redact,
  refreshNotSent,
  registerSecret,
  TokenManager,
  type TokenSet,
} from "@monzokit/core";
import { announcingFetch, type Endpoint, noteOnce, requireEndpoints } from "./config/endpoints.js";
import {
  apiOrigin,
  type LoginRoute,
  planRefresh,
  requireLoginApi,
  routeOf,
  withRoute,
} from "./config/login-route.js";
import { configDir } from "./config/paths.js";
import { resolveSettings, type SettingFlags, type Settings } from "./config/settings.js";
import { ConfigError, UsageError } from "./errors.js";
import { nodeHttpFetch } from "./http-fetch.js";
import type { Io } from "./io.js";
import { FileTokenStore } from "./store/file-store.js";
import { KeychainTokenStore, keychainStatus } from "./store/keychain.js";

export interface GlobalFlags extends SettingFlags {
  json?: boolean | undefined;
  csv?: boolean | undefined;
  quiet?: boolean | undefined;
  debug?: boolean | undefined;
  /** `--utc`: times in UTC instead of the local time zone. */
  utc?: boolean | undefined;
}

export interface Session {
  io: Io;
  /** The fetch every request of this command goes through (node:http based; logs with --debug). */
  fetch: typeof fetch;
  flags: GlobalFlags;
  settings: Settings;
  store: FileTokenStore | KeychainTokenStore;
  manager: TokenManager;
  client: MonzoClient;
}

/**
 * A broker's collection handle (`/token?id=`) and a login's confirmation (`confirm=`) collect someone's
 * tokens: masked in debug output like a token.
 */
function maskHandles(text: string): string {
  return text.replace(/([?&](?:id|confirm)=)[^&\s#"']+/g, "$1[redacted]");
}

/**
 * A fetch that prints each request and answer to stderr for `--debug`, redacted: no token, code,
 * secret or broker collection handle reaches the terminal.
 */
export function debugFetch(io: Io, inner: typeof fetch): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    // Not `instanceof Request`: touching the global Request loads undici (see http-fetch.ts).
    const request = typeof input === "object" && "url" in input ? input : undefined;
    const method = init?.method ?? request?.method ?? "GET";
    const url = request ? request.url : String(input);
    const started = io.now();
    io.err(`→ ${method} ${maskHandles(redact(url))}\n`);
    if (typeof init?.body === "string") io.err(`  body ${redact(init.body)}\n`);
    try {
      const response = await inner(input, init);
      io.err(`← ${response.status} ${method} ${redact(new URL(url).pathname)} (${io.now() - started} ms)\n`);
      return response;
    } catch (error) {
      io.err(
        `✗ ${method} ${maskHandles(redact(url))}: ${maskHandles(redact(String((error as Error).message)))}\n`,
      );
      throw error;
    }
  }) as typeof fetch;
}

/** Builds the client for a command: settings, the profile's token file, a refreshing token manager. */
export async function openSession(
  io: Io,
  flags: GlobalFlags,
  options: { fetch?: typeof fetch } = {},
): Promise<Session> {
  const settings = await resolveSettings(io, flags);
  // The client secret is configuration, not a token: it never rotates, may look like any text, and must stay
  // masked in every message, log and --debug line of this process (core's bounded list of recent tokens is
  // for the tokens themselves, which core remembers as it handles them).
  registerSecret(settings.clientSecret);
  const store =
    settings.tokenStore === "file"
      ? new FileTokenStore(settings.tokenPath)
      : new KeychainTokenStore({
          profile: settings.profile,
          home: configDir(io.env),
          tokenPath: settings.tokenPath,
          env: io.env,
          onFallback: (reason) =>
            io.err(
              `warning: could not save the tokens to the OS keychain (${reason}); they are in ${settings.tokenPath}, readable only by you.\n`,
            ),
        });
  // Before any request: a host that is neither Monzo's nor this machine must have been chosen on purpose.
  // The API is used by every command. A broker only when this run goes through it: a login through it
  // (loginThroughBroker checks), or a refresh planRefresh sends there (which checks the broker it chose) —
  // a broker in the environment that this login never uses refuses nothing.
  requireEndpoints(settings.endpoints, ["apiUrl"]);
  const where = {
    profile: settings.profile,
    profilePath: settings.profilePath,
    dotenvPath: settings.dotenv.path,
  };
  // The note naming an endpoint that is not Monzo's comes before the first request to it, so the debug
  // trace sits inside it: `note: the API is …` first, then `→ POST …/oauth2/token`.
  const traced = (endpoints: readonly Endpoint[]) => {
    const inner = options.fetch ?? nodeHttpFetch;
    return announcingFetch(
      io,
      endpoints,
      where,
      flags.debug ? debugFetch(io, inner) : inner,
      flags.quiet === true,
    );
  };
  const fetchImpl = traced(
    [settings.endpoints.apiUrl, settings.endpoints.brokerUrl].filter((e) => e !== undefined),
  );
  const refresh: RefreshFunction = async (current, signal) => {
    let send: () => Promise<TokenSet>;
    try {
      // Never to an API that did not issue this login (its refresh token and the client secret with it).
      requireLoginApi(current, settings);
      // Chosen from how this login was obtained, never from whatever client happens to be configured: a
      // broker's refresh token sent to Monzo with another client's secret is refused (and may be spent).
      const plan = planRefresh(current, settings, (text) => {
        if (!flags.quiet) noteOnce(io, "refresh route", text);
      });
      // The API is kept (or, for a file from before it was recorded, recorded now): a client login's
      // refresh is accepted only by the API that issued it; a broker login's tokens are used at this one.
      const api = routeOf(current, settings.tokenPath)?.apiOrigin ?? apiOrigin(settings.apiUrl);
      if (plan.kind === "broker") {
        const viaFetch = plan.endpoint === settings.endpoints.brokerUrl ? fetchImpl : traced([plan.endpoint]);
        const viaBroker = new BrokerLogin({ brokerUrl: plan.brokerUrl, fetch: viaFetch }).refreshFunction();
        const route: LoginRoute = { kind: "broker", brokerUrl: plan.brokerUrl, apiOrigin: api };
        send = async () => withRoute(await viaBroker(current, signal), route);
      } else {
        const atMonzo = monzoRefresh({
          clientId: plan.clientId,
          clientSecret: plan.clientSecret,
          apiUrl: settings.apiUrl,
          fetch: fetchImpl,
        });
        send = async () => withRoute(await atMonzo(current, signal), { kind: "client", apiOrigin: api });
      }
    } catch (error) {
      // Declined before anything was sent (a missing secret, another API, a refused broker): the refresh
      // token is intact, and this error — not "outcome unknown" — is what the person needs to read.
      throw refreshNotSent(error as object);
    }
    return send();
  };
  const manager = new TokenManager({ store, refresh });
  // Every token the client sends is checked against the API this run uses: before (the stored login) and
  // after (a set another process saved meanwhile, which the manager may have adopted) it is handed out.
  const checked = async <T>(get: () => Promise<T>): Promise<T> => {
    const before = await manager.tokens();
    if (before) requireLoginApi(before, settings);
    const token = await get();
    const after = await manager.tokens();
    if (after && after !== before) requireLoginApi(after, settings);
    return token;
  };
  const tokens: AccessTokenProvider = {
    accessToken: (signal) => checked(() => manager.accessToken(signal)),
    recover: (failed, error, signal) => checked(() => manager.recover(failed, error, signal)),
  };
  const timeoutMs = requestTimeout(io.env);
  const client = new MonzoClient({
    tokens,
    apiUrl: settings.apiUrl,
    fetch: fetchImpl,
    userAgent: "monzokit-cli/0.1",
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  return { io, fetch: fetchImpl, flags, settings, store, manager, client };
}

/**
 * `MONZO_TIMEOUT`: seconds to wait for each answer from Monzo (default 30; a slow network may want more, a
 * test less). A pot move that gets no answer in time is reported as an unknown outcome, with the way to finish it.
 */
export function requestTimeout(env: Record<string, string | undefined>): number | undefined {
  const text = env["MONZO_TIMEOUT"];
  if (text === undefined || text === "") return undefined;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds < 0.1 || seconds > 600)
    throw new ConfigError(
      `MONZO_TIMEOUT must be a number of seconds from 0.1 to 600, not "${text}"`,
      "Unset it for the default (30 seconds), or e.g. MONZO_TIMEOUT=60.",
    );
  return Math.round(seconds * 1000);
}

/** Where the tokens of this session went on their last save, in words for the person. */
export function whereTokensWent(session: Session): string {
  const { store, settings } = session;
  if (store instanceof KeychainTokenStore) {
    if (store.lastSave?.to === "keychain") return "the OS keychain";
    if (store.lastSave?.to === "file" && settings.tokenStore === "auto")
      return `${settings.tokenPath} (readable only by you; no OS keychain: ${store.lastSave.reason})`;
  }
  return `${settings.tokenPath} (readable only by you)`;
}

/** Where this profile's tokens are kept now: the file (if there is one) wins, then the keychain marker. */
export async function tokenHome(session: Session): Promise<"keychain" | "file" | "none"> {
  const has = (path: string) =>
    stat(path).then(
      () => true,
      () => false,
    );
  if (await has(session.settings.tokenPath)) return "file";
  if (session.store instanceof KeychainTokenStore && (await has(session.store.markerPath))) return "keychain";
  return "none";
}

/** `MONZO_TOKEN_STORE=keychain` is a promise: refuse to log in when no keychain can keep it. */
export async function checkTokenStore(session: Session): Promise<void> {
  if (session.settings.tokenStore !== "keychain") return;
  const status = await keychainStatus(session.io.env);
  if (!status.available)
    throw new ConfigError(
      `The token store is set to keychain, but there is no OS keychain to use: ${status.reason}`,
      "Start or unlock your keyring, or set MONZO_TOKEN_STORE=auto (or file) to keep tokens in a 0600 file.",
    );
}

/** The stored tokens, or a clear error naming `monzo login`. */
export async function requireTokens(session: Session): Promise<TokenSet> {
  const tokens = await session.manager.tokens();
  if (!tokens) {
    const profile = session.settings.profile === "default" ? "" : ` --profile ${session.settings.profile}`;
    throw new ConfigError(
      `Not logged in${profile ? ` (profile ${session.settings.profile})` : ""}`,
      `Run monzo login${profile} first.`,
    );
  }
  return tokens;
}

/**
 * The account a command acts on: `--account`, or the one open current account; otherwise the error
 * lists the choices and names the flag.
 */
export async function pickAccount(session: Session, accountFlag: string | undefined): Promise<Account> {
  const accounts = await session.client.accounts.list();
  if (accountFlag) {
    const found = accounts.find((a) => a.id === accountFlag);
    if (!found)
      throw new UsageError(
        `No account ${accountFlag} for this login`,
        `Choose one of: ${accounts.map((a) => `${a.id} (${a.type})`).join(", ")}.`,
      );
    return found;
  }
  const current = accounts.filter((a) => !a.closed && (a.type === "uk_retail" || a.type === "uk_business"));
  if (current.length === 1) return current[0]!;
  const open = accounts.filter((a) => !a.closed);
  throw new UsageError(
    current.length === 0 ? "No open current account to use by default" : "More than one current account",
    `Pass --account with one of: ${open.map((a) => `${a.id} (${a.type})`).join(", ")}.`,
  );
}
