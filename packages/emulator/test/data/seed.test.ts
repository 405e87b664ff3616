import { describe, expect, it } from "vitest";
import { createEmulator } from "../../src/index.js";

describe("seeded bank", () => {
  const e = createEmulator({
    seed: "seed-test",
    transactions: 3000,
    clock: { start: "2026-03-01T00:00:00Z", frozen: true },
  });
  const bank = e.state.bank;

  it("is deterministic for a seed", () => {
    const again = createEmulator({
      seed: "seed-test",
      transactions: 3000,
      clock: { start: "2026-03-01T00:00:00Z", frozen: true },
    });
    const ids = (x: typeof e) =>
      [...x.state.bank.accounts.values()].flatMap((a) =>
        a.transactions.map((t) => `${t.json.id}:${t.json.amount}`),
      );
    expect(ids(again)).toEqual(ids(e));
  });

  it("has several users, a joint account shared by two, flex, closed, loan accounts and every pot kind", () => {
    expect(bank.users.size).toBe(3);
    const accounts = [...bank.accounts.values()];
    expect(accounts.find((a) => a.json.type === "uk_retail_joint")!.ownerIds).toHaveLength(2);
    expect(accounts.some((a) => a.json.closed)).toBe(true);
    for (const type of ["uk_retail", "uk_monzo_flex", "uk_loan", "uk_monzo_flex_backing_loan"])
      expect(accounts.some((a) => a.json.type === type)).toBe(true);
    const pots = [...bank.pots.values()];
    expect(pots.some((p) => p.json.locked)).toBe(true);
    expect(pots.some((p) => p.addedSecurity)).toBe(true);
    expect(pots.some((p) => p.json.deleted)).toBe(true);
    expect(pots.some((p) => p.json.round_up)).toBe(true);
  });

  it("has about the asked number of transactions over the years, with every kind", () => {
    // Pot ledgers mirror pot moves on top of the asked number, which counts the accounts people see.
    const visible = [...bank.accounts.values()]
      .filter((a) => !a.hidden)
      .reduce((n, a) => n + a.transactions.length, 0);
    expect(visible).toBeGreaterThan(2700);
    expect(visible).toBeLessThanOrEqual(3000 * 1.01);
    expect(bank.transactionCount).toBeGreaterThan(visible);
    const all = [...bank.accounts.values()].flatMap((a) => a.transactions.map((t) => t.json));
    const schemes = new Set(all.map((t) => t.scheme));
    for (const s of ["mastercard", "uk_retail_pot", "payport_faster_payments", "p2p_payment", "bacs"])
      expect(schemes).toContain(s);
    const times = all.map((t) => Date.parse(t.created));
    const span = Math.max(...times) - Math.min(...times);
    expect(span / 86_400_000).toBeGreaterThan(2.5 * 365);
    expect(all.some((t) => t.category === "savings")).toBe(true);
  });

  it("balances are the sums of their transactions and pots are the sums of their moves", () => {
    for (const account of bank.accounts.values()) {
      const sum = account.transactions.filter((t) => !t.declined).reduce((s, t) => s + t.json.amount, 0);
      expect(account.balance).toBe(sum);
      // Flex is credit: what is owed, within its limit.
      if (account.json.type === "uk_monzo_flex") expect(account.balance).toBeGreaterThanOrEqual(-300_000);
      else expect(account.balance).toBeGreaterThanOrEqual(0);
    }
    for (const pot of bank.pots.values()) {
      const account = bank.accounts.get(pot.json.current_account_id)!;
      const moved = account.transactions
        .filter((t) => t.json.metadata["pot_id"] === pot.json.id)
        .reduce((s, t) => s - t.json.amount, 0);
      expect(pot.json.balance).toBe(moved);
      expect(pot.json.balance).toBeGreaterThanOrEqual(0);
    }
  });

  it('has a Cashback (uk_rewards) account, pots with charity_id "" and a locked pot with its lock_type', () => {
    const rewards = [...bank.accounts.values()].find((a) => a.json.type === "uk_rewards")!;
    expect(rewards.json).toMatchObject({ product_type: "rewards", owner_type: "personal", closed: false });
    expect(rewards.json.description).toMatch(/^rewardsoptin_0000/);
    for (const pot of bank.pots.values()) expect(pot.json.charity_id).toBe("");
    const locked = [...bank.pots.values()].filter((p) => p.json.locked);
    expect(locked.length).toBeGreaterThan(0);
    for (const pot of locked) {
      expect(pot.json.lock_type).toBe("until_date");
      expect(Date.parse(pot.json.locked_until!)).toBeGreaterThan(e.control.now());
    }
  });

  it("dates everything in the past, however short the history (--years 1 once gave Flex a future created)", () => {
    for (const years of [3, 1, 0.25, 0.01]) {
      const small = createEmulator({
        seed: `years-${years}`,
        transactions: 400,
        years,
        clock: { start: "2026-03-01T00:00:00Z", frozen: true },
      });
      const now = small.control.now();
      const b = small.state.bank;
      for (const account of b.accounts.values()) {
        const opened = Date.parse(account.json.created);
        expect(opened, `${account.json.type} created`).toBeLessThanOrEqual(now);
        for (const t of account.transactions) {
          const json = t.json;
          for (const field of ["created", "updated", "settled"] as const) {
            if (json[field] !== "")
              expect(Date.parse(json[field]), `${json.id} ${field}`).toBeLessThanOrEqual(now);
          }
          // Nothing happens on an account before it was opened.
          if (!account.hidden)
            expect(t.createdMs, `${account.json.type} ${json.id}`).toBeGreaterThanOrEqual(opened);
        }
      }
      for (const pot of b.pots.values()) {
        expect(Date.parse(pot.json.created)).toBeLessThanOrEqual(now);
        expect(Date.parse(pot.json.updated)).toBeLessThanOrEqual(now);
      }
    }
  });

  const every = () =>
    [...bank.accounts.values()].filter((a) => !a.hidden).flatMap((a) => a.transactions.map((t) => t.json));
  const keys = (json: { metadata: Record<string, string> }) => Object.keys(json.metadata);

  it("categorises bank transfers as real responses do: general between people, income coming in, transfers only for pot moves", () => {
    const all = every();
    const p2p = all.filter((t) => t.scheme === "p2p_payment");
    expect(p2p.some((t) => t.amount < 0) && p2p.some((t) => t.amount > 0)).toBe(true);
    for (const t of p2p) {
      expect(t.category).toBe("general");
      expect(keys(t)).toEqual(
        expect.arrayContaining(["p2p_initiator", "p2p_transfer_id", "payee_id", "notes"]),
      );
      expect(t.counterparty).toMatchObject({
        account_id: expect.stringMatching(/^acc_/),
        user_id: expect.stringMatching(/^user_/),
      });
      expect(t.include_in_spending).toBe(t.amount < 0);
    }
    const fps = all.filter((t) => t.scheme === "payport_faster_payments");
    expect(fps.some((t) => t.amount < 0) && fps.some((t) => t.amount > 0)).toBe(true);
    for (const t of fps) {
      expect(t.category).toBe(t.amount < 0 ? "general" : "income");
      expect(t.include_in_spending).toBe(t.amount < 0);
      expect(keys(t)).toEqual(
        expect.arrayContaining([
          "faster_payment",
          "fps_fpid",
          "fps_payment_id",
          "insertion",
          "payee_id",
          "trn",
        ]),
      );
      expect(t.metadata["fps_payment_id"]!.startsWith(t.metadata["trn"]!)).toBe(true);
      expect(t.dedupe_id).toMatch(t.amount < 0 ? /:OUTBOUND$/ : /:INBOUND$/);
    }
    for (const t of all.filter((x) => x.category === "transfers")) {
      expect(t.scheme).toBe("uk_retail_pot");
      expect(t.metadata["trigger"]).toBe("user");
    }
  });

  it("collects Direct Debits under a stable mandate and pays salaries by BACS on pay day", () => {
    const all = every();
    const debits = all.filter((t) => t.scheme === "bacs" && t.amount < 0);
    expect(debits.length).toBeGreaterThan(5);
    const mandates = new Map<string, string>();
    for (const t of debits) {
      expect(t.category).toBe("bills");
      expect(t.merchant).toMatch(/^merch_/);
      expect(keys(t)).toEqual(
        expect.arrayContaining([
          "bacs_direct_debit_instruction_id",
          "bacs_payment_id",
          "bacs_record_id",
          "subscription_id",
        ]),
      );
      expect(t.dedupe_id).toBe(`bacs:${t.metadata["bacs_record_id"]}`);
      const key = `${t.account_id}:${t.merchant}`;
      const ddi = t.metadata["bacs_direct_debit_instruction_id"]!;
      expect(mandates.get(key) ?? ddi).toBe(ddi);
      mandates.set(key, ddi);
    }
    const salaries = all.filter((t) => t.scheme === "bacs" && t.amount > 0);
    expect(salaries.length).toBeGreaterThan(10);
    for (const t of salaries) {
      expect(t).toMatchObject({ category: "income", include_in_spending: false });
      expect(t.metadata["payday"]).toBe("true");
      expect(t.counterparty["service_user_number"]).toMatch(/^\d{6}$/);
    }
  });

  it("card payments carry a feedback link, wallet tokens on some, clearing ids once settled; ATMs their fees", () => {
    const cards = every().filter((t) => t.scheme === "mastercard");
    for (const t of cards) {
      if (t.merchant !== null && !("decline_reason" in t))
        expect(t.merchant_feedback_uri).toBe(
          `monzo://dynamic_form?form_id=merchant_feedback&transaction_id=${t.id}`,
        );
      else expect(t).not.toHaveProperty("merchant_feedback_uri");
      expect("mastercard_clearing_message_id" in t.metadata).toBe(t.settled !== "");
    }
    const wallet = cards.filter((t) => "tokenization_method" in t.metadata);
    expect(wallet.length).toBeGreaterThan(cards.length * 0.15);
    for (const t of wallet) {
      expect(["apple_pay", "android_pay"]).toContain(t.metadata["tokenization_method"]);
      expect(t.metadata["token_transaction_identifier"]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(t.metadata["token_unique_reference"]).toMatch(/^DAPLMC[0-9a-z]{42}$/);
    }
    const atm = cards.filter((t) => t.category === "cash" && !("decline_reason" in t));
    expect(atm.length).toBeGreaterThan(0);
    for (const t of atm) {
      expect(t.labels).toEqual(["withdrawal.atm.domestic-eea"]);
      expect(t.atm_fees_detailed).toEqual({
        allowance_id: "withdrawal.atm.domestic-eea",
        allowance_usage_explainer_text: expect.any(String),
        fee_amount: 0,
        fee_currency: "GBP",
        fee_summary: null,
        withdrawal_amount: t.amount,
        withdrawal_currency: "GBP",
      });
    }
    for (const t of every().filter((x) => x.category !== "cash")) expect(t.atm_fees_detailed).toBeNull();
  });

  it("has zero-amount card checks with hide_amount that never settle and are not spending", () => {
    const checks = every().filter((t) => t.metadata["hide_amount"] === "true");
    expect(checks.length).toBeGreaterThan(0);
    for (const t of checks) {
      expect(t).toMatchObject({ amount: 0, settled: "", include_in_spending: false, scheme: "mastercard" });
      expect(t.metadata).toMatchObject({ hide_transaction: "false", auth_account_id: t.account_id });
      expect(t.metadata).not.toHaveProperty("ledger_insertion_id");
      expect(bank.settlementOf(bank.transaction(t.id)!)).toBeUndefined();
    }
  });

  it("declines for every reason, card-not-present ones at online merchants, even in a small bank", () => {
    const small = createEmulator({
      seed: "small",
      transactions: 600,
      clock: { start: "2026-03-01T00:00:00Z", frozen: true },
    });
    for (const b of [bank, small.state.bank]) {
      const declined = [...b.accounts.values()].flatMap((a) =>
        a.transactions.filter((t) => t.declined).map((t) => t.json),
      );
      const reasons = new Set(declined.map((t) => t.decline_reason));
      for (const reason of [
        "INSUFFICIENT_FUNDS",
        "CARD_INACTIVE",
        "CARD_BLOCKED",
        "INVALID_CVC",
        "OTHER",
        "SCA_NOT_AUTHENTICATED_CARD_NOT_PRESENT",
        "STRONG_CUSTOMER_AUTHENTICATION_REQUIRED",
      ])
        expect(reasons, reason).toContain(reason);
      for (const t of declined) {
        expect(t).toMatchObject({ settled: "", include_in_spending: false, categories: null });
        if (t.decline_reason!.startsWith("S")) expect(b.merchants.get(t.merchant!)!.online).toBe(true);
      }
    }
  });

  it("ends the main account with payments in flight: one to settle with a tip, one at a new exchange rate", () => {
    const small = createEmulator({
      seed: "small",
      transactions: 600,
      clock: { start: "2026-03-01T00:00:00Z", frozen: true },
    });
    for (const b of [bank, small.state.bank]) {
      const main = [...b.accounts.values()].find((a) => a.json.type === "uk_retail")!;
      const inFlight = main.transactions.filter((t) => t.pending && b.settlementOf(t));
      const changes = inFlight
        .map((t) => ({ json: t.json, plan: b.settlementOf(t)! }))
        .filter((x) => x.plan.amount !== x.json.amount);
      expect(changes.some((x) => x.json.local_currency === "GBP" && x.json.category === "eating_out")).toBe(
        true,
      );
      expect(
        changes.some((x) => x.json.local_currency !== "GBP" && x.plan.localAmount === x.json.local_amount),
      ).toBe(true);
    }
  });

  it("rounds card payments up into the round-up pot, each side naming the other", () => {
    const roundUps = every().filter((t) => t.metadata["trigger"] === "coin_jar");
    expect(roundUps.length).toBeGreaterThan(100);
    const pot = [...bank.pots.values()].find((p) => p.json.round_up)!.json.id;
    for (const t of roundUps) {
      const card = bank.transaction(t.metadata["triggered_by"]!)!.json;
      expect(card.scheme).toBe("mastercard");
      expect(card.metadata["coin_jar_transaction"]).toBe(t.id);
      expect(t).toMatchObject({ category: "savings", include_in_spending: false, scheme: "uk_retail_pot" });
      // The spare change of the authorised amount (a tip or exchange rate can change the card's later).
      expect(-t.amount).toBeGreaterThanOrEqual(1);
      expect(-t.amount).toBeLessThanOrEqual(99);
      if (card.category !== "eating_out" && card.local_currency === "GBP")
        expect(-t.amount).toBe((100 - (-card.amount % 100)) % 100);
      expect(t.metadata["external_id"]).toBe(`CoinJarRule:${card.id}:${pot}`);
      expect(t.dedupe_id).toBe(`${pot}:${t.account_id}:deposit:CoinJarRule:${card.id}:${pot}`);
      const gap = Date.parse(t.created) - Date.parse(card.created);
      expect(gap).toBeGreaterThan(0);
      expect(gap).toBeLessThan(2000);
    }
    const linked = every().filter((t) => "coin_jar_transaction" in t.metadata);
    expect(linked).toHaveLength(roundUps.length);
  });

  it("shares the flat's bills in a tab: every item carries tab_id and the one tab object, totals add up", () => {
    const items = every().filter((t) => "tab_id" in t.metadata);
    expect(items.length).toBeGreaterThan(3);
    const tab = items[0]!.tab!;
    expect(tab).toMatchObject({ name: "Flat", status: "open", currency: "GBP", left_participants: [] });
    expect(tab.id).toMatch(/^tab_0000/);
    for (const t of items) {
      expect(t.metadata["tab_id"]).toBe(tab.id);
      expect(t.tab).toEqual(tab);
      expect(["bacs", "p2p_payment"]).toContain(t.scheme);
    }
    expect(items.some((t) => t.scheme === "bacs") && items.some((t) => t.scheme === "p2p_payment")).toBe(
      true,
    );
    expect(tab.item_count).toBe(items.length);
    expect(tab.total).toBe(items.reduce((sum, t) => sum + t.amount, 0));
    expect(Date.parse(tab.modified_at)).toBe(Math.max(...items.map((t) => Date.parse(t.created))));
    const [creator, member] = tab.participants;
    expect(creator).toMatchObject({ user_id: tab.created_by, tab_id: tab.id, status: "accepted" });
    expect(member).toMatchObject({ invited_by: tab.created_by, invited_at: tab.opened_at, tab_id: tab.id });
    expect(member!.id).toMatch(/^participant_/);
    expect(creator!.settle_amount + member!.settle_amount).toBe(0);
    for (const t of every().filter((x) => !("tab_id" in x.metadata))) expect(t).not.toHaveProperty("tab");
  });

  it("spends on Flex and repays it monthly from the current account, counted as spending there", () => {
    const small = createEmulator({
      seed: "small",
      transactions: 600,
      clock: { start: "2026-03-01T00:00:00Z", frozen: true },
    });
    for (const b of [bank, small.state.bank]) {
      const flex = [...b.accounts.values()].find((a) => a.json.type === "uk_monzo_flex")!;
      const main = [...b.accounts.values()].find((a) => a.json.type === "uk_retail")!;
      const purchases = flex.transactions.map((t) => t.json).filter((t) => t.scheme === "mastercard");
      expect(purchases.length).toBeGreaterThan(2);
      const repayments = main.transactions.map((t) => t.json).filter((t) => t.scheme === "monzo_flex");
      expect(repayments.length).toBeGreaterThan(0);
      const credits = flex.transactions.map((t) => t.json).filter((t) => t.scheme === "monzo_flex");
      expect(credits.map((t) => t.amount)).toEqual(repayments.map((t) => -t.amount));
      for (const t of repayments) {
        expect(t).toMatchObject({ originator: true, include_in_spending: true, merchant: null });
        expect(t.amount).toBeLessThan(0);
        expect(t.metadata).toMatchObject({
          ledger_entry_intent: "monzo-flex.service_collects_scheduled_payment",
          monzo_flex_id: flex.json.description,
          repayment_receipt_id: expect.stringMatching(/^monzoflexrepaymentreceipt_/),
        });
        expect(t.dedupe_id).toContain(`:${flex.json.description}:monzo-flex:scheduled_payment:`);
        expect(t.category).not.toBe("transfers");
      }
      expect(flex.balance).toBeLessThanOrEqual(0);
    }
  });

  it("keeps every account's transactions sorted by created then id", () => {
    for (const account of bank.accounts.values()) {
      const list = account.transactions;
      for (let i = 1; i < list.length; i++) {
        const a = list[i - 1]!;
        const b = list[i]!;
        expect(a.createdMs < b.createdMs || (a.createdMs === b.createdMs && a.json.id < b.json.id)).toBe(
          true,
        );
      }
    }
  });
});
