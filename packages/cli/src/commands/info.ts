import { emit } from "../output/emit.js";
import { decimal, decimalOrNull, money } from "../output/format.js";
import { printable } from "../output/printable.js";
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
      () => `${printable(`${who.user_id} (client ${who.client_id})`)}\n`,
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
      // Loaded here, not with the module: `monzo balance` shares this file and never draws a table.
      const { renderTable } = await import("../output/table.js");
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
          renderTable(
            list.map((a) => ({
              id: a.id,
              type: a.type ?? "",
              owners: (a.owners ?? []).map((o) => o.preferred_name ?? o.user_id).join(", "),
              status: a.closed ? "closed" : "open",
            })),
            [{ key: "id", shrink: false }, { key: "type", min: 10 }, { key: "owners", min: 10 }, "status"],
            { width: t.columns },
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
          balance: decimal(b.balance, b.currency),
          total_balance: decimalOrNull(b.total_balance, b.currency),
          currency: b.currency,
          spend_today: decimalOrNull(b.spend_today, b.currency),
        },
        () =>
          `Balance      ${money(b.balance, b.currency)}\nWith pots    ${money(b.total_balance, b.currency)}\nSpent today  ${money(Math.abs(b.spend_today ?? 0), b.currency)}\n`,
      );
    });
}
