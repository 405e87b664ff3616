import { MonzoClient, type TokenSet } from "@monzokit/core";
import { defineCommand } from "citty";
import { io } from "../context.js";
import { UsageError } from "../errors.js";
import { exportHistory, formatFromPath } from "../export.js";
import { login, loginThroughBroker, waitForAppApproval } from "../login/flow.js";
import { checkTokenStore, openSession, pickAccount, whereTokensWent } from "../session.js";
import { KeychainTokenStore } from "../store/keychain.js";
import { commonArgs, flag, globalFlags } from "./common.js";

export default defineCommand({
  meta: {
    name: "login",
    description: "Log in to Monzo (browser + local callback, --manual paste, or --access-token)",
  },
  args: {
    ...commonArgs,
    "client-id": { type: "string", description: "OAuth client id; env MONZO_CLIENT_ID" },
    "client-secret": { type: "string", description: "OAuth client secret; env MONZO_CLIENT_SECRET" },
    "redirect-uri": {
      type: "string",
      description: "Registered redirect URI (default http://localhost:6600/callback)",
    },
    "auth-url": { type: "string", description: "Login page base URL; env MONZO_AUTH_URL" },
    port: { type: "string", description: "Listen on this port instead of the redirect URI's" },
    manual: {
      type: "boolean",
      description: "No local server: paste the address the browser lands on (SSH, containers)",
    },
    browser: {
      type: "boolean",
      default: true,
      description: "Open the browser (--no-browser only prints the URL)",
    },
    "access-token": {
      type: "string",
      description: "Store a short-lived token from Monzo's API playground instead",
    },
    broker: {
      type: "string",
      description:
        "Log in through a Monzokit broker at this URL (no client secret here); env MONZO_BROKER_URL",
    },
    "export-history": {
      type: "string",
      description: "Right after approval, export the whole history to this file (.csv/.json/.ndjson)",
    },
    wait: {
      type: "boolean",
      default: true,
      description: "Wait for approval in the Monzo app (--no-wait skips)",
    },
    timeout: {
      type: "string",
      description: "Seconds to wait for the browser and for approval (default 300)",
    },
  },
  async run({ args }) {
    const t = io();
    const flags = globalFlags(args);
    const session = await openSession(t, flags);
    const timeout = flag(args, "timeout");
    if (timeout !== undefined && !/^\d+$/.test(timeout))
      throw new UsageError(`--timeout must be a number of seconds, not "${timeout}"`, "E.g. --timeout 120.");
    const timeoutMs = (timeout ? Number(timeout) : 300) * 1000;
    const port = flag(args, "port");
    if (port !== undefined && !(/^\d+$/.test(port) && Number(port) > 0 && Number(port) < 65536))
      throw new UsageError(`--port must be 1–65535, not "${port}"`, "E.g. --port 6600.");

    await checkTokenStore(session);
    const playground = flag(args, "access-token") ?? session.settings.accessToken;
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
      await session.manager.setTokens(tokens);
      t.err(
        `Stored the access token for ${who.user_id} in ${whereTokensWent(session)}. It expires (playground tokens last hours at most) and cannot be refreshed: run monzo login when it stops working.\n`,
      );
    } else if (
      session.settings.brokerUrl &&
      !(session.settings.clientId && session.settings.clientSecret && !flag(args, "broker"))
    ) {
      tokens = await loginThroughBroker(session, {
        brokerUrl: session.settings.brokerUrl,
        manual: args.manual === true,
        ...(args.manual && !t.interactive ? { pasted: () => readStdinLine() } : {}),
        openBrowser: args.browser !== false,
        port: undefined,
        timeoutMs,
        approvalTimeoutMs: timeoutMs,
        wait: args.wait !== false,
        quiet: flags.quiet === true,
      });
    } else {
      tokens = await login(session, {
        manual: args.manual === true,
        openBrowser: args.browser !== false && args.manual !== true,
        port: port === undefined ? undefined : Number(port),
        timeoutMs,
        approvalTimeoutMs: timeoutMs,
        wait: args.wait !== false,
        quiet: flags.quiet === true,
        ...(args.manual && !t.interactive ? { pasted: () => readStdinLine() } : {}),
      });
    }

    const exportPath = flag(args, "export-history");
    if (exportPath) {
      if (args.wait === false)
        await waitForAppApproval(session, { approvalTimeoutMs: timeoutMs, quiet: flags.quiet === true });
      const account = await pickAccount(session, undefined);
      t.err(
        "Exporting your whole history now, while Monzo allows it (only for 5 minutes after approval; later, only the last 90 days):\n",
      );
      const result = await exportHistory(t, session.client, {
        accountId: account.id,
        path: exportPath,
        format: formatFromPath(exportPath, undefined),
        progress: !flags.quiet,
      });
      t.err(`Exported ${result.count} transactions to ${exportPath}.\n`);
    } else if (t.interactive && args.wait !== false && !playground) {
      // The one moment Monzo allows the whole history: offer it (REFERENCE §2.12).
      t.err(
        "Monzo lets apps read your whole transaction history only in the 5 minutes after approval; after that, only the last 90 days.\n",
      );
      const answer = (await t.prompt("Export your whole history now? [y/N] ")).trim().toLowerCase();
      if (answer === "y" || answer === "yes") {
        const suggested = `monzo-history-${new Date(t.now()).toISOString().slice(0, 10)}.csv`;
        const path = (await t.prompt(`File (.csv, .json or .ndjson) [${suggested}]: `)).trim() || suggested;
        const account = await pickAccount(session, undefined);
        const result = await exportHistory(t, session.client, {
          accountId: account.id,
          path,
          format: formatFromPath(path, undefined),
          progress: true,
        });
        t.err(`Exported ${result.count} transactions to ${path}.\n`);
      } else {
        t.err("Later you can export the last 90 days with: monzo transactions export FILE.csv\n");
      }
    }
    if (flags.json)
      t.out(
        `${JSON.stringify({ user_id: tokens.userId, client_id: tokens.clientId, expires_at: new Date(tokens.expiresAt).toISOString(), token_store: session.store instanceof KeychainTokenStore && session.store.lastSave?.to === "keychain" ? "keychain" : "file", token_file: session.settings.tokenPath })}\n`,
      );
  },
});

async function readStdinLine(): Promise<string> {
  let data = "";
  for await (const chunk of process.stdin) {
    data += chunk;
    if (data.includes("\n")) break;
  }
  return data.split("\n")[0] ?? "";
}
