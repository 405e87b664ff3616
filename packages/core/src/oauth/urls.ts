import { InvalidArgumentError } from "../errors/client-errors.js";

/**
 * Monzo's hosts (REFERENCE §1.1).
 *
 * @example new MonzoClient({ accessToken, apiUrl: MONZO_API_URL })
 */
export const MONZO_API_URL = "https://api.monzo.com";
/**
 * Monzo's login page (REFERENCE §1.1).
 *
 * @example authorizationUrl({ clientId, redirectUri, authUrl: MONZO_AUTH_URL })
 */
export const MONZO_AUTH_URL = "https://auth.monzo.com/";

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Whether a URL's host is this machine.
 *
 * @example isLoopbackUrl(new URL("http://127.0.0.1:6601")) // true
 */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.test(url.hostname);
}

/**
 * Parses a configured base URL. Plain `http` is allowed only for loopback (the emulator) or with
 * `allowInsecure`: tokens and the client secret must not cross a network unencrypted.
 *
 * @example checkBaseUrl("http://localhost:6601", "apiUrl") // allowed: loopback
 */
export function checkBaseUrl(value: string, what: string, allowInsecure = false): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(
      `${what} "${value}" is not a URL`,
      `Set ${what} to an absolute URL such as ${what === "authUrl" ? MONZO_AUTH_URL : MONZO_API_URL}.`,
    );
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && (isLoopbackUrl(url) || allowInsecure)) return url;
  throw new InvalidArgumentError(
    `${what} "${value}" must use https (plain http is allowed only for localhost)`,
    "Use https, or pass allowInsecure: true if you really mean to send tokens unencrypted.",
  );
}
