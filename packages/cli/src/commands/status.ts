import { type Account, HistoryWindowError, type MonzoClient } from "@monzokit/core";
import { apiOrigin, type LoginRoute, requireLoginApi, routeOf } from "../config/login-route.js";
import { io } from "../context.js";
import { ConfigError, EXIT, StateError, UsageError } from "../errors.js";
import { emit } from "../output/emit.js";
import { printable } from "../output/printable.js";
import { formatInstant, timeZoneFor } from "../output/time.js";
import { openSession, tokenHome } from "../session.js";
import { loadLogin } from "../store/approvals.js";
import { checkToken, type TokenCheck, type TokenState } from "../token-check.js";
import { type Cmd, globalFlags, helpFor } from "./common.js";

const DAY = 86_400_000;
/** Full history is readable for 5 minutes after a login's approval (REFERENCE §2.12). */
const WINDOW_MS = 5 * 60_000;

/** What `monzo status` says of each state, and the exit code that goes with it. */
const STATES: Record<TokenState, { says: string; exit: number }> = {
  live: { says: "live", exit: EXIT.ok },
  expired: { says: "expired: log in again", exit: EXIT.auth },
  revoked: {
    says: "revoked (logged out elsewhere, declined in the Monzo app, or its refresh refused): log in again",
    exit: EXIT.auth,
  },
  evicted: { says: "evicted: a newer login with this app replaced it; log in again", exit: EXIT.auth },
  rejected: {
    says: "rejected: Monzo no longer accepts this token (playground tokens last hours at most); log in again",
    exit: EXIT.auth,
  },
  unknown: { says: "unknown: Monzo could not be asked", exit: EXIT.network },
};

/** How the login was obtained, which decides how it refreshes (config/login-route.ts). */
function routeLine(route: LoginRoute | undefined, clientId: string): string {
  switch (route?.kind) {
    case "broker":
      return `through the broker ${printable(route.brokerUrl)} (refreshes there)`;
    case "client":
      return `with this machine's client ${printable(clientId)} (refreshes with its secret)`;
    case "playground":
      return "a token from Monzo's API playground (cannot be refreshed)";
    default:
      return "not recorded (a token file from an older monzo)";
  }
}

/** The account whose transactions tell whether the full history is readable: the current account. */
function probeAccount(accounts: readonly Account[]): Account | undefined {
  const open = accounts.filter((a) => !a.closed);
  return (
    open.find((a) => a.type === "uk_retail" || a.type === "uk_business") ??
    open.find((a) => a.type === "uk_retail_joint")
  );
}

/**
 * Whether the whole history can be read now: one request reaching 95 days back (limit 1), which Monzo
 * answers only within 5 minutes of an approval (REFERENCE §2.12: otherwise 403 verification_required).
 */
async function fullHistoryNow(
  client: MonzoClient,
  account: Account,
  now: number,
): Promise<boolean | undefined> {
  try {
    await client.transactions.list({ accountId: account.id, since: new Date(now - 95 * DAY), limit: 1 });
    return true;
  } catch (error) {
    if (error instanceof HistoryWindowError) return false;
    return undefined;
  }
}

