import { emit } from "../output/emit.js";
import { money, table } from "../output/format.js";
import { pickAccount } from "../session.js";
import { type Cmd, flag, helpFor, options, ready } from "./common.js";

export function whoami(cmd: Cmd): void {
  helpFor(cmd, [{ run: "monzo whoami" }, { run: "monzo whoami --profile work --json" }]);
  cmd.description("Who the stored token belongs to").action(async (_options, command) => {
    const { t, flags, session } = await ready(command.optsWithGlobals());
    const who = await session.client.whoami();
    emit(
      t,
      flags.json === true,
      { authenticated: who.authenticated, user_id: who.user_id, client_id: who.client_id },
      () => `${who.user_id} (client ${who.client_id})\n`,
    );
  });
}

export function accounts(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo accounts" },
    { run: "monzo accounts --type uk_retail_joint --json", says: "Only joint accounts, for a script" },
  ]);
  cmd
    .description("List accounts (current, joint, flex, closed …)")
    .option("--type <type>", "Only this account type, e.g. uk_retail")
    .action(async (opts, command) => {
      const { t, flags, session } = await ready(command.optsWithGlobals());
      const type = flag(opts.type);
      const list = await session.client.accounts.list({ ...(type ? { accountType: type } : {}) });
      emit(
        t,
        flags.json === true,
        list.map((a) => ({
          id: a.id,
          type: a.type ?? null,
          description: a.description,
          currency: a.currency ?? null,
          closed: a.closed ?? false,
          created: a.created,
          owners: (a.owners ?? []).map((o) => o.preferred_name ?? o.user_id),
        })),
        () =>
          table(
            list.map((a) => ({
              id: a.id,
              type: a.type ?? "",
              owners: (a.owners ?? []).map((o) => o.preferred_name ?? o.user_id).join(", "),
              status: a.closed ? "closed" : "open",
            })),
            ["id", "type", "owners", "status"],
          ),
      );
    });
}

export function balance(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo balance", says: "Your one open current account" },
    { run: "monzo balance --account acc_00009AbCdEf --json" },
  ]);
  cmd
    .description("Balance, total with pots, and today's spend")
    .addOption(options.account())
    .action(async (opts, command) => {
      const { t, flags, session } = await ready(command.optsWithGlobals());
      const account = await pickAccount(session, flag(opts.account));
      const b = await session.client.balance.retrieve(account.id);
      emit(
        t,
        flags.json === true,
        {
          account_id: account.id,
          balance: b.balance,
          total_balance: b.total_balance ?? null,
          currency: b.currency,
          spend_today: b.spend_today ?? null,
        },
        () =>
          `Balance      ${money(b.balance, b.currency)}\nWith pots    ${money(b.total_balance, b.currency)}\nSpent today  ${money(Math.abs(b.spend_today ?? 0), b.currency)}\n`,
      );
    });
}
