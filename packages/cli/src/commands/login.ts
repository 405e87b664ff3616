import { MonzoClient, type TokenSet } from "@monzokit/core";
import { apiOrigin, withRoute } from "../config/login-route.js";
import { readSecret, secretInArgv } from "../config/secret-input.js";
import { io } from "../context.js";
import { UsageError } from "../errors.js";
import { checkTarget, exportHistory, formatFromPath } from "../export.js";
import { login, loginThroughBroker, waitForAppApproval } from "../login/flow.js";
import { jsonText, printable } from "../output/printable.js";
import { checkTokenStore, openSession, pickAccount, whereTokensWent } from "../session.js";
import { KeychainTokenStore } from "../store/keychain.js";
import { type Cmd, flag, globalFlags, helpFor, options, withEnv } from "./common.js";

/** `monzo login`: the browser and a local callback, a pasted address, a broker, or a playground token. */
export default function loginCommand(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo login", says: "Browser and local callback; then approve in the Monzo app" },
    { run: "monzo login --manual", says: "Over SSH: paste the address the browser lands on" },
    { run: "monzo login --broker https://broker.example.com", says: "No client secret on this machine" },
    { run: "monzo login --export-history history.csv", says: "Then export the whole history at once" },
    {
      run: 'printf %s "$TOKEN" | monzo login --access-token',
      says: "A playground token from stdin (secrets never go on the command line)",
    },
    { run: "monzo login --sync", says: "Then keep the whole history in the local mirror (monzo sync)" },
  ]);
  cmd
    .description("Log in to Monzo (browser + local callback, --manual paste, a broker, or --access-token)")
    .option("--client-id <id>", withEnv("OAuth client id", "MONZO_CLIENT_ID"))
    .addOption(
      options.secret(
        "--client-secret",
        withEnv("Ask for the OAuth client secret (hidden), or read it from stdin", "MONZO_CLIENT_SECRET"),
      ),
    )
    .option(
      "--redirect-uri <uri>",
      withEnv("Registered redirect URI (default http://localhost:6600/callback)", "MONZO_REDIRECT_URI"),
    )
    .addOption(options.authUrl())
    .option("--port <n>", "Listen on this port instead of the redirect URI's")
    .option("--manual", "No local server: paste the address the browser lands on (SSH, containers)")
    .option("--no-browser", "Only print the login URL; do not open a browser")
    .addOption(
      options.secret(
        "--access-token",
        withEnv(
          "Store a token from Monzo's API playground instead: asked (hidden), or read from stdin",
          "MONZO_ACCESS_TOKEN",
        ),
      ),
    )
    .option(
      "--broker <url>",
      withEnv("Log in through a Monzokit broker at this URL (no client secret here)", "MONZO_BROKER_URL"),
    )
    .option(
      "--export-history <file>",
      "Right after approval, export the whole history to this file (.csv/.json/.ndjson)",
    )
    .option("--sync", "Right after approval, sync the whole history into the local mirror (monzo sync)")
    .option("--no-wait", "Do not wait for approval in the Monzo app")
    .option("--timeout <seconds>", "Seconds to wait for the browser and for approval (default 300)")
    .action(async (opts, command) => {
      const t = io();
      const historyFile = flag(opts.exportHistory);
      // The file is checked before the login, not after it when the 5-minute window is already running.
      if (historyFile) {
        formatFromPath(historyFile, undefined);
        await checkTarget(historyFile, { force: false, resume: false });
      }
      if (typeof opts.clientSecret === "string")
        throw secretInArgv(
          "--client-secret",
          'Run monzo login --client-secret and type it when asked, or pipe it: printf %s "$SECRET" | monzo login --client-secret (or set MONZO_CLIENT_SECRET, or save it once when monzo login asks).',
        );
      if (typeof opts.accessToken === "string")
        throw secretInArgv(
          "--access-token",
          'Run monzo login --access-token and paste it when asked, or pipe it: printf %s "$TOKEN" | monzo login --access-token (or set MONZO_ACCESS_TOKEN).',
        );
      // Read before anything else, so a secret piped in comes before a pasted address (--manual).
      const secret =
        opts.clientSecret === true ? await readSecret(t, "Client secret", "--client-secret") : undefined;
      const typedToken =
        opts.accessToken === true ? await readSecret(t, "Access token", "--access-token") : undefined;
      const flags = {
        ...globalFlags(command.optsWithGlobals()),
        ...(secret ? { clientSecret: secret } : {}),
      };
      const session = await openSession(t, flags);
      const timeout = flag(opts.timeout);
      if (timeout !== undefined && !/^\d+$/.test(timeout))
        throw new UsageError(
          `--timeout must be a number of seconds, not "${timeout}"`,
          "E.g. --timeout 120.",
        );
      const timeoutMs = (timeout ? Number(timeout) : 300) * 1000;
      const port = flag(opts.port);
      if (port !== undefined && !(/^\d+$/.test(port) && Number(port) > 0 && Number(port) < 65536))
        throw new UsageError(`--port must be 1–65535, not "${port}"`, "E.g. --port 6600.");

      await checkTokenStore(session);
      const playground = typedToken ?? session.settings.accessToken;
      let tokens: TokenSet;
      if (playground) {
        const who = await new MonzoClient({
          fetch: session.fetch,
          accessToken: playground,
          apiUrl: session.settings.apiUrl,
        }).whoami();
        // Playground tokens carry no expiry we can read and no refresh token (REFERENCE §2.7).
        tokens = {
          accessToken: playground,
          expiresAt: t.now() + 6 * 3600_000,
          userId: who.user_id,
          clientId: who.client_id,
        };
        // Saved with the API that accepted it: it is sent to no other.
        await session.manager.setTokens(
          withRoute(tokens, { kind: "playground", apiOrigin: apiOrigin(session.settings.apiUrl) }),
        );
        if (!flags.quiet)
          t.err(
            `${printable(`Stored the access token for ${who.user_id} in ${whereTokensWent(session)}.`)} It expires (playground tokens last hours at most) and cannot be refreshed: run monzo login when it stops working.\n`,
          );
      } else if (
        session.settings.brokerUrl &&
        !(session.settings.clientId && session.settings.clientSecret && !flag(opts.broker))
      ) {
        tokens = await loginThroughBroker(session, {
          brokerUrl: session.settings.brokerUrl,
          manual: opts.manual === true,
          ...(opts.manual && !t.interactive ? { pasted: (signal) => t.stdinLine(signal) } : {}),
          openBrowser: opts.browser !== false,
          port: undefined,
          timeoutMs,
          approvalTimeoutMs: timeoutMs,
          wait: opts.wait !== false,
          quiet: flags.quiet === true,
        });
      } else {
        tokens = await login(session, {
          manual: opts.manual === true,
          openBrowser: opts.browser !== false && opts.manual !== true,
          port: port === undefined ? undefined : Number(port),
          timeoutMs,
          approvalTimeoutMs: timeoutMs,
          wait: opts.wait !== false,
          quiet: flags.quiet === true,
          ...(opts.manual && !t.interactive ? { pasted: () => t.stdinLine() } : {}),
        });
      }

      const exportPath = flag(opts.exportHistory);
      // The whole history into the mirror, while Monzo allows it (REFERENCE §2.12): asked for, or offered.
      let mirror: { db: string; added: number } | undefined;
      const syncNow = async () => {
        if (opts.wait === false)
          await waitForAppApproval(session, { approvalTimeoutMs: timeoutMs, quiet: flags.quiet === true });
        const { runSync } = await import("./sync.js");
        const report = await runSync(
          t,
          { ...flags, json: false, quiet: flags.quiet === true || flags.json === true },
          {
            db: undefined,
            fullHistory: true,
            trailingDays: undefined,
            account: undefined,
            wait: "60",
          },
        );
        mirror = { db: report.db, added: report.added };
      };
      if (opts.sync) await syncNow();
      else if (!exportPath && t.interactive && opts.wait !== false && !playground) {
        t.err(
          "Monzo lets apps read your whole transaction history only in the 5 minutes after approval; after that, only the last 90 days.\n",
        );
        const answer = (await t.prompt("Sync everything into your local mirror now (monzo sync)? [Y/n] "))
          .trim()
          .toLowerCase();
        if (answer === "" || answer === "y" || answer === "yes") await syncNow();
        else
          t.err(
            "Later, monzo sync keeps the last 89 days and everything after them; older needs a new login.\n",
          );
      }
      if (exportPath) {
        if (opts.wait === false)
          await waitForAppApproval(session, { approvalTimeoutMs: timeoutMs, quiet: flags.quiet === true });
        const account = await pickAccount(session, undefined);
        if (!flags.quiet)
          t.err(
            "Exporting your whole history now, while Monzo allows it (only for 5 minutes after approval; later, only the last 90 days):\n",
          );
        const result = await exportHistory(t, session.client, {
          accountId: account.id,
          path: exportPath,
          format: formatFromPath(exportPath, undefined),
          progress: !flags.quiet,
        });
        if (!flags.quiet) t.err(`Exported ${result.count} transactions to ${printable(exportPath)}.\n`);
      } else if (t.interactive && opts.wait !== false && !playground) {
        // The one moment Monzo allows the whole history: offer it (REFERENCE §2.12).
        // (Why now was said with the sync offer, or --sync just used the window.)
        const answer = (
          await t.prompt(`${mirror ? "Also export it to a file" : "Export your whole history now"}? [y/N] `)
        )
          .trim()
          .toLowerCase();
        if (answer === "y" || answer === "yes") {
          const suggested = `monzo-history-${new Date(t.now()).toISOString().slice(0, 10)}.csv`;
          let path = "";
          for (let tries = 0; tries < 3 && !path; tries++) {
            const given =
              (await t.prompt(`File (.csv, .json or .ndjson) [${suggested}]: `)).trim() || suggested;
            try {
              formatFromPath(given, undefined);
              await checkTarget(given, { force: false, resume: false });
              path = given;
            } catch (error) {
              if (!(error instanceof UsageError)) throw error;
              t.err(`${printable(error.message)}: ${printable(error.hint ?? "")}\n`);
            }
          }
          if (!path)
            throw new UsageError(
              "No file to export to",
              "Run monzo transactions export FILE --all within 5 minutes.",
            );
          const account = await pickAccount(session, undefined);
          const result = await exportHistory(t, session.client, {
            accountId: account.id,
            path,
            format: formatFromPath(path, undefined),
            progress: true,
          });
          t.err(`Exported ${result.count} transactions to ${printable(path)}.\n`);
        } else if (mirror) {
          t.err(
            "Later you can export any of it from the mirror: monzo transactions export --from-mirror --all FILE.csv\n",
          );
        } else {
          t.err("Later you can export the last 90 days with: monzo transactions export FILE.csv\n");
        }
      }
      if (flags.json)
        t.out(
          `${jsonText({ user_id: tokens.userId, client_id: tokens.clientId, expires_at: new Date(tokens.expiresAt).toISOString(), token_store: session.store instanceof KeychainTokenStore && session.store.lastSave?.to === "keychain" ? "keychain" : "file", token_file: session.settings.tokenPath, ...(mirror ? { mirror } : {}) })}\n`,
        );
    });
}
