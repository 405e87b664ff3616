import { defineCommand } from "citty";
import { emit } from "../output/emit.js";
import { money, table } from "../output/format.js";
import { pickAccount } from "../session.js";
import { commonArgs, flag, ready } from "./common.js";

export const whoami = defineCommand({
  meta: { name: "whoami", description: "Who the stored token belongs to" },
  args: { ...commonArgs },
  async run({ args }) {
    const { t, flags, session } = await ready(args);
    const who = await session.client.whoami();
    emit(
      t,
      flags.json === true,
      { authenticated: who.authenticated, user_id: who.user_id, client_id: who.client_id },
      () => `${who.user_id} (client ${who.client_id})\n`,
    );
  },
});

export const accounts = defineCommand({
  meta: { name: "accounts", description: "List accounts (current, joint, flex, closed …)" },
  args: { ...commonArgs, type: { type: "string", description: "Only this account type, e.g. uk_retail" } },
  async run({ args }) {
    const { t, flags, session } = await ready(args);
    const list = await session.client.accounts.list({
      ...(flag(args, "type") ? { accountType: flag(args, "type")! } : {}),
    });
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
  },
});

export const balance = defineCommand({
  meta: { name: "balance", description: "Balance, total with pots, and today's spend" },
  args: {
    ...commonArgs,
    account: { type: "string", description: "Account id (default: your one current account)" },
  },
  async run({ args }) {
    const { t, flags, session } = await ready(args);
    const account = await pickAccount(session, flag(args, "account"));
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
  },
});
