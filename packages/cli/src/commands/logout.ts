import { AuthenticationError, logout } from "@monzokit/core";
import { io } from "../context.js";
import { EXIT, StateError } from "../errors.js";
import { printable } from "../output/printable.js";
import { openSession, tokenHome } from "../session.js";
import { type Cmd, globalFlags, helpFor } from "./common.js";

/** `monzo logout`. */
export default function logoutCommand(cmd: Cmd): void {
  helpFor(cmd, [{ run: "monzo logout" }, { run: "monzo logout --profile work" }]);
  cmd.description("Revoke the tokens at Monzo and delete them here").action(async (_opts, command) => {
    const t = io();
    const flags = globalFlags(command.optsWithGlobals());
    const session = await openSession(t, flags);
    const tokens = await session.manager.tokens();
    if (!tokens) {
      t.err(`Not logged in (profile ${session.settings.profile}): nothing to do.\n`);
      return;
    }
    let revoked: "yes" | "already" | { failed: string } = "yes";
    try {
      await logout(tokens.accessToken, { apiUrl: session.settings.apiUrl, fetch: session.fetch });
    } catch (error) {
      // Already invalid at Monzo (expired, evicted): deleting it here is all that is left to do. Anything
      // else (no network, a server error) means Monzo may still accept it: said so, never "revoked".
      revoked = error instanceof AuthenticationError ? "already" : { failed: (error as Error).message };
    }
    const where = await tokenHome(session);
    await session.manager.clear();
    const place = where === "keychain" ? "the OS keychain" : printable(session.settings.tokenPath);
    if (typeof revoked === "object")
      throw new StateError(
        `Deleted from ${place}, but Monzo could not be asked to revoke the token (${printable(revoked.failed)}): it stays valid at Monzo until it expires`,
        "To end it at Monzo now, log in again (a new login replaces it) and run monzo logout with Monzo reachable.",
        EXIT.network,
      );
    if (!flags.quiet)
      t.err(
        `${revoked === "yes" ? "Revoked at Monzo and deleted" : "The token was already invalid at Monzo; deleted"} from ${place}.\n`,
      );
  });
}
