import { rmSync } from "node:fs";
import type { Pot } from "@monzokit/core";
import { EXIT, UsageError } from "../errors.js";
import { journalPath, MoveJournal } from "../money/journal.js";
import { movePot, newDedupeId, requireUser } from "../money/move.js";
import { amountFor, readAmount, resolvePot } from "../money/resolve.js";
import { done, emit } from "../output/emit.js";
import { decimal, decimalOrNull, money } from "../output/format.js";
import { printable } from "../output/printable.js";
import { renderTable } from "../output/table.js";
import { formatInstant, timeZoneFor } from "../output/time.js";
import { pickAccount, requireTokens } from "../session.js";
import { type Cmd, flag, helpFor, onNegativeNumber, options, ready } from "./common.js";

const potJson = (p: Pot) => ({
  id: String(p.id),
  name: p.name,
  balance: decimal(p.balance, p.currency),
  currency: p.currency,
  goal_amount: decimalOrNull(p.goal_amount, p.currency),
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
      // As transactions list does: stdout stays the empty result (a table of nothing, or []), stderr says why.
      if (pots.length === 0 && !flags.quiet)
        t.err(
          opts.all
            ? "No pots in this account.\n"
            : "No pots in this account (deleted ones show with --all).\n",
        );
      emit(t, flags.json === true, pots.map(potJson), () =>
        renderTable(
          pots.map((p) => ({
            id: p.id,
            name: p.name,
            balance: money(p.balance, p.currency),
            goal: p.goal_amount ? money(p.goal_amount, p.currency) : "",
            state: p.deleted ? "deleted" : p.locked ? "locked" : "",
          })),
          [
            { key: "id", shrink: false },
            { key: "name", min: 10 },
            { key: "balance", align: "right" },
            { key: "goal", align: "right", drop: 1, omitEmpty: true },
            { key: "state", omitEmpty: true },
          ],
          { width: t.columns },
        ),
      );
    });
}

const DEDUPE_ID = /^[\x21-\x7e]{1,128}$/;

