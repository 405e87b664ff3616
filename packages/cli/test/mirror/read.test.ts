import { describe, expect, it } from "vitest";
import { openMirrorReadOnly } from "../../src/mirror/database.js";
import { mirrorTransactions } from "../../src/mirror/read.js";
import { syncMirror } from "../../src/mirror/sync.js";
import { mirrorFixture } from "./fixtures.js";

describe("reading transactions back from the mirror", () => {
  it("gives exactly the objects Monzo's history walk gives, in order, and honours since and before", async () => {
    const f = await mirrorFixture({ transactions: 800 });
    await syncMirror({ client: f.client, db: f.db, now: f.now });
    const [account] = await f.client.accounts.list({ accountType: "uk_retail" });
    const fresh = await f.client.transactions
      .history({ accountId: account!.id, expandMerchant: true })
      .toArray();
    const { db } = await openMirrorReadOnly(f.db);
    try {
      const all = [...mirrorTransactions(db, { accountId: account!.id })!];
      expect(all.map((t) => JSON.stringify(t))).toEqual(fresh.map((t) => JSON.stringify(t)));
      const middle = fresh[Math.floor(fresh.length / 2)]!;
      const after = [...mirrorTransactions(db, { accountId: account!.id, since: middle.id })!];
      expect(after.map((t) => t.id)).toEqual(fresh.slice(fresh.indexOf(middle) + 1).map((t) => t.id));
      const from = fresh[100]!.created;
      const until = fresh[200]!.created;
      const range = [...mirrorTransactions(db, { accountId: account!.id, since: from, before: until })!];
      expect(range.map((t) => t.id)).toEqual(
        fresh
          .filter(
            (t) => Date.parse(t.created) >= Date.parse(from) && Date.parse(t.created) < Date.parse(until),
          )
          .map((t) => t.id),
      );
      expect(
        mirrorTransactions(db, { accountId: account!.id, since: "tx_00000000000000000000" }),
      ).toBeUndefined();
    } finally {
      db.close();
    }
  });
});