/** `monzo status`: what Monzo says of this profile's login now, and a non-zero exit when it cannot be used. */
export default function status(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo status" },
    { run: "monzo status --profile work --json" },
    { run: "monzo status --quiet || monzo login", says: "Log in again only when needed" },
  ]);
  cmd
    .description(
      "Profile, user, how it logged in and at which API, whether Monzo accepts the token now, approval, the history window, where tokens live",
    )
    .action(async (_opts, command) => {
      const t = io();
      const flags = globalFlags(command.optsWithGlobals());
      const session = await openSession(t, flags);
      const tokens = await session.manager.tokens();
      const home = await tokenHome(session);
      const zone = timeZoneFor(t.env, flags.utc === true);
      const base = {
        profile: session.settings.profile,
        token_store: home === "none" ? session.settings.tokenStore : home,
        token_file: session.settings.tokenPath,
        api_url: session.settings.apiUrl,
      };
      const login =
        session.settings.profile === "default"
          ? "monzo login"
          : `monzo login --profile ${session.settings.profile}`;
      if (!tokens) {
        if (flags.json) emit(t, true, { ...base, logged_in: false }, () => "");
        throw new ConfigError(`Profile ${base.profile} is not logged in`, `Run ${login}.`);
      }
      // Asking another API than the one that issued the login would hand it the token: said, not asked.
      requireLoginApi(tokens, session.settings);
      // A refresh this machine declines before sending anything (no client secret here, a --broker that is
      // not the login's) leaves Monzo unasked: what is known here is still shown, then that reason.
      let declined: ConfigError | UsageError | undefined;
      const check = await checkToken(tokens, session.client, {
        apiUrl: session.settings.apiUrl,
        fetch: session.fetch,
      }).catch((error: unknown): TokenCheck => {
        if (!(error instanceof ConfigError || error instanceof UsageError)) throw error;
        declined = error;
        return {
          state: tokens.expiresAt <= t.now() ? "expired" : "unknown",
          approval: "unknown",
          problem: error.message,
        };
      });
      // The stored set may have been refreshed by the check: show the one in use now.
      const current = (await session.manager.tokens()) ?? tokens;
      const route = routeOf(current, session.settings.tokenPath);
      const now = t.now();
      let history: { readable: "all" | "89 days" | "unknown" | "not yet"; until: string | null } = {
        readable: check.approval === "pending" ? "not yet" : "unknown",
        until: null,
      };
      const account = check.accounts ? probeAccount(check.accounts) : undefined;
      if (check.state === "live" && check.approval === "approved" && account) {
        const open = await fullHistoryNow(session.client, account, now);
        const seen = await loadLogin(t.env, session.settings.profile);
        const approvedAt =
          seen?.user_id === current.userId && seen.approved_at ? Date.parse(seen.approved_at) : undefined;
        const until =
          open && approvedAt && approvedAt + WINDOW_MS > now
            ? new Date(approvedAt + WINDOW_MS).toISOString()
            : null;
        history = { readable: open === undefined ? "unknown" : open ? "all" : "89 days", until };
      }
      const state = STATES[check.state];
      const expires = new Date(current.expiresAt);
      const data = {
        ...base,
        logged_in: true,
        token: check.state,
        checked: declined === undefined,
        user_id: current.userId,
        client_id: current.clientId,
        login_route: route?.kind ?? null,
        broker_url: route?.kind === "broker" ? route.brokerUrl : null,
        login_api: route?.apiOrigin ?? null,
        expires_at: expires.toISOString(),
        refreshable: Boolean(current.refreshToken),
        scope: current.scope ?? null,
        approval: check.approval,
        full_history_now: history.readable === "all" ? true : history.readable === "89 days" ? false : null,
        full_history_until: history.until,
        ...(check.problem ? { problem: check.problem } : {}),
      };
      const left = history.until ? Math.max(1, Math.round((Date.parse(history.until) - now) / 60_000)) : 0;
      const historyLine =
        history.readable === "all"
          ? history.until
            ? `the whole history, for about ${left} more minute${left === 1 ? "" : "s"} (until ${formatInstant(history.until, zone)}): export it now with monzo transactions export --all FILE`
            : "the whole history, now (Monzo allows it for 5 minutes after a login's approval): export it with monzo transactions export --all FILE"
          : history.readable === "89 days"
            ? "the last 89 days (the whole history is readable only for 5 minutes after a new login is approved)"
            : history.readable === "not yet"
              ? "none until approved; then the whole history for 5 minutes"
              : "unknown";
      emit(t, flags.json === true, data, () =>
        flags.quiet && check.state === "live" && check.approval === "approved"
          ? ""
          : [
              `Profile       ${data.profile}`,
              `User          ${printable(data.user_id)}`,
              `Login         ${routeLine(route, current.clientId)}`,
              `API           ${printable(route?.apiOrigin ?? apiOrigin(data.api_url))}`,
              `Token         ${declined ? `${check.state === "expired" ? "expired" : "expires"} ${formatInstant(data.expires_at, zone)}: not refreshed here, so not checked with Monzo` : `${state.says}${check.state === "live" ? `, expires ${formatInstant(data.expires_at, zone)}${data.refreshable ? " (refreshes automatically)" : " (cannot be refreshed: log in again then)"}` : ""}`}`,
              `Approval      ${check.approval === "approved" ? "approved in the Monzo app" : check.approval === "pending" ? "waiting: open the Monzo app and tap Allow access to your data" : "unknown"}`,
              `History       ${historyLine}`,
              `Tokens in     ${data.token_store === "keychain" ? "the OS keychain" : printable(data.token_file)}`,
              ...(check.problem
                ? [`${declined ? "Not checked" : "Monzo said "}   ${printable(check.problem)}`]
                : []),
              "",
            ].join("\n"),
      );
      // The CLI's own reason (exit 3, or 2 for a flag), with its fix, on stderr under the table.
      if (declined) throw declined;
      if (check.state === "live" && check.approval === "pending")
        throw new StateError(
          "The login is waiting for approval in the Monzo app",
          "Open the Monzo app and tap Allow access to your data; then run monzo status again.",
          EXIT.permission,
        );
      if (state.exit !== EXIT.ok)
        throw new StateError(
          `The login of profile ${base.profile} is ${check.state}`,
          check.state === "unknown"
            ? "Check the network and run monzo status again."
            : `Run ${login} to log in again.`,
          state.exit,
        );
    });
}
