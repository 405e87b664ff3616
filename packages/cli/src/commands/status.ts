import { io } from "../context.js";
import { emit } from "../output/emit.js";
import { openSession, tokenHome } from "../session.js";
import { type Cmd, globalFlags, helpFor } from "./common.js";

/** `monzo status`. */
export default function status(cmd: Cmd): void {
  helpFor(cmd, [{ run: "monzo status" }, { run: "monzo status --profile work --json" }]);
  cmd
    .description("Profile, user, token expiry, approval, and where tokens live")
    .action(async (_opts, command) => {
      const t = io();
      const flags = globalFlags(command.optsWithGlobals());
      const session = await openSession(t, flags);
      const tokens = await session.manager.tokens();
      const home = await tokenHome(session);
      const base = {
        profile: session.settings.profile,
        token_store: home === "none" ? session.settings.tokenStore : home,
        token_file: session.settings.tokenPath,
        api_url: session.settings.apiUrl,
      };
      if (!tokens) {
        emit(
          t,
          flags.json === true,
          { ...base, logged_in: false },
          () => `Profile ${base.profile}: not logged in. Run monzo login.\n`,
        );
        return;
      }
      let approval: "approved" | "pending" | "unknown" = "unknown";
      let problem: string | undefined;
      try {
        await session.client.accounts.list();
        approval = "approved";
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "api.approval_required") approval = "pending";
        else problem = (error as Error).message;
      }
      const expires = new Date(tokens.expiresAt);
      const data = {
        ...base,
        logged_in: true,
        user_id: tokens.userId,
        client_id: tokens.clientId,
        expires_at: expires.toISOString(),
        refreshable: Boolean(tokens.refreshToken),
        scope: tokens.scope ?? null,
        approval,
        // Full history only within 5 minutes of approval (REFERENCE §2.12); after that, 90 days.
        history:
          approval === "approved"
            ? "last 90 days (full history only within 5 minutes of a fresh login and approval)"
            : "unavailable until approved",
        ...(problem ? { problem } : {}),
      };
      emit(t, flags.json === true, data, () =>
        [
          `Profile       ${data.profile}`,
          `User          ${data.user_id}`,
          `Token         expires ${data.expires_at}${data.refreshable ? " (refreshes automatically)" : " (cannot be refreshed: log in again then)"}`,
          `Approval      ${approval === "approved" ? "approved in the Monzo app" : approval === "pending" ? "waiting: open the Monzo app and tap Allow access to your data" : "unknown"}`,
          `History       ${data.history}`,
          `Tokens in     ${data.token_store === "keychain" ? "the OS keychain" : data.token_file}`,
          ...(problem ? [`Problem       ${problem}`] : []),
          "",
        ].join("\n"),
      );
    });
}
