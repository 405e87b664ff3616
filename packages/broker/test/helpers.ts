import { createEmulator, type Emulator } from "@monzokit/emulator";
import { type BrokerConfig, createBrokerApp, MemorySessionStore, type SessionStore } from "../src/index.js";

export const PUBLIC = "http://127.0.0.1:7700";
/** Where the test's app says it listens for the browser's return (a loopback address, as a real app's). */
export const RETURN_TO = "http://127.0.0.1:45999/monzokit-broker/return-0123456789abcdef";
/** `/new` as an app that binds its logins asks for it. */
export const NEW = `/new?return_to=${encodeURIComponent(RETURN_TO)}`;
export const CLIENT = {
  id: "oauth2client_0000BrokerTest00000001",
  secret: "mnzconf.broker-test-secret-value",
};

export function config(extra: Partial<BrokerConfig> = {}): BrokerConfig {
  return {
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    publicUrl: PUBLIC,
    authUrl: "http://127.0.0.1:9/auth/",
    apiUrl: "http://127.0.0.1:9",
    codeKey: new Uint8Array(32).fill(7),
    sessionTtlMs: 600_000,
    maxWaitSeconds: 5,
    rateLimits: { new: 1000, token: 1000, refresh: 1000 },
    corsOrigins: [],
    trustProxy: false,
    allowInsecure: false,
    ...extra,
  };
}

export interface Logged {
  fields: Record<string, unknown>;
  message: string;
}

export function setup(
  options: {
    config?: Partial<BrokerConfig>;
    store?: SessionStore;
    now?: () => number;
    emulator?: Emulator;
  } = {},
) {
  const e =
    options.emulator ??
    createEmulator({
      seed: "broker",
      transactions: 200,
      clock: { start: "2026-06-01T12:00:00Z", frozen: true },
    });
  e.control.addClient({
    id: CLIENT.id,
    secret: CLIENT.secret,
    redirectUris: [`${PUBLIC}/callback`],
    confidential: true,
    name: "Broker test",
  });
  const logs: Logged[] = [];
  const record = (fields: Record<string, unknown>, message: string) => void logs.push({ fields, message });
  const store = options.store ?? new MemorySessionStore(options.now);
  const app = createBrokerApp({
    config: config(options.config),
    store,
    fetch: e.fetch,
    logger: { info: record, warn: record, error: record },
    pollIntervalMs: 5,
    ...(options.now ? { now: options.now } : {}),
  });
  return { e, app, store, logs };
}

/** A person at Monzo's login page pressing Allow (or Deny); returns the broker callback path. */
export async function consent(
  e: Emulator,
  loginUrl: string,
  decision: "allow" | "deny" = "allow",
): Promise<string> {
  const html = await (await e.fetch(loginUrl)).text();
  const nonce = /name="consent" value="([^"]+)"/.exec(html)![1]!;
  const user = /name="user_id" value="([^"]+)"/.exec(html)![1]!;
  const res = await e.fetch("http://127.0.0.1:9/auth/authorize", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ consent: nonce, user_id: user, decision }).toString(),
  });
  const location = new URL(res.headers.get("location")!);
  return `${location.pathname}${location.search}`;
}

/** The confirmation a bound login's browser was sent back to the app with (the callback's 303). */
export function confirmationFrom(callback: Response): string {
  const location = callback.headers.get("location");
  if (callback.status !== 303 || !location) throw new Error(`not a return to the app: ${callback.status}`);
  const url = new URL(location);
  if (`${url.origin}${url.pathname}` !== RETURN_TO) throw new Error(`returned elsewhere: ${location}`);
  return url.searchParams.get("confirm")!;
}
