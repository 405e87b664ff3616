import type { Hono } from "hono";
import type { AccountRecord } from "../data/bank.js";
import { Params } from "../http/params.js";
import type { EmulatorState } from "../state.js";
import { DAY, HOUR } from "../util/time.js";
import { approved, ownAccount } from "./guard.js";

/** `/accounts` and `/balance` (REFERENCE §4, §5). */
export function accountRoutes(app: Hono, state: EmulatorState): void {
  app.get("/accounts", (c) => {
    const grant = approved(c, state);
    const type = Params.fromQuery(c.req.url).get("account_type");
    const accounts = state.bank
      .accountsOf(grant.userId)
      .filter((a) => type === undefined || type === "" || a.json.type === type)
      .map((a) => a.json);
    return c.json({ accounts });
  });

  app.get("/balance", (c) => {
    const grant = approved(c, state);
    const account = ownAccount(state, grant, Params.fromQuery(c.req.url).get("account_id"));
    return c.json(balanceOf(state, account));
  });
}

/**
 * `total_balance` adds the non-deleted pots of the account; `balance_including_flexible_savings` adds
 * only the savings pots; `spend_today` is today's card spend (≤ 0) since 04:00 UK time (REFERENCE §5, §13.23).
 */
export function balanceOf(state: EmulatorState, account: AccountRecord) {
  let potTotal = 0;
  let savings = 0;
  for (const pot of state.bank.potsOf(account.json.id)) {
    if (pot.json.deleted) continue;
    potTotal += pot.json.balance;
    if (pot.json.type !== "default") savings += pot.json.balance;
  }
  const spendToday = spendSince(account, dayStart(state.clock.now()));
  return {
    balance: account.balance,
    total_balance: account.balance + potTotal,
    balance_including_flexible_savings: account.balance + savings,
    currency: account.json.currency,
    spend_today: spendToday,
    local_currency: "",
    local_exchange_rate: 0,
    local_spend: spendToday === 0 ? [] : [{ spend_today: spendToday, currency: account.json.currency }],
  };
}

function spendSince(account: AccountRecord, from: number): number {
  let total = 0;
  const list = account.transactions;
  for (let i = list.length - 1; i >= 0; i--) {
    const t = list[i]!;
    if (t.createdMs < from) break;
    if (!t.declined && t.includeInSpending && t.amount < 0) total += t.amount;
  }
  return total;
}

/** The start of Monzo's spending day: 04:00 in London (REFERENCE §5). */
export function dayStart(now: number): number {
  const offset = londonOffsetMs(now);
  const local = now + offset;
  const localDay = Math.floor((local - 4 * HOUR) / DAY) * DAY + 4 * HOUR;
  return localDay - offset;
}

const londonParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London",
  hour: "2-digit",
  hourCycle: "h23",
});

const offsets = new Map<number, number>();

/** London's UTC offset (0 or 1 h) at `now`; cached per hour because `Intl` is slow on a hot path. */
function londonOffsetMs(now: number): number {
  const hour = Math.floor(now / HOUR);
  let offset = offsets.get(hour);
  if (offset === undefined) {
    const londonHour = Number(londonParts.format(new Date(now)));
    offset = ((londonHour - new Date(now).getUTCHours() + 24) % 24 === 1 ? 1 : 0) * HOUR;
    if (offsets.size > 10_000) offsets.clear();
    offsets.set(hour, offset);
  }
  return offset;
}
