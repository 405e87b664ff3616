import { readFile } from "node:fs/promises";
import { basename, extname, resolve } from "node:path";
import { resolveSettings } from "../config/settings.js";
import { io } from "../context.js";
import { ConfigError, UsageError } from "../errors.js";
import { MirrorError } from "../mirror/errors.js";
import { defaultMirrorPath } from "../mirror/paths.js";
import { done, emit } from "../output/emit.js";
import { jsonText, printable } from "../output/printable.js";
import { renderTable } from "../output/table.js";
import { openSession, pickAccount } from "../session.js";
import { type Cmd, flag, globalFlags, helpFor, options, ready } from "./common.js";

/** `monzo feed`: push. */
export function feed(cmd: Cmd): void {
  cmd.description("Feed items: push");
  const example = { run: 'monzo feed push "Rent paid" --body "£950 to the landlord"' };
  helpFor(cmd, [example]);
  const push = cmd
    .command("push")
    .description("Put an item in your Monzo feed")
    .argument("<title>", "Title")
    .addOption(options.account())
    .option("--body <text>", "Body text")
    .option("--image <url>", "Icon URL (default: a Monzokit icon)")
    .option("--url <url>", "Opened when tapped")
    .option("--background-color <hex>", "#RRGGBB")
    .action(async (title, opts, command) => {
      const bg = flag(opts.backgroundColor);
      const body = flag(opts.body);
      const url = flag(opts.url);
      const image = flag(opts.image);
      // Checked here, before anything is sent, so a mistake is named with its option (REFERENCE §8).
      if (title.trim() === "")
        throw new UsageError("The feed item needs a title", 'E.g. monzo feed push "Rent paid".');
      for (const [option, value] of [
        ["--url", url],
        ["--image", image],
      ] as const)
        if (value !== undefined && !isHttpUrl(value))
          throw new UsageError(
            `${option} "${value}" is not an http(s) URL`,
            `Give a full address, e.g. ${option} https://example.com/${option === "--url" ? "invoice/42" : "icon.png"}`,
          );
      if (bg !== undefined && !/^#[0-9A-Fa-f]{6}$/.test(bg))
        throw new UsageError(`--background-color "${bg}" is not #RRGGBB`, "E.g. --background-color #FF4F40.");
      const { t, flags, session } = await ready(command.optsWithGlobals());
      const account = await pickAccount(session, flag(opts.account));
      await session.client.feed.create({
        accountId: account.id,
        title,
        imageUrl: image ?? "https://www.gravatar.com/avatar/?d=identicon",
        ...(body ? { body } : {}),
        ...(url ? { url } : {}),
        ...(bg ? { backgroundColor: bg } : {}),
      });
      done(t, flags, { ok: true }, () => "Posted to your Monzo feed.\n");
    });
  helpFor(push, [example, { run: 'monzo feed push "Paid" --url https://example.com/invoice/42' }]);
}

const MIME: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".pdf": "application/pdf",
  ".heic": "image/heic",
};

/** `monzo attachments`: add, remove. */
export function attachments(cmd: Cmd): void {
  cmd.description("Attachments: add a file to a transaction, remove one");
  const add = { run: "monzo attachments add tx_00009AbCdEf receipt.png" };
  const remove = { run: "monzo attachments remove attach_00009XyZ" };
  helpFor(cmd, [add, remove]);
  const adding = cmd
    .command("add")
    .description("Upload a file and attach it to a transaction")
    .argument("<transaction>", "Transaction id (tx_…)")
    .argument("<file>", "Image or PDF file")
    .action(async (transaction, path, _opts, command) => {
      const type = MIME[extname(path).toLowerCase()];
      if (!type)
        throw new UsageError(
          `Cannot tell the type of ${path}`,
          `Use one of: ${Object.keys(MIME).join(", ")}.`,
        );
      let data: Uint8Array;
      try {
        data = new Uint8Array(await readFile(path));
      } catch {
        throw new UsageError(`Cannot read ${path}`, "Check the path.");
      }
      const { t, flags, session } = await ready(command.optsWithGlobals());
      const a = await session.client.attachments.upload({
        transactionId: transaction,
        data,
        fileName: basename(path),
        fileType: type,
      });
      done(
        t,
        flags,
        { id: a.id, transaction_id: a.external_id, file_url: a.file_url, file_type: a.file_type },
        () => `${printable(`Attached ${basename(path)} to ${a.external_id} (${a.id}).`)}\n`,
      );
    });
  helpFor(adding, [add]);
  const removing = cmd
    .command("remove")
    .description("Remove an attachment by its id")
    .argument("<id>", "Attachment id (attach_…)")
    .action(async (id, _opts, command) => {
      const { t, flags, session } = await ready(command.optsWithGlobals());
      await session.client.attachments.deregister(id);
      done(t, flags, { ok: true }, () => `Removed ${printable(id)}.\n`);
    });
  helpFor(removing, [remove]);
}

