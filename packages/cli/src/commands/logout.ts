import { AuthenticationError, logout, MONZO_API_URL, type TokenSet } from "@monzokit/core";
import { describeSource, judgeEndpoint } from "../config/endpoints.js";
import { apiOrigin, loginApiOf, requireLoginApi } from "../config/login-route.js";
import { io } from "../context.js";
import { EXIT, StateError } from "../errors.js";
import { printable } from "../output/printable.js";
import { openSession, type Session, tokenHome } from "../session.js";
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
    const apiUrl = revocationApi(session, tokens);
    let revoked: "yes" | "already" | { failed: string } = "yes";
    try {
      await logout(tokens.accessToken, { apiUrl, fetch: session.fetch });
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
    // Named after the server that answered: "Monzo" only when it was Monzo's API (the emulator, or a
    // login file whose recorded API was edited, is not Monzo).
    const at = apiOrigin(apiUrl) === apiOrigin(MONZO_API_URL) ? "Monzo" : printable(apiOrigin(apiUrl));
    if (!flags.quiet)
      t.err(
        `${revoked === "yes" ? `Revoked at ${at} and deleted` : `The token was already invalid at ${at}; deleted`} from ${place}.\n`,
      );
  });
}

/**
 * Where the token is revoked: at the API that issued it. A login whose file records another API than this
 * run's (a `MONZO_API_URL` or profile `apiUrl` set since) is revoked there, said in a note — the token goes
 * back to the server that holds it, never to this run's other API — if the host rules let that API be used
 * (Monzo, this machine, or a host `allowHosts` or `--allow-host` names); otherwise its refusal is thrown
 * before anything is sent or deleted. `--api-url` naming another API is the person's explicit choice, and
 * a usage error (as for every command). A file without a recorded API is revoked at this run's API.
 *
 * @throws {UsageError} for `--api-url` naming another API than the login's
 * @throws {ConfigError} when the login's API is a host this run may not send to
 */
function revocationApi(session: Session, tokens: TokenSet): string {
  const { settings } = session;
  const made = loginApiOf(tokens, settings.tokenPath);
  if (made === undefined || made === apiOrigin(settings.apiUrl)) return settings.apiUrl;
  if (settings.sources["apiUrl"] === "flag") requireLoginApi(tokens, settings);
  const where = {
    profile: settings.profile,
    profilePath: settings.profilePath,
    dotenvPath: settings.dotenv.path,
  };
  const judged = judgeEndpoint("apiUrl", made, "login", {
    runAllowed: settings.runAllowHosts,
    profileAllowed: settings.profileAllowHosts,
    ...where,
  });
  if (judged.refusal) throw judged.refusal;
  // --quiet leaves out Monzo's and this machine's API, never another host (as for every endpoint note).
  if (!session.flags.quiet || judged.kind === "other")
    session.io.err(
      `note: this login was made at the API ${printable(made)}, so it is revoked there, not at ${printable(apiOrigin(settings.apiUrl))} (${printable(describeSource("apiUrl", settings.sources["apiUrl"] ?? "default", where))}).\n`,
    );
  return made;
}
