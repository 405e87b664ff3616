import { createEmulator, DEMO_CLIENT, type Emulator, type EmulatorOptions } from "@monzokit/emulator";
import {
  authorizationUrl,
  exchangeCode,
  MemoryTokenStore,
  MonzoClient,
  type MonzoClientOptions,
  monzoRefresh,
  TokenManager,
  type TokenSet,
  validateCallback,
} from "../../src/index.js";

/** The emulator answers whatever host it is given in-process; a loopback URL passes core's https check. */
export const API = "http://127.0.0.1:9";
export const AUTH = "http://127.0.0.1:9/auth/";
export const CREDENTIALS = {
  clientId: DEMO_CLIENT.id,
  clientSecret: DEMO_CLIENT.secret,
  redirectUri: DEMO_CLIENT.redirectUris[0]!,
};

export function emulator(options: EmulatorOptions = {}): Emulator {
  return createEmulator({
    seed: "core",
    transactions: 800,
    clock: { start: "2026-06-01T12:00:00Z", frozen: true },
    ...options,
  });
}

/** Drives the consent page like a browser that presses Allow; returns the redirect URL. */
export async function consent(
  e: Emulator,
  loginUrl: string,
  decision: "allow" | "deny" = "allow",
): Promise<string> {
  const page = await e.fetch(loginUrl);
  const html = await page.text();
  const nonce = /name="consent" value="([^"]+)"/.exec(html)?.[1];
  const user = /name="user_id" value="([^"]+)"/.exec(html)?.[1];
  if (!nonce || !user) throw new Error(`no consent form: ${page.status} ${html.slice(0, 200)}`);
  const res = await e.fetch(`${API}/auth/authorize`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ consent: nonce, user_id: user, decision }).toString(),
    redirect: "manual",
  });
  return res.headers.get("location")!;
}

/** The full login with core's OAuth functions; approves in the app unless told not to. */
export async function login(e: Emulator, opts: { approve?: boolean } = {}): Promise<TokenSet> {
  const { url, state } = authorizationUrl({
    clientId: CREDENTIALS.clientId,
    redirectUri: CREDENTIALS.redirectUri,
    authUrl: AUTH,
  });
  const callback = validateCallback(await consent(e, url), state);
  const tokens = await exchangeCode(callback, {
    ...CREDENTIALS,
    apiUrl: API,
    fetch: e.fetch,
    now: () => e.control.now(),
  });
  if (opts.approve !== false) e.control.approve();
  return tokens;
}

/** A client over a token manager refreshing at the emulator, with delays captured instead of slept. */
export function clientFor(e: Emulator, tokens: TokenSet, extra: Partial<MonzoClientOptions> = {}) {
  const store = new MemoryTokenStore(tokens);
  const delays: number[] = [];
  const manager = new TokenManager({
    store,
    refresh: monzoRefresh({ ...CREDENTIALS, apiUrl: API, fetch: e.fetch, now: () => e.control.now() }),
    now: () => e.control.now(),
  });
  const client = new MonzoClient({
    tokens: manager,
    fetch: e.fetch,
    apiUrl: API,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
  return { client, manager, store, delays };
}

export async function counters(e: Emulator): Promise<Record<string, number>> {
  return (await (await e.app.request("/_emulator/counters")).json()) as Record<string, number>;
}

export async function mainAccount(e: Emulator): Promise<string> {
  return [...e.state.bank.accounts.values()].find((a) => a.json.type === "uk_retail")!.json.id;
}