/** An http(s) URL, as Monzo's feed wants for `url` and `image_url`. */
function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * The fields every receipt needs (REFERENCE §10.1), checked before it is sent so that `{}` is named as the
 * mistake it is; Monzo checks the rest and its refusal names the field.
 */
function checkReceipt(receipt: unknown, file: string): void {
  const fail = (what: string) =>
    new UsageError(
      `The receipt in ${file} ${what}`,
      "A receipt needs external_id (your id for it), transaction_id (tx_…), total and currency, and items (each with description, amount in minor units, currency): https://docs.monzo.com/#receipts",
    );
  if (!receipt || typeof receipt !== "object" || Array.isArray(receipt)) throw fail("is not a JSON object");
  const r = receipt as Record<string, unknown>;
  for (const key of ["external_id", "transaction_id", "currency"])
    if (typeof r[key] !== "string" || r[key] === "") throw fail(`has no ${key}`);
  if (!String(r["transaction_id"]).startsWith("tx_"))
    throw fail(`has transaction_id "${String(r["transaction_id"])}", not a transaction id (tx_…)`);
  if (!Number.isSafeInteger(r["total"]) || (r["total"] as number) < 0)
    throw fail("has no total as a whole number of minor units (pence: 1250 for £12.50)");
  if (!Array.isArray(r["items"])) throw fail("has no items list");
}

/** `monzo receipts`: put, get, delete. */
export function receipts(cmd: Cmd): void {
  cmd.description("Receipts: put (from a JSON file), get, delete");
  const examples = {
    put: { run: "monzo receipts put receipt.json", says: "external_id in the file names it" },
    get: { run: "monzo receipts get order-1234" },
    delete: { run: "monzo receipts delete order-1234" },
  };
  helpFor(cmd, Object.values(examples));
  const put = cmd
    .command("put")
    .description("Create or replace a receipt from a JSON file")
    .argument("<file>", "Receipt JSON (Monzo's receipt schema)")
    .action(async (file, _opts, command) => {
      let receipt: unknown;
      try {
        receipt = JSON.parse(await readFile(file, "utf8"));
      } catch (error) {
        throw new UsageError(
          `Cannot read a JSON receipt from ${file}: ${(error as Error).message}`,
          "See https://docs.monzo.com/#receipts for the fields.",
        );
      }
      checkReceipt(receipt, file);
      const { t, flags, session } = await ready(command.optsWithGlobals());
      await session.client.receipts.put(receipt as never);
      done(t, flags, { ok: true }, () => "Receipt saved.\n");
    });
  helpFor(put, [examples.put]);
  const get = cmd
    .command("get")
    .description("A receipt by your external id")
    .argument("<id>", "The receipt's external_id")
    .action(async (id, _opts, command) => {
      const { t, session } = await ready(command.optsWithGlobals());
      // Monzo's receipt schema, the one `receipts put` takes (amounts in minor units, as you wrote them).
      t.out(`${jsonText(await session.client.receipts.retrieve(id), 2)}\n`);
    });
  helpFor(get, [examples.get]);
  const remove = cmd
    .command("delete")
    .description("Delete a receipt by your external id")
    .argument("<id>", "The receipt's external_id")
    .action(async (id, _opts, command) => {
      const { t, flags, session } = await ready(command.optsWithGlobals());
      await session.client.receipts.delete(id);
      done(t, flags, { ok: true }, () => "Receipt deleted.\n");
    });
  helpFor(remove, [examples.delete]);
}

