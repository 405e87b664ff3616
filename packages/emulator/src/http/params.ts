import { MonzoHttpError } from "./errors.js";

/**
 * Request parameters as Monzo reads them: reads from the query string, writes from a form body only —
 * write parameters in a query string are ignored (REFERENCE §1.3, §13.18).
 */
export class Params {
  readonly #values: URLSearchParams;

  constructor(values: URLSearchParams) {
    this.#values = values;
  }

  static fromQuery(url: string): Params {
    // The query string alone: parsing the whole URL again costs more than the rest of a small GET.
    const q = url.indexOf("?");
    if (q < 0) return new Params(new URLSearchParams());
    const hash = url.indexOf("#", q);
    return new Params(new URLSearchParams(url.slice(q + 1, hash < 0 ? undefined : hash)));
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
    return this.#values.get(name) ?? undefined;
  }

  all(name: string): string[] {
    return this.#values.getAll(name);
  }

  /** Bracketed map parameters: `metadata[key]=v` → `{key: "v"}` (REFERENCE §1.3). Later values win. */
  map(name: string): Map<string, string> {
    const out = new Map<string, string>();
    const prefix = `${name}[`;
    for (const [key, value] of this.#values) {
      if (key.startsWith(prefix) && key.endsWith("]") && key.length > prefix.length + 1) {
        out.set(key.slice(prefix.length, -1), value);
      }
    }
    return out;
  }
}
