import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MonzoHttpError } from "../../src/http/errors.js";
import { Params } from "../../src/http/params.js";

const formRequest = (body: string, type = "application/x-www-form-urlencoded") =>
  new Request("http://x/", { method: "POST", headers: { "content-type": type }, body });

describe("Params", () => {
  it("reads bracketed map parameters", async () => {
    const p = await Params.fromForm(
      formRequest("metadata%5Bnotes%5D=hi&metadata[k]=v&metadata[]=no&other=1"),
    );
    expect(Object.fromEntries(p.map("metadata"))).toEqual({ notes: "hi", k: "v" });
    expect(p.get("other")).toBe("1");
  });
  it("reads repeated expand[] from a query", () => {
    expect(Params.fromQuery("http://x/t?expand%5B%5D=merchant&expand[]=x").all("expand[]")).toEqual([
      "merchant",
      "x",
    ]);
  });
  it("an empty body has no parameters; a JSON body is refused", async () => {
    expect(
      (await Params.fromForm(new Request("http://x/", { method: "PUT" }))).get("amount"),
    ).toBeUndefined();
    await expect(Params.fromForm(formRequest("{}", "application/json"))).rejects.toBeInstanceOf(
      MonzoHttpError,
    );
  });
  it("round-trips any map through form encoding (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => !k.includes("]")),
          fc.string(),
        ),
        async (map) => {
          const body = new URLSearchParams(
            Object.entries(map).map(([k, v]) => [`params[${k}]`, v]),
          ).toString();
          const p = await Params.fromForm(formRequest(body));
          expect(Object.fromEntries(p.map("params"))).toEqual(map);
        },
      ),
    );
  });
  it("reads any query exactly as URLSearchParams does, plain or escaped (property)", () => {
    // Found by this property: URLSearchParams drops one leading "?" of the query it is given.
    expect(Params.fromQuery("http://x/t??account_id=1").get("account_id")).toBe("1");
    expect(Params.fromQuery("http://x/t???=").all("")).toEqual([]);
    const piece = fc.constantFrom(
      "a",
      "b",
      "account_id",
      "expand[]",
      "=",
      "&",
      "%",
      "%41",
      "%zz",
      "+",
      " ",
      "é",
      "🙂",
      "acc_0001",
      "[",
      "]",
      "?",
      "#",
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }).map((parts) => parts.join("")),
        fc.constantFrom("a", "b", "account_id", "expand[]", ""),
        (query, name) => {
          const params = Params.fromQuery(`http://x/t?${query}`);
          const reference = new URLSearchParams(query.split("#")[0]);
          expect(params.get(name)).toBe(reference.get(name) ?? undefined);
          expect(params.all(name)).toEqual(reference.getAll(name));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
