import type { Context, Hono } from "hono";
import {
  closeAccount,
  createTransaction,
  LiveError,
  type NewTransaction,
  settleTransaction,
  updateTransaction,
} from "../data/live.js";
import type { Grant } from "../oauth/authority.js";
import type { FaultRule, OAuthClient } from "../options.js";
import type { EmulatorState } from "../state.js";
import { IdGenerator } from "../util/ids.js";
import { formatTime, parseTime } from "../util/time.js";

type Json = Record<string, unknown>;

class ControlError extends Error {}

function bool(o: Json, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new ControlError(`${key} must be true or false`);
  return v;
}

function time(o: Json, key: string): number | undefined {
  const v = str(o, key);
  if (v === undefined) return undefined;
  const ms = parseTime(v);
  if (ms === undefined) throw new ControlError(`${key} must be an RFC 3339 timestamp`);
  return ms;
}

/** A JSON object of string values (`metadata`, `counterparty`), or undefined. */
function strings(o: Json, key: string): Record<string, string> | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v) || !Object.values(v).every((x) => typeof x === "string"))
    throw new ControlError(`${key} must be an object of strings`);
  return v as Record<string, string>;
}

/** The body of `POST /_emulator/transactions`, in the control API's snake_case. */
function newTransaction(b: Json, now: number): NewTransaction {
  const amount = num(b, "amount");
  if (amount === undefined) throw new ControlError("amount is required, in minor units (negative = spend)");
  const kind = str(b, "kind");
  if (kind !== undefined && kind !== "card" && kind !== "declined" && kind !== "incoming")
    throw new ControlError('kind must be "card", "declined" or "incoming"');
  const spec: NewTransaction = { accountId: str(b, "account_id") ?? "", amount };
  if (kind) spec.kind = kind;
  const at = time(b, "at");
  if (at !== undefined) spec.at = at;
  for (const [key, field] of [
    ["merchant", "merchant"],
    ["description", "description"],
    ["category", "category"],
    ["notes", "notes"],
    ["local_currency", "localCurrency"],
    ["decline_reason", "declineReason"],
  ] as const) {
    const v = str(b, key);
    if (v !== undefined) spec[field] = v;
  }
  const settled = bool(b, "settled");
  if (settled !== undefined) spec.settled = settled;
  if (b["settle_at"] === null) spec.settleAt = null;
  else {
    const settleAt = time(b, "settle_at");
    const after = num(b, "settle_after_ms");
    if (settleAt !== undefined && after !== undefined)
      throw new ControlError("give settle_at or settle_after_ms, not both");
    if (after !== undefined && !(after >= 0)) throw new ControlError("settle_after_ms must be ≥ 0");
    if (settleAt !== undefined) spec.settleAt = settleAt;
    if (after !== undefined) spec.settleAt = (at ?? now) + after;
  }
  for (const [key, field] of [
    ["settle_amount", "settleAmount"],
    ["local_amount", "localAmount"],
  ] as const) {
    const v = num(b, key);
    if (v !== undefined) spec[field] = v;
  }
  const party = strings(b, "counterparty");
  if (party) {
    spec.counterparty = {};
    if (party["name"] !== undefined) spec.counterparty.name = party["name"];
    if (party["sort_code"] !== undefined) spec.counterparty.sortCode = party["sort_code"];
    if (party["account_number"] !== undefined) spec.counterparty.accountNumber = party["account_number"];
  }
  return spec;
}

async function body(c: Context): Promise<Json> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Json;
  } catch {}
  throw new ControlError("the body must be a JSON object");
}

function str(o: Json, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new ControlError(`${key} must be a string`);
  return v;
}

function num(o: Json, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new ControlError(`${key} must be a number`);
  return v;
}

/**
 * The control API under `/_emulator/*`: what a test or a person needs to drive the emulator —
 * approve or decline logins, move the clock, make and change transactions, close accounts, inject
 * faults, reset, and read the
 * counters and request log. It never exists on real Monzo.
 */
