import { logout } from "@monzokit/core";
import { io } from "../context.js";
import { openSession, tokenHome } from "../session.js";
import { type Cmd, globalFlags, helpFor } from "./common.js";

/** `monzo logout`. */
export default function logoutCommand(cmd: Cmd): void {
  helpFor(cmd, [{ run: "monzo logout" }, { run: "monzo logout --profile work" }]);
  cmd.description("Revoke the tokens at Monzo and delete them here").action(async (_opts, command) => {
    const t = io();
    const session = await openSession(t, globalFlags(command.optsWithGlobals()));
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
  });
}
