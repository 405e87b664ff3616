import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";

// Loaded with require(), not `import`: importing node:http as an ES module evaluates all its exports,
// and one of them loads undici — the very cost this module avoids.
const require = createRequire(import.meta.url);

/**
 * The subset of `fetch` the Monzo client uses, on `node:http`. Node's built-in `fetch` loads its whole
 * HTTP stack (undici) on first use, which costs a short command like `monzo balance` about a third of its
 * run time; this answers with a small Response-shaped object instead (status, ok, headers.get, text,
 * json, arrayBuffer). Bodies: strings, Uint8Array and Blob. Honours `signal`.
 */
export const nodeHttpFetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
  if (typeof input !== "string" && !(input instanceof URL)) return globalThis.fetch(input, init);
  const url = new URL(input);
  const body = await toBuffer(init.body);
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries((init.headers ?? {}) as Record<string, string>))
    headers.set(k.toLowerCase(), v);
  if (body && !headers.has("content-length")) headers.set("content-length", String(body.byteLength));
  const send = (require(url.protocol === "https:" ? "node:https" : "node:http") as typeof import("node:http"))
    .request;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = send(
      url,
      {
        method: init.method ?? "GET",
        headers: Object.fromEntries(headers),
        ...(init.signal ? { signal: init.signal } : {}),
      },
      resolve,
    );
    req.once("error", (error) =>
      reject(init.signal?.aborted ? init.signal.reason : new TypeError("fetch failed", { cause: error })),
    );
    req.end(body);
  });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    response.on("data", (c: Buffer) => chunks.push(c));
    response.once("end", resolve);
    response.once("error", (error) => reject(new TypeError("fetch failed", { cause: error })));
    init.signal?.addEventListener("abort", () => reject(init.signal!.reason), { once: true });
  });
  const bytes = Buffer.concat(chunks);
  const status = response.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    statusText: response.statusMessage ?? "",
    url: url.toString(),
    headers: {
      get: (name: string) => {
        const v = response.headers[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
      },
      has: (name: string) => response.headers[name.toLowerCase()] !== undefined,
    },
    text: async () => bytes.toString("utf8"),
    json: async () => JSON.parse(bytes.toString("utf8")) as unknown,
    arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    body: null,
  } as unknown as Response;
}) as typeof fetch;

async function toBuffer(body: RequestInit["body"]): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (body instanceof Blob) return Buffer.from(await body.arrayBuffer());
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), "utf8");
  throw new TypeError("monzo: unsupported request body type");
}
