import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import {
  checkWebhookSecret,
  createWebhookHandler,
  createWebhookSecret,
  InvalidArgumentError,
  isLoopbackUrl,
  type MonzoClient,
  registerSecret,
  type WebhookEvent,
  type WebhookId,
  type WebhookRefusal,
  webhookPath,
} from "@monzokit/core";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { printable } from "../output/printable.js";
import { timeZoneFor } from "../output/time.js";
import { type PotNames, potOf } from "../output/transactions.js";
import { type MirrorWriter, mirrorWriter } from "./mirror.js";
import { ndjsonLine, transactionHeader, transactionRow } from "./terminal.js";

/**
 * Each account's pot names, asked for once per account (a failed or slow answer is not asked again: the
 * rows then show pot ids), each wait bounded by a second so the event's answer to Monzo is not held up.
 */
function potNamesOnce(client: MonzoClient | undefined): (accountId: string | undefined) => Promise<PotNames> {
  const asked = new Map<string, Promise<PotNames>>();
  const none: PotNames = new Map();
  return async (accountId) => {
    if (!client || typeof accountId !== "string") return none;
    let names = asked.get(accountId);
    if (!names) {
      names = client.pots.list(accountId).then(
        (pots) => new Map(pots.map((p) => [String(p.id), p.name])),
        () => none,
      );
      asked.set(accountId, names);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<PotNames>((resolve) => {
      timer = setTimeout(() => resolve(none), 1000);
    });
    try {
      return await Promise.race([names, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Where a stable secret comes from: the environment, never argv (other local users can read argv). */
export const SECRET_ENV = "MONZO_WEBHOOK_SECRET";

export interface ListenOptions {
  io: Io;
  /** Loopback port; 0 picks a free one. */
  port: number;
  /** The path before the secret. Default `/monzo`. */
  basePath?: string;
  /** NDJSON on stdout instead of rows. */
  json?: boolean;
  /** No chatter on stderr: only events (and errors). */
  quiet?: boolean;
  /** Times in UTC instead of the local time zone (`--utc`). */
  utc?: boolean;
  /** Register `<baseUrl><path>` on the account through `webhooks.ensure`, and remove it on close unless `keep`. */
  register?: { baseUrl: string; client: MonzoClient; accountId: string; keep?: boolean };
  /**
   * An existing mirror (`monzo sync`'s) to add each new transaction to (`addTransactionToMirror`): at once, or
   * once a running sync has finished. Only what Monzo confirms goes in: the transaction each event names is
   * fetched with `client` (the user's login) and Monzo's copy is stored, never the event's body (deliveries
   * are not signed, REFERENCE §11.4). Nothing the mirror does delays Monzo's answer by more than a second or
   * makes Monzo deliver again.
   */
  mirror?: { path: string; client: MonzoClient };
  /**
   * The login's client, to show a pot transfer's pot by name as `transactions list` does: the account's
   * pots are asked for once (one `GET /pots` per account a pot transfer arrives for, never again in this
   * run), and waited for at most a second, so Monzo's answer is never held up longer. Without it, or when
   * Monzo does not answer in time, the row shows the pot's id.
   */
  pots?: { client: MonzoClient };
  /** Called for each event after it is printed (and added to the mirror). A throw makes Monzo retry. */
  onEvent?: (event: WebhookEvent) => void | Promise<void>;
}

export interface Listener {
  /** Where the receiver listens on this machine, with the secret path. */
  readonly localUrl: string;
  /** The URL registered at Monzo, when `register` was given. */
  readonly registeredUrl: string | undefined;
  /** Stops listening; removes the registration this run created unless told to keep it. */
  close(): Promise<void>;
}

const REASONS: Record<WebhookRefusal, string> = {
  path: "not the secret path",
  method: "not a POST",
  browser: "sent by a web browser",
  "content-type": "not JSON",
  "too-large": "too large",
  "invalid-body": "not a Monzo event",
  busy: "too many at once",
};

/**
 * `monzo webhooks listen`: core's webhook handler on a loopback port, printing each event once — as a
 * `transactions list` row, or NDJSON with `--json` — however often Monzo retries it. The secret comes from
 * `MONZO_WEBHOOK_SECRET` or is made for this run.
 *
 * @example const listener = await startListener({ io, port: 6610 }); … await listener.close();
 */
export async function startListener(options: ListenOptions): Promise<Listener> {
  const { io } = options;
  const basePath = options.basePath ?? "/monzo";
  const secret = secretFrom(io);
  // Whoever has the path can post events: masked in errors and --debug lines like a configured secret. The
  // URL printed on purpose for the person to register is written directly, not through redaction.
  registerSecret(secret);
  let path: string;
  try {
    path = webhookPath(secret, basePath);
  } catch (error) {
    if (error instanceof InvalidArgumentError)
      throw new UsageError(`--path "${printable(basePath)}" is not a plain URL path`, error.hint ?? "");
    throw error;
  }
  const registerBase = options.register ? baseUrlOf(options.register.baseUrl) : undefined;
  const chatter = (text: string) => {
    if (!options.quiet) io.err(text);
  };

  const mirror: MirrorWriter | undefined = options.mirror
    ? mirrorWriter({
        io,
        path: options.mirror.path,
        client: options.mirror.client,
        quiet: options.quiet === true,
      })
    : undefined;
  let headerShown = false;
  const potNames = potNamesOnce(options.pots?.client);
  const handler = createWebhookHandler({
    secret,
    basePath,
    onEvent: async (event, delivery) => {
      if (options.json) io.out(ndjsonLine(JSON.parse(delivery.body)));
      else if (event.kind === "transaction.created") {
        if (!headerShown) io.out(transactionHeader());
        headerShown = true;
        const pots = potOf(event.data) ? await potNames(event.data.account_id) : new Map();
        io.out(transactionRow(event.data, timeZoneFor(io.env, options.utc === true), pots));
      } else io.out(`event ${printable(event.type)} (not a transaction; --json shows it whole)\n`);
      if (mirror && event.kind === "transaction.created") await mirror.add(event.data);
      await options.onEvent?.(event);
    },
    onRefused: throttled(io.now, (info, more) =>
      chatter(
        `Refused a request: ${REASONS[info.reason]} (${info.status})${more ? `, and ${more} more like it` : ""}.\n`,
      ),
    ),
    onError: (error) =>
      io.err(`Could not handle an event (Monzo will deliver it again): ${printable(String(error))}\n`),
  });

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: handler, port: options.port, hostname: "127.0.0.1" }, () => resolve(s));
    s.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "EADDRINUSE"
          ? new UsageError(
              `Port ${options.port} is in use`,
              "Pass another --port, or --port 0 for any free one.",
            )
          : e.code === "EACCES"
            ? new UsageError(`Not allowed to listen on port ${options.port}`, "Use a port above 1023.")
            : e,
      ),
    );
  });
  const closeServer = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await mirror?.close();
  };
  const port = (server.address() as AddressInfo).port;
  const localUrl = `http://127.0.0.1:${port}${path}`;

  let registeredUrl: string | undefined;
  let created: WebhookId | undefined;
  if (options.register && registerBase) {
    const { client, accountId } = options.register;
    registeredUrl = `${registerBase}${path}`;
    try {
      const result = await client.webhooks.ensure({ accountId, url: registeredUrl });
      if (result.created) created = result.webhook.id;
      // Earlier runs with other secrets registered <base><basePath>/<their secret>: named, never removed here.
      const prefix = `${registerBase}${path.slice(0, path.lastIndexOf("/") + 1)}`;
      const stale = (await client.webhooks.list(accountId)).filter(
        (w) => w.url !== registeredUrl && w.url.startsWith(prefix),
      );
      chatter(
        `${result.created ? "Registered" : "Already registered"} ${result.webhook.id} for account ${accountId}.\n`,
      );
      if (stale.length > 0)
        chatter(
          `${stale.length} other webhook${stale.length === 1 ? "" : "s"} on this account point${stale.length === 1 ? "s" : ""} under the same address (earlier runs?): ${stale.map((w) => w.id).join(", ")}. Remove with monzo webhooks remove ID.\n`,
        );
    } catch (error) {
      await closeServer();
      throw error;
    }
  }

  chatter(`Listening on ${localUrl} (this machine only) — Ctrl+C to stop.\n`);
  if (options.mirror)
    chatter(
      `New transactions go into the mirror ${options.mirror.path} too, as Monzo confirms them (--no-mirror to leave it alone).\n`,
    );
  if (registeredUrl) chatter(`Monzo posts to ${registeredUrl}\n`);
  else
    chatter(
      `To have Monzo post here, make port ${port} reachable (a tunnel; with the emulator, this machine) and start with --register BASE_URL: it registers BASE_URL${path}${secretFromEnv(io) ? "" : `. Set ${SECRET_ENV} to keep the same URL across runs`}.\n`,
    );

  return {
    localUrl,
    registeredUrl,
    async close() {
      await closeServer();
      if (created && options.register && !options.register.keep) {
        try {
          await options.register.client.webhooks.delete(created);
          chatter(`Removed the registration ${created}.\n`);
        } catch (error) {
          io.err(
            `Could not remove the registration ${created} (${printable(String(error))}); remove it with monzo webhooks remove ${created}.\n`,
          );
        }
      }
    },
  };
}

