import { describe, expect, it } from "vitest";
import { IdGenerator } from "../../src/util/ids.js";
import { Rng } from "../../src/util/rng.js";

describe("IdGenerator", () => {
  it("makes prefix_0000 + 18 base-62 ids that sort in creation order", () => {
    const ids = new IdGenerator(new Rng(1));
    const made = Array.from({ length: 5000 }, (_, i) => ids.next(i % 2 ? "tx" : "acc").split("_")[1]!);
    for (const id of made) expect(id).toMatch(/^0000[0-9A-Za-z]{18}$/);
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
  });
  it("is deterministic for a seed", () => {
    const a = new IdGenerator(new Rng("x"));
    const b = new IdGenerator(new Rng("x"));
    expect([a.next("tx"), a.next("tx")]).toEqual([b.next("tx"), b.next("tx")]);
  });
  it("random() gives base-62 text of the asked length", () => {
    expect(IdGenerator.random(40)).toMatch(/^[0-9A-Za-z]{40}$/);
    expect(IdGenerator.random(40)).not.toBe(IdGenerator.random(40));
  });
});
