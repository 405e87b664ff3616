import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { basename, extname } from "node:path";
import { defineCommand } from "citty";
import { io } from "../context.js";
import { UsageError } from "../errors.js";
import { emit } from "../output/emit.js";
import { table } from "../output/format.js";
import { pickAccount } from "../session.js";
import { commonArgs, flag, globalFlags, ready } from "./common.js";

const accountArg = {
  account: { type: "string", description: "Account id (default: your one current account)" },
} as const;

export const feed = defineCommand({
  meta: { name: "feed", description: "Feed items: push" },
  subCommands: {
    push: defineCommand({
      meta: { name: "push", description: "Put an item in your Monzo feed" },
      args: {
        ...commonArgs,
        ...accountArg,
        title: { type: "positional", description: "Title", required: true },
        body: { type: "string", description: "Body text" },
        image: { type: "string", description: "Icon URL (default: a Monzokit icon)" },
        url: { type: "string", description: "Opened when tapped" },
        "background-color": { type: "string", description: "#RRGGBB" },
      },
      async run({ args }) {
        const { t, flags, session } = await ready(args);
        const account = await pickAccount(session, flag(args, "account"));
        const bg = flag(args, "background-color");
        const body = flag(args, "body");
        const url = flag(args, "url");
        await session.client.feed.create({
          accountId: account.id,
          title: String(args.title),
          imageUrl: flag(args, "image") ?? "https://www.gravatar.com/avatar/?d=identicon",
          ...(body ? { body } : {}),
          ...(url ? { url } : {}),
          ...(bg ? { backgroundColor: bg } : {}),
        });
        emit(t, flags.json === true, { ok: true }, () => "Posted to your Monzo feed.\n");
      },
    }),
  },
});

const MIME: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".pdf": "application/pdf",
  ".heic": "image/heic",
};

export const attachments = defineCommand({
  meta: { name: "attachments", description: "Attachments: add a file to a transaction, remove one" },
  subCommands: {
    add: defineCommand({
      meta: { name: "add", description: "Upload a file and attach it: monzo attachments add TX receipt.png" },
      args: {
        ...commonArgs,
        transaction: { type: "positional", required: true, description: "Transaction id" },
        file: { type: "positional", required: true, description: "Image file" },
      },
      async run({ args }) {
        const path = String(args.file);
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
        const { t, flags, session } = await ready(args);
        const a = await session.client.attachments.upload({
          transactionId: String(args.transaction),
          data,
          fileName: basename(path),
          fileType: type,
        });
        emit(
          t,
          flags.json === true,
          { id: a.id, transaction_id: a.external_id, file_url: a.file_url, file_type: a.file_type },
          () => `Attached ${basename(path)} to ${a.external_id} (${a.id}).\n`,
        );
      },
    }),
    remove: defineCommand({
      meta: { name: "remove", description: "Remove an attachment by its id" },
      args: {
        ...commonArgs,
        id: { type: "positional", required: true, description: "Attachment id (attach_…)" },
      },
      async run({ args }) {
        const { t, flags, session } = await ready(args);
        await session.client.attachments.deregister(String(args.id));
        emit(t, flags.json === true, { ok: true }, () => `Removed ${args.id}.\n`);
      },
    }),
  },
});

export const receipts = defineCommand({
  meta: { name: "receipts", description: "Receipts: put (from a JSON file), get, delete" },
  subCommands: {
    put: defineCommand({
      meta: { name: "put", description: "Create or replace a receipt from a JSON file" },
      args: {
        ...commonArgs,
        file: { type: "positional", required: true, description: "Receipt JSON (Monzo's receipt schema)" },
      },
      async run({ args }) {
        let receipt: unknown;
        try {
          receipt = JSON.parse(await readFile(String(args.file), "utf8"));
        } catch (error) {
          throw new UsageError(
            `Cannot read a JSON receipt from ${args.file}: ${(error as Error).message}`,
            "See https://docs.monzo.com/#receipts for the fields.",
          );
        }
        const { t, flags, session } = await ready(args);
        await session.client.receipts.put(receipt as never);
        emit(t, flags.json === true, { ok: true }, () => "Receipt saved.\n");
      },
    }),
    get: defineCommand({
      meta: { name: "get", description: "A receipt by your external id" },
      args: { ...commonArgs, id: { type: "positional", required: true, description: "external_id" } },
      async run({ args }) {
        const { t, session } = await ready(args);
        t.out(`${JSON.stringify(await session.client.receipts.retrieve(String(args.id)), null, 2)}\n`);
      },
    }),
    delete: defineCommand({
      meta: { name: "delete", description: "Delete a receipt by your external id" },
      args: { ...commonArgs, id: { type: "positional", required: true, description: "external_id" } },
      async run({ args }) {
        const { t, flags, session } = await ready(args);
        await session.client.receipts.delete(String(args.id));
        emit(t, flags.json === true, { ok: true }, () => "Receipt deleted.\n");
      },
    }),
  },
});

