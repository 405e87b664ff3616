import { RedirectRefusedError } from "../errors/client-errors.js";

/**
 * Every request that carries a token, a code or the client secret is sent with this: a redirect comes back
 * as an answer instead of being followed, so the secret never travels to where it points (with the platform
 * fetch a 307 would re-send the whole body, client secret included, to any origin).
 */
export const NO_REDIRECTS = "manual" as const satisfies RequestRedirect;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Throws `RedirectRefusedError` when `response` is a redirect, or was redirected anyway (an injected fetch
 * that follows whatever it is told): such an answer is not Monzo's. A browser's manual redirect is an
 * opaque answer with status 0.
 */
export function refuseRedirect(response: Response, what: string, requestUrl: string): void {
  if (!(REDIRECTS.has(response.status) || response.type === "opaqueredirect" || response.redirected === true))
    return;
  let location: string | undefined;
  try {
    const to = response.redirected ? response.url : response.headers.get("location");
    if (to) location = new URL(to, requestUrl).origin;
  } catch {}
  throw new RedirectRefusedError(what, location);
}
