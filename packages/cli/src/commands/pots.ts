import { type Pot, parseAmount } from "@monzokit/core";
import { defineCommand } from "citty";
import { UsageError } from "../errors.js";
import { emit } from "../output/emit.js";
import { money, table } from "../output/format.js";
import { pickAccount, type Session } from "../session.js";
import { commonArgs, flag, ready } from "./common.js";

const accountArg = {
  account: { type: "string", description: "Account id (default: your one current account)" },
} as const;

const potJson = (p: Pot) => ({
  id: p.id,
  name: p.name,
  balance: p.balance,
  currency: p.currency,
  goal_amount: p.goal_amount ?? null,
  locked: p.locked ?? false,
  deleted: p.deleted ?? false,
});

const list = defineCommand({
  meta: { name: "list", description: "List pots (deleted ones with --all)" },
  args: { ...commonArgs, ...accountArg, all: { type: "boolean", description: "Include deleted pots" } },
  async run({ args }) {
    const { t, flags, session } = await ready(args);
    const account = await pickAccount(session, flag(args, "account"));
    const pots = (await session.client.pots.list(account.id)).filter((p) => args.all || !p.deleted);
    emit(t, flags.json === true, pots.map(potJson), () =>
      table(
        pots.map((p) => ({
          id: p.id,
          name: p.name,
          balance: money(p.balance, p.currency),
          goal: p.goal_amount ? money(p.goal_amount, p.currency) : "",
          state: p.deleted ? "deleted" : p.locked ? "locked" : "",
        })),
        ["id", "name", "balance", "goal", "state"],
        { right: ["balance", "goal"] },
      ),
    );
  },
});

async function findPot(session: Session, accountId: string, ref: string): Promise<Pot> {
  const pots = (await session.client.pots.list(accountId)).filter((p) => !p.deleted);
  const pot = pots.find((p) => p.id === ref) ?? pots.find((p) => p.name.toLowerCase() === ref.toLowerCase());
  if (!pot)
    throw new UsageError(
      `No pot "${ref}" on ${accountId}`,
      `Use a pot id or name: ${pots.map((p) => `"${p.name}"`).join(", ")}.`,
    );
  return pot;
}

function move(direction: "deposit" | "withdraw") {
  return defineCommand({
    meta: {
      name: direction,
      description:
        direction === "deposit"
          ? "Move money into a pot: monzo pots deposit POT 12.34"
          : "Move money out of a pot: monzo pots withdraw POT 12.34",
    },
    args: {
      ...commonArgs,
      ...accountArg,
      pot: { type: "positional", description: "Pot id or name", required: true },
      amount: {
        type: "positional",
        description: "Amount, e.g. 12.34 (exact; in the pot's currency)",
        required: true,
      },
      "dedupe-id": {
        type: "string",
        description: "Idempotency key: re-running with the same key moves money once",
      },
    },
    async run({ args }) {
      const { t, flags, session } = await ready(args);
      const account = await pickAccount(session, flag(args, "account"));
      const pot = await findPot(session, account.id, String(args.pot));
      const amount = parseAmount(String(args.amount), pot.currency);
      if (amount <= 0)
        throw new UsageError(
          `The amount must be more than zero, not ${args.amount}`,
          "E.g. monzo pots deposit Savings 12.34",
        );
      const dedupeId = flag(args, "dedupe-id");
      const params = { potId: pot.id, accountId: account.id, amount, ...(dedupeId ? { dedupeId } : {}) };
      const after =
        direction === "deposit"
          ? await session.client.pots.deposit(params)
          : await session.client.pots.withdraw(params);
      emit(
        t,
        flags.json === true,
        { ...potJson(after), moved: amount, direction, dedupe_id: after.dedupeId },
        () =>
          `${direction === "deposit" ? "Moved" : "Withdrew"} ${money(amount, pot.currency)} ${direction === "deposit" ? "into" : "from"} ${pot.name}: it now holds ${money(after.balance, after.currency)}. (dedupe id ${after.dedupeId})\n`,
      );
    },
  });
}

export default defineCommand({
  meta: { name: "pots", description: "Pots: list, deposit, withdraw" },
  subCommands: { list, deposit: move("deposit"), withdraw: move("withdraw") },
});
