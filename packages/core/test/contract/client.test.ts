import { describe, expect, it } from "vitest";
import {
  HistoryWindowError,
  InvalidArgumentError,
  NotFoundError,
  type Transaction,
} from "../../src/index.js";
import { clientFor, emulator, login, mainAccount } from "./helpers.js";

async function setup() {
  const e = emulator({ webhooks: { backoffMs: 5 } });
  const tokens = await login(e);
  const { client, delays } = clientFor(e, tokens);
  const accountId = await mainAccount(e);
  return { e, client, delays, accountId, tokens };
}

describe("every endpoint through the client", () => {
  it("whoami, accounts (with filter), balance", async () => {
    const { client, tokens, accountId } = await setup();
    expect((await client.whoami()).user_id).toBe(tokens.userId);
    const all = await client.accounts.list();
    expect(all.length).toBeGreaterThan(3);
    const retail = await client.accounts.list({ accountType: "uk_retail" });
    expect(retail.map((a) => a.id)).toEqual([accountId]);
    const balance = await client.balance.retrieve(accountId);
    expect(balance.currency).toBe("GBP");
    expect(Number.isInteger(balance.balance)).toBe(true);
    expect(balance.total_balance).toBeGreaterThanOrEqual(balance.balance);
  });

  it("pots: list, deposit and withdraw with a dedupe id; repeats move money once", async () => {
    const { client, accountId } = await setup();
    const pots = await client.pots.list(accountId);
    const savings = pots.find((p) => p.name === "Savings")!;
    const before = (await client.balance.retrieve(accountId)).balance;
    const moved = await client.pots.deposit({ potId: savings.id, accountId, amount: 1234 });
    expect(moved.balance).toBe(savings.balance + 1234);
    expect(moved.dedupeId).toMatch(/[0-9a-f-]{36}/);
    await client.pots.deposit({ potId: savings.id, accountId, amount: 1234, dedupeId: moved.dedupeId });
    expect((await client.balance.retrieve(accountId)).balance).toBe(before - 1234);
    const back = await client.pots.withdraw({ potId: savings.id, accountId, amount: 234 });
    expect(back.balance).toBe(savings.balance + 1000);
    await expect(client.pots.deposit({ potId: savings.id, accountId, amount: 0 })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(client.pots.deposit({ potId: savings.id, accountId, amount: 1.5 })).rejects.toThrow(
      InvalidArgumentError,
    );
  });

  it("transactions: list (await and for await), retrieve with merchant, annotate set/delete/notes", async () => {
    const { client, accountId, e } = await setup();
    const since = new Date(e.control.now() - 200 * 86_400_000);
    const first = await client.transactions.list({ accountId, since, limit: 50 });
    expect(first.items).toHaveLength(50);
    expect(first.hasMore).toBe(true);
    const all: Transaction[] = [];
    for await (const tx of client.transactions.list({ accountId, since, limit: 50 })) all.push(tx);
    expect(all.length).toBeGreaterThan(50);
    expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
    expect(all.map((t) => t.created)).toEqual([...all.map((t) => t.created)].sort());
    const withMerchant = all.find((t) => typeof t.merchant === "string")!;
    const full = await client.transactions.retrieve(withMerchant.id, { expandMerchant: true });
    expect(typeof full.merchant === "object" && full.merchant?.name).toBeTruthy();
    const annotated = await client.transactions.annotate(withMerchant.id, {
      notes: "Lunch 🍞",
      project: "alpha",
    });
    expect(annotated.notes).toBe("Lunch 🍞");
    expect(annotated.metadata["project"]).toBe("alpha");
    const cleared = await client.transactions.annotate(withMerchant.id, { project: null });
    expect(cleared.metadata).not.toHaveProperty("project");
    expect(() => client.transactions.list({ accountId, limit: 101 })).toThrow(InvalidArgumentError);
  });

  it("without since, pages walk back in time and still cover everything once", async () => {
    const { client, accountId } = await setup();
    const back: Transaction[] = [];
    for await (const tx of client.transactions.list({ accountId, limit: 100 })) back.push(tx);
    const ids = new Set(back.map((t) => t.id));
    expect(ids.size).toBe(back.length);
    const total = (await client.transactions.history({ accountId }).toArray()).length;
    expect(back.length).toBe(total);
  });

  it("history equals the sequential walk, in order, and resumes from a cursor", async () => {
    const { client, accountId } = await setup();
    const progress: number[] = [];
    const all = await client.transactions
      .history({ accountId, concurrency: 6, onProgress: (p) => progress.push(p.fraction) })
      .toArray();
    expect(all.length).toBeGreaterThan(300);
    expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
    const keys = all.map((t) => `${t.created}|${t.id}`);
    expect(keys).toEqual([...keys].sort());
    expect(progress.at(-1)).toBe(1);
    // What other libraries do: walk since=<last id> page by page from the first transaction.
    const sequential: Transaction[] = [];
    for await (const tx of client.transactions.list({ accountId, since: all[0]!.id })) sequential.push(tx);
    expect(sequential.map((t) => t.id)).toEqual(all.slice(1).map((t) => t.id));
    const resumed = await client.transactions.history({ accountId, since: all[99]!.id }).toArray();
    expect(resumed.map((t) => t.id)).toEqual(all.slice(100).map((t) => t.id));
  });

  it("after the 5-minute window, old history fails with HistoryWindowError and a hint", async () => {
    const { client, accountId, e } = await setup();
    e.control.advanceClock(6 * 60_000);
    const error = await client.transactions
      .history({ accountId })
      .toArray()
      .catch((x: unknown) => x);
    expect(error).toBeInstanceOf(HistoryWindowError);
    expect((error as HistoryWindowError).hint).toMatch(/5 minutes/);
    const recent = await client.transactions
      .history({ accountId, since: new Date(e.control.now() - 80 * 86_400_000) })
      .toArray();
    expect(recent.length).toBeGreaterThan(0);
  });

  it("feed, attachments (all three steps), receipts and webhooks", async () => {
    const { client, accountId, e } = await setup();
    await client.feed.create({
      accountId,
      title: "Backup done",
      imageUrl: "https://example.com/ok.png",
      backgroundColor: "#FCF1EE",
    });
    const items = (await (await e.app.request(`/_emulator/feed?account_id=${accountId}`)).json()) as {
      items: unknown[];
    };
    expect(items.items).toHaveLength(1);
    await expect(
      client.feed.create({ accountId, title: "x", imageUrl: "https://x/y.png", titleColor: "red" }),
    ).rejects.toThrow(/#RRGGBB/);

    const tx = (await client.transactions.list({ accountId, limit: 1 })).items[0]!;
    const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    const attachment = await client.attachments.upload({
      transactionId: tx.id,
      data: bytes,
      fileName: "receipt.png",
      fileType: "image/png",
    });
    expect(attachment.external_id).toBe(tx.id);
    const stored = await e.fetch(attachment.file_url);
    expect(new Uint8Array(await stored.arrayBuffer())).toEqual(bytes);
    expect((await client.transactions.retrieve(tx.id)).attachments?.map((a) => a.id)).toContain(
      attachment.id,
    );
    await client.attachments.deregister(attachment.id);

    await client.receipts.put({
      external_id: "order-1",
      transaction_id: tx.id,
      total: 500,
      currency: "GBP",
      items: [{ description: "Tea", amount: 500, currency: "GBP" }],
    });
    expect((await client.receipts.retrieve("order-1")).total).toBe(500);
    await client.receipts.delete("order-1");
    await expect(client.receipts.retrieve("order-1")).rejects.toBeInstanceOf(NotFoundError);

    const hook = await client.webhooks.create({ accountId, url: "https://example.com/hook?secret=abc" });
    expect((await client.webhooks.list(accountId)).map((w) => w.id)).toEqual([hook.id]);
    await client.webhooks.delete(hook.id);
    expect(await client.webhooks.list(accountId)).toEqual([]);
  });
});
