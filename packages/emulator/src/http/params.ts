import { MonzoHttpError } from "./errors.js";

/** Query text the form decoder leaves as it is: no `%` escapes, no `+`, only URL-safe characters. */
const PLAIN = /^[A-Za-z0-9\-._~!$'()*,;:@/?[\]=&]*$/;

/**
 * Request parameters as Monzo reads them: reads from the query string, writes from a form body only —
 * write parameters in a query string are ignored (REFERENCE §1.3, §13.18).
 */
export class Params {
  #values: URLSearchParams | undefined;
  /** A query with nothing to decode, read without building a `URLSearchParams` (the common GET). */
  readonly #plain: string | undefined;

  constructor(values: URLSearchParams | string) {
    if (typeof values === "string") this.#plain = values;
    else this.#values = values;
  }

  static fromQuery(url: string): Params {
    // The query string alone: parsing the whole URL again costs more than the rest of a small GET.
    const q = url.indexOf("?");
    if (q < 0) return new Params(new URLSearchParams());
    const hash = url.indexOf("#", q);
    const query = url.slice(q + 1, hash < 0 ? undefined : hash);
    // Without `%` or `+` (or anything else the form decoder would change) names and values are the text itself.
    return new Params(PLAIN.test(query) ? query : new URLSearchParams(query));
  }

  /** The parsed parameters, built on first need for a plain query. */
  get #all(): URLSearchParams {
    this.#values ??= new URLSearchParams(this.#plain);
    return this.#values;
  }

  /** Reads an `application/x-www-form-urlencoded` body; an empty or absent body has no parameters. */
  static async fromForm(request: Request): Promise<Params> {
    const type = request.headers.get("content-type") ?? "";
    const text = await request.text();
    if (text.length === 0) return new Params(new URLSearchParams());
    if (type && !/^application\/x-www-form-urlencoded\b/i.test(type) && !/^text\/plain\b/i.test(type)) {
      throw new MonzoHttpError(
        "bad_request.invalid_body",
        "Request body must be application/x-www-form-urlencoded",
      );
    }
    return new Params(new URLSearchParams(text));
  }

  get(name: string): string | undefined {
    if (this.#values === undefined && this.#plain !== undefined) {
      // One leading "?" is dropped, as URLSearchParams drops it.
      const text = this.#plain.startsWith("?") ? this.#plain.slice(1) : this.#plain;
      for (const part of text.split("&")) {
        if (part === "") continue;
        const eq = part.indexOf("=");
        if ((eq < 0 ? part : part.slice(0, eq)) === name) return eq < 0 ? "" : part.slice(eq + 1);
      }
      return undefined;
    }
    return this.#all.get(name) ?? undefined;
  }

  all(name: string): string[] {
    return this.#all.getAll(name);
  }

  /** Bracketed map parameters: `metadata[key]=v` → `{key: "v"}` (REFERENCE §1.3). Later values win. */
  map(name: string): Map<string, string> {
    const out = new Map<string, string>();
    const prefix = `${name}[`;
    for (const [key, value] of this.#all) {
      if (key.startsWith(prefix) && key.endsWith("]") && key.length > prefix.length + 1) {
        out.set(key.slice(prefix.length, -1), value);
      }
    }
    return out;
  }
}
