import { InvalidArgumentError } from "../errors/client-errors.js";

/** Monzo's hosts (REFERENCE §1.1). */
export const MONZO_API_URL = "https://api.monzo.com";
export const MONZO_AUTH_URL = "https://auth.monzo.com/";

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Whether a URL's host is this machine. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.test(url.hostname);
}

/**
 * Parses a configured base URL. Plain `http` is allowed only for loopback (the emulator) or with
 * `allowInsecure`: tokens and the client secret must not cross a network unencrypted.
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