/** Runs the listener until `signal` aborts (Ctrl+C), then closes it. */
export async function listen(options: ListenOptions & { signal: AbortSignal }): Promise<void> {
  const listener = await startListener(options);
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    options.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await listener.close();
}

function secretFromEnv(io: Io): string | undefined {
  const value = io.env[SECRET_ENV];
  return value === undefined || value === "" ? undefined : value;
}

function secretFrom(io: Io): string {
  const secret = secretFromEnv(io);
  if (secret === undefined) return createWebhookSecret();
  try {
    checkWebhookSecret(secret);
  } catch (error) {
    throw new UsageError(
      `${SECRET_ENV} is not a usable webhook secret: ${(error as Error).message.replace(/^The webhook secret /, "it ")}`,
      `Set it to 22 or more letters, digits, - or _ (e.g. the output of: node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"), or unset it for a new secret each run.`,
    );
  }
  return secret;
}

/** `--register` takes the public base (scheme, host, optional path prefix): no query, fragment or credentials. */
function baseUrlOf(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--register "${printable(text)}" is not a URL`,
      "E.g. --register https://abc.example.com.",
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new UsageError(
      `--register needs an http(s) URL, not ${printable(url.protocol)}`,
      "E.g. --register https://abc.example.com.",
    );
  if (url.search || url.hash || url.username || url.password)
    throw new UsageError(
      "--register takes the base URL only: no query, fragment or user name",
      "The secret path is added to it; e.g. --register https://abc.example.com.",
    );
  if (url.protocol === "http:" && !isLoopbackUrl(url))
    throw new UsageError(
      "--register with plain http would send your transactions unencrypted across the internet",
      "Use the tunnel's https address.",
    );
  return url.toString().replace(/\/+$/, "");
}

/** Calls `print` for a refusal at most once per reason every 10 s, with how many were not printed. */
function throttled<T extends { reason: string }>(now: () => number, print: (info: T, more: number) => void) {
  const last = new Map<string, { at: number; skipped: number }>();
  return (info: T) => {
    const seen = last.get(info.reason);
    const t = now();
    if (seen && t - seen.at < 10_000) {
      seen.skipped++;
      return;
    }
    last.set(info.reason, { at: t, skipped: 0 });
    print(info, seen?.skipped ?? 0);
  };
}
