import { authorizationUrl, exchangeCode, type TokenSet, validateCallback } from "@monzokit/core";
import { startCallbackServer } from "./loopback.js";

export interface LoopbackLoginOptions {
  clientId: string;
  clientSecret: string;
  /** A loopback redirect URI registered for the client, e.g. `http://localhost:6600/callback`. */
  redirectUri: string;
  authUrl?: string;
  apiUrl?: string;
  /** Show the login URL to the person: open a browser, print it, or both. Called once. */
  onUrl: (url: string) => void | Promise<void>;
  /** Give up after this long. Default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
}

/**
 * The loopback login for Node programs (what `monzo login` does, without the terminal): starts the one-use
 * callback server, hands you the Monzo login URL, checks the state, exchanges the code, and resolves with the
 * tokens. The person still has to approve the login in the Monzo app afterwards (`waitForApproval`).
 *
 * @example
 * ```ts
 * const tokens = await loopbackLogin({ clientId, clientSecret, redirectUri: "http://localhost:6600/callback", onUrl: (u) => console.log(u) });
 * ```
 */
export async function loopbackLogin(options: LoopbackLoginOptions): Promise<TokenSet> {
  const { url, state } = authorizationUrl({
    clientId: options.clientId,
    redirectUri: options.redirectUri,
    ...(options.authUrl ? { authUrl: options.authUrl } : {}),
  });
  const server = await startCallbackServer({
    redirectUri: options.redirectUri,
    state,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    await options.onUrl(url);
    const callback = validateCallback(await server.callback, state);
    const tokens = await exchangeCode(callback, {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      redirectUri: options.redirectUri,
      ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    server.finish({ ok: true });
    return tokens;
  } catch (error) {
    server.finish({ ok: false, error });
    throw error;
  } finally {
    await server.close();
  }
}