function move(direction: "deposit" | "withdraw") {
  return (cmd: Cmd): void => {
    helpFor(
      cmd,
      direction === "deposit"
        ? [
            { run: "monzo pots deposit Savings 12.34", says: "Move £12.34 into the pot named Savings" },
            {
              run: "monzo pots deposit Savings £12.34 --dedupe-id rent-2026-01",
              says: "Safe to re-run: the same dedupe id moves the money once, and says so",
            },
          ]
        : [
            { run: "monzo pots withdraw Holiday 50", says: "Move £50.00 out of the pot named Holiday" },
            { run: "monzo pots withdraw pot_00009XyZ 5 --dedupe-id tx-back-1" },
          ],
    );
    onNegativeNumber(cmd, (word) => {
      try {
        readAmount(word, direction);
      } catch (error) {
        return error as Error;
      }
      return undefined;
    });
    cmd
      .description(direction === "deposit" ? "Move money into a pot" : "Move money out of a pot")
      .argument("<pot>", "Pot id, or its name (exact, or the one matching without case and accents)")
      .argument("<amount>", "Amount, e.g. 12.34 or £12.34 (exact; in the pot's currency; positive)")
      .addOption(options.account())
      .option(
        "--dedupe-id <key>",
        "Idempotency key: re-running with the same key moves money once (and says it was already done)",
      )
      .action(async (potRef, amountText, opts, command) => {
        const read = readAmount(amountText, direction);
        const given = flag(opts.dedupeId);
        if (given !== undefined && !DEDUPE_ID.test(given))
          throw new UsageError(
            `--dedupe-id must be 1–128 visible ASCII characters without spaces, not "${printable(given)}"`,
            "E.g. --dedupe-id rent-2026-01.",
          );
        const { t, flags, session } = await ready(command.optsWithGlobals());
        const tokens = await requireTokens(session);
        const account = await pickAccount(session, flag(opts.account));
        const pot = resolvePot(await session.client.pots.list(account.id), potRef, account.id);
        const amount = amountFor(amountText, read, pot, direction);
        const zone = timeZoneFor(t.env, flags.utc === true);
        const profile = session.settings.profile;
        const rerun = [
          "monzo pots",
          direction,
          pot.id,
          decimal(amount, pot.currency),
          ...(profile !== "default" ? [`--profile ${profile}`] : []),
          ...(flag(opts.account) ? [`--account ${account.id}`] : []),
        ].join(" ");
        const dedupeId = given ?? newDedupeId();
        const journal = new MoveJournal(journalPath(t.env, profile));
        let stage: "checking" | "sending" | "confirming" | "done" = "checking";
        // Ctrl+C while Monzo may be moving the money: say so, and how to finish it; the journal says "pending".
        const onSignal = () => {
          const what = `${money(amount, pot.currency)} ${direction === "deposit" ? "into" : "out of"} ${printable(pot.name)}`;
          t.err(
            stage === "checking"
              ? `\nStopped before anything was sent to Monzo: no money moved.\n`
              : `\nStopped while Monzo was moving ${what}: it may or may not have moved.\n  → Finish it safely: ${rerun} --dedupe-id ${dedupeId} (the same dedupe id moves the money at most once).\n`,
          );
          rmSync(journal.lockPath, { force: true });
          process.exit(EXIT.interrupted);
        };
        process.once("SIGINT", onSignal);
        let result: Awaited<ReturnType<typeof movePot>>;
        try {
          result = await movePot({
            client: session.client,
            journal,
            direction,
            account,
            pot,
            amount,
            dedupeId,
            fresh: given === undefined,
            userId: requireUser(tokens.userId),
            now: t.now,
            rerun,
            when: (iso) => formatInstant(iso, zone),
            onStage: (next) => {
              stage = next;
            },
          });
        } finally {
          process.off("SIGINT", onSignal);
        }
        const { record } = result;
        const after = result.pot;
        const moved = result.outcome === "moved";
        const what = `${money(amount, pot.currency)} ${direction === "deposit" ? "into" : "out of"} ${pot.name}`;
        done(
          t,
          flags,
          {
            outcome: result.outcome,
            moved,
            direction,
            amount: decimal(amount, pot.currency),
            currency: pot.currency,
            pot: { id: String(pot.id), name: pot.name },
            balance: decimal(after.balance, after.currency),
            dedupe_id: record.dedupe_id,
            account_id: String(account.id),
            started_at: record.started_at,
            moved_at: record.moved_at ?? null,
          },
          () => {
            const earlier =
              result.earlier && result.earlier.outcome !== "refused" ? result.earlier : undefined;
            const since = earlier ? formatInstant(earlier.started_at, zone) : "";
            const holds = `${money(after.balance, after.currency)}`;
            return printable(
              moved
                ? `${direction === "deposit" ? "Moved" : "Withdrew"} ${money(amount, pot.currency)} ${direction === "deposit" ? "into" : "from"} ${pot.name}${earlier ? ` (the attempt of ${since} had not gone through)` : ""}: it now holds ${holds}. (dedupe id ${record.dedupe_id})`
                : !result.sent
                  ? `${record.moved_at ? `Already done on ${formatInstant(record.moved_at, zone)}` : `Already done (Monzo had moved it before ${formatInstant(record.updated_at, zone)}, when this machine learnt so)`}: ${what} (dedupe id ${record.dedupe_id}). Nothing moved now.`
                  : earlier
                    ? `Already done: the attempt of ${since} had gone through (${what}, dedupe id ${record.dedupe_id}). Nothing moved now; the pot holds ${holds}.`
                    : `Already done: Monzo had already moved ${what} with dedupe id ${record.dedupe_id} (not recorded on this machine). Nothing moved now; the pot holds ${holds}.`,
            ).concat("\n");
          },
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