export function controlRoutes(
  app: Hono,
  state: EmulatorState,
  hooks: { reseed(seed: number | string, transactions: number): void },
): void {
  const r = "/_emulator";

  app.onError((error, c) => {
    if (error instanceof ControlError)
      return c.json({ code: "bad_request.control", message: error.message }, 400);
    if (error instanceof LiveError) {
      const code = { 400: "bad_request", 404: "not_found", 409: "conflict" }[error.status];
      return c.json({ code: `${code}.control`, message: error.message }, error.status);
    }
    throw error;
  });

  app.get(r, (c) =>
    c.json({
      seed: state.seedInfo.seed,
      transactions: state.seedInfo.transactions,
      now: formatTime(state.clock.now()),
      clients: [...state.authority.clients.values()].map(publicClient),
      users: users(state),
    }),
  );
  app.get(`${r}/users`, (c) => c.json({ users: users(state) }));
  app.get(`${r}/clients`, (c) =>
    c.json({ clients: [...state.authority.clients.values()].map(publicClient) }),
  );
  app.post(`${r}/clients`, async (c) => {
    const b = await body(c);
    const redirectUris = b["redirect_uris"];
    if (
      !Array.isArray(redirectUris) ||
      redirectUris.length === 0 ||
      !redirectUris.every((u) => typeof u === "string" && URL.canParse(u))
    ) {
      throw new ControlError("redirect_uris must be a non-empty array of URLs");
    }
    const confidential = b["confidential"] !== false;
    const client: OAuthClient = {
      id: str(b, "id") ?? `oauth2client_0000${IdGenerator.random(18)}`,
      secret: str(b, "secret") ?? `${confidential ? "mnzconf" : "mnzpub"}.${IdGenerator.random(40)}`,
      redirectUris: redirectUris as string[],
      confidential,
      name: str(b, "name") ?? "Test app",
    };
    state.authority.registerClient(client);
    state.options.clients = [...(state.options.clients ?? []).filter((x) => x.id !== client.id), client];
    return c.json({ client: { ...publicClient(client), secret: client.secret } }, 201);
  });

  const decide = (decision: "approve" | "decline") => async (c: Context) => {
    const b = await body(c);
    const match = (g: Grant) =>
      (str(b, "grant") === undefined || g.id === b["grant"]) &&
      (str(b, "user_id") === undefined || g.userId === b["user_id"]) &&
      (str(b, "client_id") === undefined || g.clientId === b["client_id"]);
    let count = 0;
    for (const grant of state.authority.pendingGrants().filter(match)) {
      if (decision === "approve" ? state.authority.approve(grant) : state.authority.decline(grant)) count++;
    }
    return c.json({ [decision === "approve" ? "approved" : "declined"]: count });
  };
  app.post(`${r}/approve`, decide("approve"));
  app.post(`${r}/decline`, decide("decline"));
  app.get(`${r}/approvals`, (c) =>
    c.json({
      pending: state.authority
        .pendingGrants()
        .map((g) => ({ grant: g.id, client_id: g.clientId, user_id: g.userId })),
    }),
  );

  app.get(`${r}/tokens`, (c) => c.json({ grants: state.authority.describeTokens() }));
  app.post(`${r}/tokens`, async (c) => {
    const b = await body(c);
    const userId = str(b, "user_id") ?? [...state.bank.users.keys()][0]!;
    if (!state.bank.users.has(userId)) throw new ControlError(`unknown user ${userId}`);
    const ttl = num(b, "ttl_seconds") ?? 3600;
    return c.json(
      state.authority.playgroundToken(
        str(b, "client_id") ?? "oauth2client_0000Playground00000001",
        userId,
        ttl * 1000,
        b["approved"] !== false,
      ),
    );
  });

  app.get(`${r}/clock`, (c) => c.json({ now: formatTime(state.clock.now()), frozen: state.clock.frozen }));
  app.post(`${r}/clock`, async (c) => {
    const b = await body(c);
    const set = str(b, "set");
    if (set !== undefined) {
      const ms = parseTime(set);
      if (ms === undefined) throw new ControlError("set must be an RFC 3339 timestamp");
      state.clock.set(ms);
    }
    const advance = (num(b, "advance_ms") ?? 0) + (num(b, "advance_seconds") ?? 0) * 1000;
    if (advance) state.clock.advance(advance);
    if (typeof b["frozen"] === "boolean") state.clock.freeze(b["frozen"]);
    state.settleDue();
    return c.json({ now: formatTime(state.clock.now()), frozen: state.clock.frozen });
  });

  // Transactions made and changed while a client watches (REFERENCE §7.1): see data/live.ts.
  app.post(`${r}/transactions`, async (c) => {
    const record = createTransaction(state, newTransaction(await body(c), state.clock.now()));
    return c.json({ transaction: record.json }, 201);
  });
  app.get(`${r}/transactions/:id`, (c) => {
    const record = state.bank.transaction(c.req.param("id"));
    if (!record) throw new LiveError(`no transaction ${c.req.param("id")}`, 404);
    const settlement = state.bank.settlementOf(record);
    return c.json({
      transaction: record.json,
      settles_at: settlement ? formatTime(settlement.atMs) : null,
      settle_amount: settlement?.amount ?? null,
    });
  });
  app.post(`${r}/transactions/:id/settle`, async (c) => {
    const b = await body(c);
    const options: { amount?: number; localAmount?: number; at?: number } = {};
    const amount = num(b, "amount");
    const localAmount = num(b, "local_amount");
    const at = time(b, "at");
    if (amount !== undefined) options.amount = amount;
    if (localAmount !== undefined) options.localAmount = localAmount;
    if (at !== undefined) options.at = at;
    return c.json({ transaction: settleTransaction(state, c.req.param("id"), options).json });
  });
  app.patch(`${r}/transactions/:id`, async (c) => {
    const b = await body(c);
    const edit: { category?: string; notes?: string; metadata?: Record<string, string> } = {};
    const category = str(b, "category");
    const notes = str(b, "notes");
    const metadata = strings(b, "metadata");
    if (category !== undefined) edit.category = category;
    if (notes !== undefined) edit.notes = notes;
    if (metadata !== undefined) edit.metadata = metadata;
    return c.json({ transaction: updateTransaction(state, c.req.param("id"), edit).json });
  });
  app.post(`${r}/accounts/:id/close`, (c) => c.json({ account: closeAccount(state, c.req.param("id")) }));

  app.post(`${r}/reset`, (c) => {
    hooks.reseed(state.seedInfo.seed, state.seedInfo.transactions);
    return c.json({ reset: true, seed: state.seedInfo.seed, transactions: state.seedInfo.transactions });
  });
  app.post(`${r}/seed`, async (c) => {
    const b = await body(c);
    const seed = b["seed"];
    if (typeof seed !== "string" && typeof seed !== "number")
      throw new ControlError("seed must be a string or a number");
    const transactions = num(b, "transactions") ?? state.seedInfo.transactions;
    if (!Number.isSafeInteger(transactions) || transactions < 1 || transactions > 1_000_000)
      throw new ControlError("transactions must be 1 … 1,000,000");
    hooks.reseed(seed, transactions);
    return c.json({ seed, transactions });
  });

  app.get(`${r}/counters`, (c) =>
    c.json({
      requests_total: [...state.routeCounts.values()].reduce((a, b) => a + b, 0),
      requests: Object.fromEntries(state.routeCounts),
      codes_issued: state.authority.counters.codesIssued,
      token_exchanges: state.authority.counters.tokenExchanges,
      refreshes: state.authority.counters.refreshes,
      refresh_failures: state.authority.counters.refreshFailures,
      evictions: state.authority.counters.evictions,
      logouts: state.authority.counters.logouts,
      approvals: state.authority.counters.approvals,
      webhook_deliveries: state.webhookCounters.deliveries,
      webhook_failures: state.webhookCounters.failures,
      webhook_abandoned: state.webhookCounters.abandoned,
      faults_fired: state.faultFired.reduce((a, b) => a + b, 0),
    }),
  );
  app.get(`${r}/requests`, (c) =>
    c.json({
      requests: state.requestLog.entries().map(({ atMs, ...rest }) => ({ at: formatTime(atMs), ...rest })),
    }),
  );
  app.get(`${r}/webhook-deliveries`, (c) => c.json({ deliveries: state.deliveries }));
  app.get(`${r}/feed`, (c) => {
    const accountId = new URL(c.req.url).searchParams.get("account_id");
    return c.json({ items: state.feed.filter((f) => !accountId || f.account_id === accountId) });
  });
  app.get(`${r}/faults`, (c) => c.json(state.faults));
  app.post(`${r}/faults`, async (c) => {
    const b = await body(c);
    const rules = b["rules"] ?? [];
    if (!Array.isArray(rules)) throw new ControlError("rules must be an array");
    const parsed: FaultRule[] = (rules as unknown[]).map((raw) => {
      if (!raw || typeof raw !== "object") throw new ControlError("each rule must be an object");
      const rule = raw as Json;
      // A status may come as a string ("503"), as a shell script or a flag writes it.
      const kind =
        typeof rule["kind"] === "string" && /^\d{3}$/.test(rule["kind"])
          ? Number(rule["kind"])
          : rule["kind"];
      if (![429, 500, 502, 503, 504, "reset"].includes(kind as never))
        throw new ControlError('each rule needs kind: 429, 500, 502, 503, 504 or "reset"');
      const out: FaultRule = { kind: kind as FaultRule["kind"] };
      const route = str(rule, "route");
      const rate = num(rule, "rate");
      const count = num(rule, "count");
      const retryAfter = num(rule, "retry_after") ?? num(rule, "retryAfter");
      if (route !== undefined) out.route = route;
      if (rate !== undefined) out.rate = rate;
      if (count !== undefined) out.count = count;
      if (retryAfter !== undefined) out.retryAfter = retryAfter;
      return out;
    });
    state.faults = {
      latencyMs: num(b, "latency_ms") ?? 0,
      jitterMs: num(b, "jitter_ms") ?? 0,
      rules: parsed,
    };
    state.faultFired = [];
    return c.json(state.faults);
  });
  app.delete(`${r}/faults`, (c) => {
    state.faults = {};
    state.faultFired = [];
    return c.json({});
  });
}

function publicClient(client: OAuthClient) {
  return {
    id: client.id,
    name: client.name ?? client.id,
    redirect_uris: client.redirectUris,
    confidential: client.confidential,
  };
}

function users(state: EmulatorState) {
  return [...state.bank.users.values()].map((u) => ({
    id: u.id,
    name: u.name,
    email: u.email,
    accounts: state.bank.accountsOf(u.id).map((a) => ({
      id: a.json.id,
      type: a.json.type,
      closed: a.json.closed,
      balance: a.balance,
      transactions: a.transactions.length,
      pots: state.bank.potsOf(a.json.id).map((p) => ({
        id: p.json.id,
        name: p.json.name,
        balance: p.json.balance,
        deleted: p.json.deleted,
        locked: p.json.locked,
        added_security: p.addedSecurity,
      })),
    })),
  }));
}
