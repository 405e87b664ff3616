/**
 * Opt-in CORS for browser apps developed against the emulator. Monzo's API sends no CORS headers (a browser
 * app talks to it through its own back end or a broker), so the default is off: preflights get 405 like any
 * unknown verb. With listed origins, only those get answers they can read, never with credentials (cookies
 * mean nothing to the API: it authenticates with bearer tokens), and only on the API and file storage —
 * never on the login pages, the control API or `/oauth2/token` (it takes the client secret, which a page
 * must never hold: a browser app logs in through monzo-broker).
 */

/** The CORS policy: exact origins, as a browser sends them in `Origin`. */
export interface CorsPolicy {
  readonly origins: ReadonlySet<string>;
  readonly maxAgeSeconds: number;
}

const METHODS = "GET, POST, PUT, PATCH, DELETE";
/** What Monzo clients send: the token, the body type, `Accept` (and a User-Agent where a browser lets them). */
const HEADERS = "authorization, content-type, accept, user-agent";
/** A 429's `Retry-After` must be readable for a browser client to back off. */
const EXPOSED = "retry-after";

/**
 * Checks the listed origins: each must be `http(s)://host[:port]`, exactly as browsers serialise an
 * origin. `*` and `null` are refused: "any page" is what the default (off) protects against.
 */
export function corsPolicy(origins: readonly string[], maxAgeSeconds = 600): CorsPolicy {
  if (origins.length === 0) throw new Error("cors needs at least one origin, e.g. http://localhost:5173");
  const set = new Set<string>();
  for (const raw of origins) {
    const text = raw.trim();
    if (text === "*" || text === "null")
      throw new Error(
        `cors origin "${text}" is refused: list the exact origins of your app (http://localhost:5173)`,
      );
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {}
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:"))
      throw new Error(`cors origin "${text}" is not an http(s) origin such as http://localhost:5173`);
    if (
      url.username ||
      url.password ||
      url.search ||
      url.hash ||
      (url.pathname !== "/" && url.pathname !== "")
    )
      throw new Error(`cors origin "${text}" must be scheme://host[:port] only, e.g. ${url.origin}`);
    set.add(url.origin);
  }
  return { origins: set, maxAgeSeconds };
}

/** The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`). */
export function preflight(policy: CorsPolicy, origin: string): Response {
  if (!policy.origins.has(origin)) {
    return new Response(
      JSON.stringify({ code: "forbidden.cors_origin", message: `Origin ${origin} is not allowed by --cors` }),
      { status: 403, headers: { "content-type": "application/json", vary: "Origin" } },
    );
  }
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": METHODS,
      "access-control-allow-headers": HEADERS,
      "access-control-max-age": String(policy.maxAgeSeconds),
      vary: "Origin",
    },
  });
}

/** Adds the headers that let a listed origin read this answer. */
export function allowRead(policy: CorsPolicy, origin: string | undefined, response: Response): Response {
  response.headers.append("vary", "Origin");
  if (origin === undefined || !policy.origins.has(origin)) return response;
  response.headers.set("access-control-allow-origin", origin);
  response.headers.set("access-control-expose-headers", EXPOSED);
  return response;
}
