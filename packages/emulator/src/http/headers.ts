import type { Context } from "hono";

/**
 * Reads a request header. On Node, `c.req.header()` makes the adapter build a full `Request` (Headers and
 * all) for every call — most of a small GET's cost — so read the incoming message's parsed headers instead.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (
    c.env as { incoming?: { headers: Record<string, string | string[] | undefined> } } | undefined
  )?.incoming;
  if (incoming) {
    const value = incoming.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  }
  return c.req.header(name);
}

/** The same, where there is no Hono context yet: from the request, or the Node message in `env`. */
export function headerOf(request: Request, env: unknown, name: string): string | undefined {
  const incoming = (
    env as { incoming?: { headers: Record<string, string | string[] | undefined> } } | undefined
  )?.incoming;
  if (incoming) {
    const value = incoming.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  }
  return request.headers.get(name) ?? undefined;
}
