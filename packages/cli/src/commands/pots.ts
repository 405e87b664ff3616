import { type Pot, parseAmount } from "@monzokit/core";
import { UsageError } from "../errors.js";
import { emit } from "../output/emit.js";
import { money, table } from "../output/format.js";
import { pickAccount, type Session } from "../session.js";
import { type Cmd, flag, helpFor, options, ready } from "./common.js";

const potJson = (p: Pot) => ({
  id: p.id,
  name: p.name,
  balance: p.balance,
  currency: p.currency,
  goal_amount: p.goal_amount ?? null,
  locked: p.locked ?? false,
  deleted: p.deleted ?? false,
});

function list(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo pots list" },
    { run: "monzo pots list --all --json", says: "Deleted pots too" },
  ]);
  cmd
    .description("List pots (deleted ones with --all)")
    .addOption(options.account())
    .option("--all", "Include deleted pots")
    .action(async (opts, command) => {
      const { t, flags, session } = await ready(command.optsWithGlobals());
      const account = await pickAccount(session, flag(opts.account));
      const pots = (await session.client.pots.list(account.id)).filter((p) => opts.all || !p.deleted);
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
    });
}

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
  return (cmd: Cmd): void => {
    helpFor(
      cmd,
      direction === "deposit"
        ? [
            { run: "monzo pots deposit Savings 12.34", says: "Move £12.34 into the pot named Savings" },
            {
              run: "monzo pots deposit Savings 12.34 --dedupe-id rent-2026-01",
              says: "Safe to re-run: the same dedupe id moves the money once",
            },
          ]
        : [
            { run: "monzo pots withdraw Holiday 50", says: "Move £50.00 out of the pot named Holiday" },
            { run: "monzo pots withdraw pot_00009XyZ 5 --dedupe-id tx-back-1" },
          ],
    );
    cmd
      .description(direction === "deposit" ? "Move money into a pot" : "Move money out of a pot")
      .argument("<pot>", "Pot id or name")
      .argument("<amount>", "Amount, e.g. 12.34 (exact; in the pot's currency)")
      .addOption(options.account())
      .option("--dedupe-id <key>", "Idempotency key: re-running with the same key moves money once")
      .action(async (potRef, amountText, opts, command) => {
        const { t, flags, session } = await ready(command.optsWithGlobals());
        const account = await pickAccount(session, flag(opts.account));
        const pot = await findPot(session, account.id, potRef);
        const amount = parseAmount(amountText, pot.currency);
        if (amount <= 0)
          throw new UsageError(
            `The amount must be more than zero, not ${amountText}`,
            "E.g. monzo pots deposit Savings 12.34",
          );
        const dedupeId = flag(opts.dedupeId);
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
      });
  };
}

/** `monzo pots`: list, deposit, withdraw. */
export default function pots(cmd: Cmd): void {
  cmd.description("Pots: list, deposit, withdraw");
  helpFor(cmd, [{ run: "monzo pots list" }, { run: "monzo pots deposit Savings 12.34" }]);
  list(cmd.command("list"));
  move("deposit")(cmd.command("deposit"));
  move("withdraw")(cmd.command("withdraw"));
}