export const webhooks = defineCommand({
  meta: { name: "webhooks", description: "Webhooks: list, add, remove, listen" },
  subCommands: {
    list: defineCommand({
      meta: { name: "list", description: "Webhooks this app registered" },
      args: { ...commonArgs, ...accountArg },
      async run({ args }) {
        const { t, flags, session } = await ready(args);
        const account = await pickAccount(session, flag(args, "account"));
        const hooks = await session.client.webhooks.list(account.id);
        emit(
          t,
          flags.json === true,
          hooks.map((h) => ({ id: h.id, account_id: h.account_id, url: h.url })),
          () =>
            hooks.length
              ? table(
                  hooks.map((h) => ({ id: h.id, url: h.url })),
                  ["id", "url"],
                )
              : "No webhooks.\n",
        );
      },
    }),
    add: defineCommand({
      meta: { name: "add", description: "Register a URL (idempotent: an existing one is kept)" },
      args: {
        ...commonArgs,
        ...accountArg,
        url: { type: "positional", required: true, description: "https URL to POST events to" },
      },
      async run({ args }) {
        const { t, flags, session } = await ready(args);
        const url = String(args.url);
        if (!/^https?:\/\//.test(url))
          throw new UsageError(
            `"${url}" is not an http(s) URL`,
            "E.g. https://example.com/monzo?secret=RANDOM",
          );
        const account = await pickAccount(session, flag(args, "account"));
        const existing = (await session.client.webhooks.list(account.id)).find((h) => h.url === url);
        const hook = existing ?? (await session.client.webhooks.create({ accountId: account.id, url }));
        if (!new URL(url).search)
          t.err(
            "Monzo does not sign deliveries: put a secret token in the URL (e.g. ?secret=…) and check it in your receiver.\n",
          );
        emit(
          t,
          flags.json === true,
          { id: hook.id, account_id: hook.account_id, url: hook.url, created: !existing },
          () => `${existing ? "Already registered" : "Registered"}: ${hook.id} → ${hook.url}\n`,
        );
      },
    }),
    remove: defineCommand({
      meta: { name: "remove", description: "Remove a webhook by id" },
      args: { ...commonArgs, id: { type: "positional", required: true, description: "webhook_…" } },
      async run({ args }) {
        const { t, flags, session } = await ready(args);
        await session.client.webhooks.delete(String(args.id));
        emit(t, flags.json === true, { ok: true }, () => `Removed ${args.id}.\n`);
      },
    }),
    listen: defineCommand({
      meta: {
        name: "listen",
        description: "Run a local receiver that prints each event (point a tunnel or the emulator at it)",
      },
      args: {
        ...commonArgs,
        port: { type: "string", description: "Port (default 6610)" },
        path: { type: "string", description: "Path (default /monzo)" },
      },
      async run({ args }) {
        const t = io();
        const flags = globalFlags(args);
        const port = Number(flag(args, "port") ?? 6610);
        const path = flag(args, "path") ?? "/monzo";
        const server = createServer((req, res) => {
          const url = new URL(req.url ?? "/", "http://localhost");
          if (req.method !== "POST" || url.pathname !== path) {
            res.writeHead(404).end();
            return;
          }
          let body = "";
          req.on("data", (c) => {
            body += c;
            if (body.length > 1_000_000) req.destroy();
          });
          req.on("end", () => {
            res.writeHead(200, { "content-type": "application/json" }).end("{}");
            try {
              const event = JSON.parse(body) as {
                type?: string;
                data?: { id?: string; amount?: number; currency?: string; description?: string };
              };
              if (flags.json) t.out(`${body}\n`);
              else
                t.out(
                  `${event.type ?? "event"} ${event.data?.id ?? ""} ${event.data?.amount ?? ""} ${event.data?.currency ?? ""} ${event.data?.description ?? ""}\n`,
                );
            } catch {
              t.err("Received a body that is not JSON.\n");
            }
          });
        });
        await new Promise<void>((resolve, reject) => {
          server.once("error", (e: NodeJS.ErrnoException) =>
            reject(e.code === "EADDRINUSE" ? new UsageError(`Port ${port} is in use`, "Pass --port.") : e),
          );
          server.listen(port, "127.0.0.1", () => resolve());
        });
        t.err(`Listening on http://127.0.0.1:${port}${path} — Ctrl+C to stop.\n`);
        await new Promise<void>((resolve) => {
          process.once("SIGINT", resolve);
          process.once("SIGTERM", resolve);
        });
        server.close();
      },
    }),
  },
});
