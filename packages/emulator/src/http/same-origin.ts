import { headerOf } from "./headers.js";

/**
 * Whether a request to the control API or a login page's form came from a web page on another site. Any page
 * the person has open can send requests to a loopback server: a form post or a
 * `fetch(…, {mode: "no-cors"})` to `/_emulator/approve` or `/auth/app/decision` would otherwise approve
 * logins behind their back. Browsers say where a request comes from (`Origin`, `Sec-Fetch-Site`); a
 * rebound DNS name shows in `Host`. Non-browser clients (tests, curl, the CLI) send neither and pass.
 *
 * @returns why the request is refused, or `undefined` to let it through.
 */
export function crossSiteReason(
  request: Request,
  env: unknown,
  hostAllowed: (hostname: string) => boolean,
): string | undefined {
  // In-process requests (no socket) have no Host header: their URL says where they went.
  const host = headerOf(request, env, "host") ?? new URL(request.url).host;
  if (!hostAllowed(hostnameOf(host)))
    return `Host ${host} is not this emulator's: reach it at 127.0.0.1 or localhost`;
  const site = headerOf(request, env, "sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return "requests from other web pages are refused";
  const origin = headerOf(request, env, "origin");
  if (origin !== undefined && !sameHost(origin, host)) return "requests from other web pages are refused";
  return undefined;
}

function hostnameOf(host: string): string {
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracket) return bracket[1]!.toLowerCase();
  return host.replace(/:\d+$/, "").toLowerCase();
}

function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** Names and addresses that can only mean this machine. */
export function isLoopbackName(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}