/** `monzo webhooks`: list, add, remove, listen. */
export function webhooks(cmd: Cmd): void {
  cmd.description("Webhooks: list, add, remove, listen");
  const examples = {
    list: { run: "monzo webhooks list" },
    add: {
      run: 'monzo webhooks add "https://example.com/monzo?secret=RANDOM"',
      says: "Monzo signs nothing: keep a secret in the URL and check it",
    },
    remove: { run: "monzo webhooks remove webhook_00009AbC" },
    listen: {
      run: "monzo webhooks listen --register https://tunnel.example.com",
      says: "Register <tunnel>/monzo/<secret> for this run and print each event once",
    },
    listenLocal: {
      run: "monzo webhooks listen --json --register http://127.0.0.1:6610",
      says: "Against monzo-emulator on this machine, one NDJSON line per event",
    },
    listenMirror: {
      run: "monzo sync && monzo webhooks listen --register https://tunnel.example.com",
      says: "With a mirror (monzo sync), each new transaction goes into it too; --no-mirror not to",
    },
  };
  helpFor(cmd, [examples.list, examples.add]);
  const list = cmd
    .command("list")
    .description("Webhooks this app registered")
    .addOption(options.account())
    .action(async (opts, command) => {
      const { t, flags, session } = await ready(command.optsWithGlobals());
      const account = await pickAccount(session, flag(opts.account));
      const hooks = await session.client.webhooks.list(account.id);
      emit(
        t,
        flags.json === true,
        hooks.map((h) => ({ id: h.id, account_id: h.account_id, url: h.url })),
        () =>
          hooks.length
            ? renderTable(
                hooks.map((h) => ({ id: h.id, url: h.url })),
                [
                  { key: "id", shrink: false },
                  { key: "url", min: 20 },
                ],
                { width: t.columns },
              )
            : "No webhooks.\n",
      );
    });
  helpFor(list, [examples.list]);
  const add = cmd
    .command("add")
    .description("Register a URL (idempotent: an existing one is kept)")
    .argument("<url>", "https URL to POST events to")
    .addOption(options.account())
    .action(async (url, opts, command) => {
      const { t, flags, session } = await ready(command.optsWithGlobals());
      if (!/^https?:\/\//.test(url))
        throw new UsageError(
          `"${url}" is not an http(s) URL`,
          "E.g. https://example.com/monzo?secret=RANDOM",
        );
      const account = await pickAccount(session, flag(opts.account));
      const existing = (await session.client.webhooks.list(account.id)).find((h) => h.url === url);
      const hook = existing ?? (await session.client.webhooks.create({ accountId: account.id, url }));
      if (!new URL(url).search)
        t.err(
          "Monzo does not sign deliveries: put a secret token in the URL (e.g. ?secret=…) and check it in your receiver.\n",
        );
      done(
        t,
        flags,
        { id: hook.id, account_id: hook.account_id, url: hook.url, created: !existing },
        () => `${printable(`${existing ? "Already registered" : "Registered"}: ${hook.id} → ${hook.url}`)}\n`,
      );
    });
  helpFor(add, [examples.add]);
  const remove = cmd
    .command("remove")
    .description("Remove a webhook by id")
    .argument("<id>", "Webhook id (webhook_…)")
    .action(async (id, _opts, command) => {
      const { t, flags, session } = await ready(command.optsWithGlobals());
      await session.client.webhooks.delete(id);
      done(t, flags, { ok: true }, () => `Removed ${printable(id)}.\n`);
    });
  helpFor(remove, [examples.remove]);
  const listen = cmd
    .command("listen")
    .description(
      "Receive events on this machine: a secret URL, each event once, shown like transactions list (--json: NDJSON), and added to the mirror when monzo sync has made one",
    )
    .addOption(options.port("Port", 6610))
    .option("--path <path>", "Path before the secret (default /monzo)")
    .option(
      "--register <base-url>",
      "Register <base-url>/<path>/<secret> (your tunnel) for this run; the secret is new each run, or MONZO_WEBHOOK_SECRET from the environment",
    )
    .option("--keep", "With --register: leave the registration in place on exit")
    .addOption(options.account())
    .option(
      "--db <file>",
      "Add each new transaction to this mirror (default: the profile's, when monzo sync has made it)",
    )
    .option("--no-mirror", "Do not add events to the mirror, even when there is one")
    .action(async (opts, command) => {
      const t = io();
      const values = command.optsWithGlobals();
      const flags = globalFlags(values);
      const portText = flag(opts.port) ?? "6610";
      if (!/^\d+$/.test(portText) || Number(portText) > 65535)
        throw new UsageError(`--port must be 0–65535, not "${portText}"`, "E.g. --port 6610.");
      const db = flag(opts.db);
      if (db && opts.mirror === false)
        throw new UsageError("--db and --no-mirror contradict each other", "Give one of them.");
      const { listen } = await import("../webhooks/listen.js");
      const { mirrorExists } = await import("../webhooks/mirror.js");
      const base = flag(opts.register);
      let session = base ? (await ready(values)).session : undefined;
      const account = session ? await pickAccount(session, flag(opts.account)) : undefined;
      let mirror: string | undefined;
      if (db) {
        mirror = resolve(t.cwd, db);
        if (!(await mirrorExists(mirror)))
          throw new MirrorError("mirror.missing", `There is no mirror at ${db} yet`, {
            hint: `Run monzo sync --db ${db} first, or leave out --db for the profile's mirror.`,
          });
      } else if (opts.mirror !== false) {
        const profile = session?.settings.profile ?? (await resolveSettings(t, flags)).profile;
        const path = defaultMirrorPath(t.env, profile);
        if (await mirrorExists(path)) mirror = path;
      }
      // Events are not signed (REFERENCE §11.4): the mirror takes only what Monzo confirms with the login.
      if (mirror && !session) {
        session = await openSession(t, flags);
        if (!(await session.manager.tokens())) {
          const named =
            session.settings.profile === "default" ? "" : ` --profile ${session.settings.profile}`;
          throw new ConfigError(
            `Not logged in${named ? ` (profile ${session.settings.profile})` : ""}: the mirror takes only transactions Monzo confirms with your login`,
            `Run monzo login${named} first, or pass --no-mirror to only show events.`,
          );
        }
      }
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      // Printing events is what listen is for: once the reader of stdout is gone (`| head`), it stops as on
      // Ctrl+C (the webhook it registered removed), and main ends the run with exit 141.
      t.stdoutClosed?.addEventListener("abort", onSignal, { once: true });
      try {
        await listen({
          io: t,
          port: Number(portText),
          basePath: flag(opts.path) ?? "/monzo",
          json: flags.json === true,
          quiet: flags.quiet === true,
          utc: flags.utc === true,
          signal: stop.signal,
          ...(mirror && session ? { mirror: { path: mirror, client: session.client } } : {}),
          // A pot transfer's pot by name, with the login listen already uses (none: pot ids).
          ...(session ? { pots: { client: session.client } } : {}),
          ...(base && session && account
            ? {
                register: {
                  baseUrl: base,
                  client: session.client,
                  accountId: account.id,
                  keep: opts.keep === true,
                },
              }
            : {}),
        });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        t.stdoutClosed?.removeEventListener("abort", onSignal);
      }
    });
  helpFor(listen, [examples.listen, examples.listenLocal, examples.listenMirror]);
}
