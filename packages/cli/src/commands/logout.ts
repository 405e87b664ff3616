import { logout } from "@monzokit/core";
import { defineCommand } from "citty";
import { io } from "../context.js";
import { openSession, tokenHome } from "../session.js";
import { commonArgs, globalFlags } from "./common.js";

export default defineCommand({
  meta: { name: "logout", description: "Revoke the tokens at Monzo and delete them here" },
  args: { ...commonArgs },
  async run({ args }) {
    const t = io();
    const session = await openSession(t, globalFlags(args));
    const tokens = await session.manager.tokens();
    if (!tokens) {
      t.err(`Not logged in (profile ${session.settings.profile}): nothing to do.\n`);
      return;
    }
    let revoked = true;
    try {
      await logout(tokens.accessToken, { apiUrl: session.settings.apiUrl, fetch: session.fetch });
    } catch {
      // Already invalid at Monzo (expired, evicted): deleting it here is all that is left to do.
      revoked = false;
    }
    const where = await tokenHome(session);
    await session.manager.clear();
    t.err(
      `${revoked ? "Revoked at Monzo and deleted" : "The token was already invalid at Monzo; deleted"} from ${where === "keychain" ? "the OS keychain" : session.settings.tokenPath}.\n`,
    );
  },
});
