import type { Context, Hono } from "hono";
import { MERCHANTS } from "../data/catalog.js";
import { baseTransaction } from "../data/json.js";
import type { Grant } from "../oauth/authority.js";
import type { FaultRule, OAuthClient } from "../options.js";
import type { EmulatorState } from "../state.js";
import { IdGenerator } from "../util/ids.js";
import { formatTime, parseTime } from "../util/time.js";

type Json = Record<string, unknown>;

class ControlError extends Error {}

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
 * approve or decline logins, move the clock, create card spend, inject faults, reset, and read the
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
    return c.json({ now: formatTime(state.clock.now()), frozen: state.clock.frozen });
  });

  app.post(`${r}/transactions`, async (c) => {
    const b = await body(c);
    const account = state.bank.accounts.get(str(b, "account_id") ?? "");
    if (!account) throw new ControlError("account_id must name a seeded account");
    const amount = num(b, "amount");
    if (amount === undefined || !Number.isSafeInteger(amount))
      throw new ControlError("amount must be an integer in minor units (negative = spend)");
    const key = str(b, "merchant");
    const seed = MERCHANTS.find((m) => m.key === key) ?? (key === undefined ? MERCHANTS[0] : undefined);
    const merchant = seed && [...state.bank.merchants.values()].find((m) => m.name === seed.name);
    if (key !== undefined && !merchant && key !== "none")
      throw new ControlError(
        `unknown merchant ${key}; use one of ${MERCHANTS.map((m) => m.key).join(", ")} or "none"`,
      );
    const now = state.clock.now();
    const declineReason = str(b, "decline_reason");
    const userId = account.ownerIds[0]!;
    const json = baseTransaction(
      {
        id: state.ids.next("tx"),
        amount,
        description: str(b, "description") ?? seed?.descriptor ?? "CARD PAYMENT",
        account_id: account.json.id,
        category: str(b, "category") ?? merchant?.category ?? "general",
        merchant: key === "none" ? null : (merchant?.id ?? null),
        user_id: userId,
        include_in_spending: amount < 0 && !declineReason,
        settled: b["settled"] === true ? formatTime(now) : "",
        metadata: { ledger_insertion_id: state.ids.next("entryset"), mcc: seed?.mcc ?? "5999" },
      },
      now,
    );
    if (declineReason) json.decline_reason = declineReason;
    const record = state.bank.add(account, json, now, Boolean(declineReason), true);
    return c.json({ transaction: record.json }, 201);
  });

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
      const kind = rule["kind"];
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
