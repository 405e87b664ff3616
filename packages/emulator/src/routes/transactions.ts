import type { Hono } from "hono";
import { Bank } from "../data/bank.js";
import type { TransactionRecord } from "../data/record.js";
import type { TransactionJson } from "../data/types.js";
import { badParam, MonzoHttpError } from "../http/errors.js";
import { Params } from "../http/params.js";
import type { Grant } from "../oauth/authority.js";
import type { EmulatorState } from "../state.js";
import { DAY, formatTime, parseTime } from "../util/time.js";
import { approved, insufficientPermissions, ownAccount, requireId } from "./guard.js";

/** `/transactions` list, retrieve and annotate (REFERENCE §7, §3). */
export function transactionRoutes(app: Hono, state: EmulatorState): void {
  app.get("/transactions", (c) => {
    const grant = approved(c, state);
    const query = Params.fromQuery(c.req.url);
    const account = ownAccount(state, grant, query.get("account_id"));
    const limit = parseLimit(query.get("limit"));
    const since = query.get("since");
    const before = query.get("before");
    const expand = expandMerchant(query);
    const now = state.clock.now();

    let beforeMs: number | undefined;
    if (before !== undefined) {
      beforeMs = parseTime(before);
      if (beforeMs === undefined)
        throw badParam("before", "The field 'before' must be an RFC 3339 timestamp");
    }
    // `since` is a timestamp (inclusive) or a transaction id (exclusive) (REFERENCE §3.1, §13.13).
    let lower: { ms: number; afterN?: number } | undefined;
    if (since !== undefined) {
      const ms = parseTime(since);
      if (ms !== undefined) lower = { ms };
      else if (since.startsWith("tx_")) {
        const ref = state.bank.transaction(since);
        if (!ref) throw badParam("since", `The field 'since' names an unknown transaction '${since}'`);
        lower = { ms: ref.createdMs, afterN: ref.n };
      } else {
        throw badParam("since", "The field 'since' must be an RFC 3339 timestamp or a transaction id");
      }
      const span = state.quirks.maxSpanDays;
      if (lower.afterN === undefined && span !== null && (beforeMs ?? now) - lower.ms > span * DAY) {
        throw badParam("since", `The time range between 'since' and 'before' must not exceed ${span} days`);
      }
    }

    checkHistoryWindow(state, grant, lower?.ms);
    if (account.ledger === "forbidden") throw insufficientPermissions(grant);
    if (account.ledger === "empty") return c.json({ transactions: [] });

    const list = account.transactions;
    const lo =
      lower === undefined
        ? 0
        : lower.afterN !== undefined
          ? Bank.afterKey(list, lower.ms, lower.afterN)
          : Bank.lowerBoundTime(list, lower.ms);
    // With neither bound Monzo's default is undocumented: behave as `before=now` (REFERENCE §3.1).
    const hi = Bank.lowerBoundTime(list, beforeMs ?? now + 1);
    let page: TransactionRecord[];
    if (lo >= hi) page = [];
    // With `since`, the oldest `limit` after it; with only `before`, the newest `limit` before it.
    else if (lower !== undefined) page = list.slice(lo, Math.min(hi, lo + limit));
    else page = list.slice(Math.max(lo, hi - limit), hi);
    return c.json({ transactions: page.map((t) => render(state, t.json, expand)) });
  });

  app.get("/transactions/:transaction_id", (c) => {
    const grant = approved(c, state);
    const record = ownTransaction(state, grant, c.req.param("transaction_id"));
    checkHistoryWindow(state, grant, record.createdMs);
    return c.json({ transaction: render(state, record.json, expandMerchant(Params.fromQuery(c.req.url))) });
  });

  app.patch("/transactions/:transaction_id", async (c) => {
    const grant = approved(c, state);
    const form = await Params.fromForm(c.req.raw);
    const record = ownTransaction(state, grant, c.req.param("transaction_id"));
    const json = record.pin();
    const changes = form.map("metadata");
    if (changes.size === 0)
      throw new MonzoHttpError("bad_request.missing_param.metadata", "The field 'metadata' is required");
    for (const [key, value] of changes) {
      if (key === "notes") json.notes = value;
      // Since 2021 only `notes` sticks on real Monzo; documented behaviour keeps every key (REFERENCE §7.5).
      if (key !== "notes" && !state.quirks.annotateKeepsCustomKeys) continue;
      if (value === "") delete json.metadata[key];
      else json.metadata[key] = value;
    }
    json.updated = formatTime(Math.max(state.clock.now(), Date.parse(json.updated) + 1));
    return c.json({ transaction: render(state, json, false) });
  });
}

function parseLimit(value: string | undefined): number {
  if (value === undefined || value === "") return 30;
  const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= 100)) throw badParam("limit", "The field 'limit' must be between 1 and 100");
  return n;
}

function expandMerchant(query: Params): boolean {
  return [...query.all("expand[]"), ...query.all("expand")].includes("merchant");
}

function ownTransaction(state: EmulatorState, grant: Grant, id: string): TransactionRecord {
  requireId(id, "transaction_id", "tx");
  const record = state.bank.transaction(id);
  const account = record && state.bank.accounts.get(record.accountId);
  if (!record || !account?.ownerIds.includes(grant.userId)) {
    throw new MonzoHttpError("not_found.transaction", "Transaction not found");
  }
  return record;
}

/**
 * For 5 minutes after approval any history can be read; afterwards a read whose lower bound is 90 or
 * more days back — or that has no lower bound — gets `403 forbidden.verification_required` (REFERENCE §2.12).
 */
function checkHistoryWindow(state: EmulatorState, grant: Grant, lowerMs: number | undefined): void {
  const now = state.clock.now();
  const opened = state.authority.historyWindowStart(grant);
  if (opened !== undefined && now <= opened + state.historyWindowMs) return;
  if (lowerMs !== undefined && now - lowerMs < state.historyLimitMs) return;
  throw new MonzoHttpError(
    "forbidden.verification_required",
    "Verification required: transactions older than 90 days can only be read within 5 minutes of logging in",
    { params: { client_id: grant.clientId, user_id: grant.userId } },
  );
}

/** The wire form of a transaction; `expand[]=merchant` inlines the merchant object (REFERENCE §3.2). */
export function render(
  state: EmulatorState,
  json: TransactionJson,
  expand: boolean,
): TransactionJson | Record<string, unknown> {
  if (!expand || json.merchant === null) return json;
  return { ...json, merchant: state.bank.merchants.get(json.merchant) ?? json.merchant };
}
