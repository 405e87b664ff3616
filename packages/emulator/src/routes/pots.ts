import type { Context, Hono } from "hono";
import { potTransfer } from "../data/seed.js";
import { MonzoHttpError, missingParam } from "../http/errors.js";
import { Params } from "../http/params.js";
import type { EmulatorState } from "../state.js";
import { approved, ownAccount, requireId } from "./guard.js";

/** `/pots`, `/pots/{id}/deposit`, `/pots/{id}/withdraw` (REFERENCE §6). */
export function potRoutes(app: Hono, state: EmulatorState): void {
  app.get("/pots", (c) => {
    const grant = approved(c, state);
    const account = ownAccount(
      state,
      grant,
      Params.fromQuery(c.req.url).get("current_account_id"),
      "current_account_id",
    );
    // Deleted pots are still listed, with `deleted: true` (REFERENCE §13.22).
    return c.json({ pots: state.bank.potsOf(account.json.id).map((p) => p.json) });
  });

  app.put("/pots/:pot_id/deposit", (c) => move(c, state, "deposit"));
  app.put("/pots/:pot_id/withdraw", (c) => move(c, state, "withdraw"));
}

async function move(c: Context, state: EmulatorState, direction: "deposit" | "withdraw") {
  const grant = approved(c, state);
  // Write parameters come from the form body only; query-string values are ignored (REFERENCE §13.18).
  const form = await Params.fromForm(c.req.raw);
  const rawAmount = form.get("amount");
  const amount = rawAmount !== undefined && /^\d{1,15}$/.test(rawAmount) ? Number(rawAmount) : 0;
  if (amount <= 0)
    throw new MonzoHttpError("bad_request.bad_param.bad_param.amount", "must be greater than 0");
  const accountField = direction === "deposit" ? "source_account_id" : "destination_account_id";
  const account = ownAccount(state, grant, form.get(accountField), accountField);
  const dedupeId = form.get("dedupe_id");
  if (!dedupeId) throw missingParam("dedupe_id");

  const potId = requireId(c.req.param("pot_id"), "pot_id", "pot");
  const pot = state.bank.pots.get(potId);
  const potAccount = pot && state.bank.accounts.get(pot.json.current_account_id);
  if (!pot || pot.json.deleted || !potAccount?.ownerIds.includes(grant.userId)) {
    throw new MonzoHttpError("not_found.pot", "Pot not found");
  }
  if (pot.json.current_account_id !== account.json.id) {
    throw new MonzoHttpError(
      `bad_request.bad_param.${accountField}`,
      `The pot belongs to account ${pot.json.current_account_id}, not ${account.json.id}`,
    );
  }

  // The same (pot, account, direction, user, dedupe_id) moves money once; repeats get the pot as it is.
  const key = `${pot.json.id}:${account.json.id}:${direction}:${grant.userId}:${dedupeId}`;
  if (state.potMoves.has(key)) return c.json(pot.json);

  if (direction === "deposit" && account.balance < amount) {
    throw new MonzoHttpError("bad_request.insufficient_funds", "Insufficient funds in the source account");
  }
  if (direction === "withdraw") {
    if (pot.addedSecurity) {
      throw new MonzoHttpError(
        "forbidden.pot_added_security",
        "This pot has added security: withdraw from it in the Monzo app",
      );
    }
    if (pot.json.locked) throw new MonzoHttpError("forbidden.pot_locked", "This pot is locked");
    if (pot.json.balance < amount)
      throw new MonzoHttpError("bad_request.insufficient_funds", "Insufficient funds in the pot");
  }
  const user = state.bank.users.get(grant.userId)!;
  state.potMoves.add(key);
  potTransfer(
    state.bank,
    state.ids,
    account,
    pot,
    direction === "deposit" ? amount : -amount,
    user,
    state.clock.now(),
    "user",
    dedupeId,
    true,
  );
  return c.json(pot.json);
}
