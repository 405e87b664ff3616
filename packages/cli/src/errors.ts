import {
  AccessDeniedError,
  ApprovalDeclinedError,
  ApprovalRequiredError,
  ApprovalTimeoutError,
  AuthenticationError,
  BadRequestError,
  BrokerLoginExpiredError,
  ConnectionError,
  HistoryWindowError,
  InvalidAmountError,
  InvalidArgumentError,
  InvalidCallbackError,
  MonzoApiError,
  MonzoError,
  NotFoundError,
  OAuthError,
  OutcomeUnknownError,
  PermissionDeniedError,
  RateLimitError,
  ReauthenticationRequiredError,
  redact,
  ServerError,
  StateMismatchError,
  TimeoutError,
  TokenEvictedError,
} from "@monzokit/core";
import { cliHint } from "./hints.js";
import { MirrorBusyError, MirrorError, MirrorQueryError } from "./mirror/errors.js";
import { printable } from "./output/printable.js";

/** A mistake the person can fix: printed as one line with its hint, never with a stack trace. */
export class UsageError extends MonzoError {
  constructor(message: string, hint: string) {
    super("cli.usage", message, { hint });
  }
}

/** Configuration is missing or wrong (no client id, not logged in). */
export class ConfigError extends MonzoError {
  constructor(message: string, hint: string) {
    super("cli.config", message, { hint });
  }
}

/**
 * Monzo understood the request and said no to what it asks — not enough money, a locked pot, a pot with
 * added security: nothing to fix in the command, something to change in the account (exit 12).
 */
export class RefusedError extends MonzoError {
  constructor(message: string, hint: string, cause?: unknown) {
    super("cli.refused", message, { hint, cause });
  }
}

/**
 * A command said what it found (on stdout) and must end with `exit`: `monzo status` of a login Monzo no
 * longer accepts. Its line on stderr names the state and the way out.
 */
export class StateError extends MonzoError {
  readonly exit: number;
  constructor(message: string, hint: string, exit: number) {
    super("cli.state", message, { hint });
    this.exit = exit;
  }
}

/** The person pressed Ctrl+C; what was left behind has been said (exit 130, as shells expect). */
export class InterruptedError extends MonzoError {
  constructor(message: string, hint: string) {
    super("cli.interrupted", message, { hint });
  }
}

/**
 * The reader of stdout went away (`monzo … | head`) and a job whose only product is stdout stopped there:
 * not a failure to explain (nothing is printed), but the output did not all arrive (exit 141, as a shell
 * reports a tool killed by SIGPIPE).
 */
export class StdoutClosedError extends MonzoError {
  constructor() {
    super("cli.stdout_closed", "stdout was closed by its reader", {
      hint: "Nothing to fix: the command that read the output (head, less, …) stopped reading.",
    });
  }
}

/** Documented exit codes, one per class of failure (README: Exit codes). */
export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  config: 3,
  auth: 4,
  permission: 5,
  notFound: 6,
  rateLimited: 7,
  network: 8,
  outcomeUnknown: 9,
  login: 10,
  busy: 11,
  refused: 12,
  stdoutClosed: 141,
  interrupted: 130,
} as const;

/** Parameters the CLI itself fills in: Monzo refusing one of them is a bug in Monzokit, not a mistake. */
const OUR_PARAMS = new Set(["dedupe_id", "type", "limit", "expand", "expand[]"]);

/** What a kind of id looks like, for hints (REFERENCE §1.7: `<prefix>_` + 22 characters, starting 0000). */
const ID_HINTS: [RegExp, string][] = [
  [/account_id$/, "Account ids look like acc_00009237aqC8c5umZmrRdh: monzo accounts lists yours."],
  [
    /^pot_id$/,
    "Pot ids look like pot_00009exampleP0tOxWb: monzo pots list shows yours (or use the pot's name).",
  ],
  [
    /^(transaction_id|external_id|since)$/,
    "Transaction ids look like tx_00008zIcpb1TB4yeIFXMzx and must be this account's: monzo transactions list shows them; --since also takes a time (YYYY-MM-DD or RFC 3339).",
  ],
  [/^webhook_id$/, "Webhook ids look like webhook_0000…: monzo webhooks list shows yours."],
  [
    /^id$/,
    "Attachment ids look like attach_0000…; a transaction's attachments are in monzo transactions get TX --json.",
  ],
  [/url$/, "It must be a full http(s) URL, e.g. https://example.com/page."],
  [/amount$/, "Amounts are positive, e.g. 12.34."],
];

const NOT_FOUND_HINTS: Record<string, string> = {
  "not_found.transaction":
    "No such transaction for this login: ids look like tx_00008zIcpb1TB4yeIFXMzx; monzo transactions list shows yours.",
  "not_found.pot": "No such pot for this login: monzo pots list shows yours.",
  "not_found.account": "No such account for this login: monzo accounts lists yours.",
  "not_found.receipt":
    "No receipt with that external id for this app: it is the external_id your receipt file gave.",
  "not_found.webhook": "No such webhook: monzo webhooks list shows this app's.",
  "not_found.attachment":
    "No such attachment: a transaction's attachments are in monzo transactions get TX --json.",
};

/**
 * How the CLI reads a Monzo error answer caused by what the person asked: the exit code and the fix.
 * Monzo's own code says which parameter it refused (REFERENCE §12.2–12.3); `undefined` leaves the error's
 * class to decide.
 */
export function explainApiError(error: MonzoApiError): { exit: number; hint: string } | undefined {
  const code = error.monzoCode ?? "";
  if (code === "bad_request.insufficient_funds")
    return {
      exit: EXIT.refused,
      hint: "There is not enough money for that: monzo balance shows your balance, monzo pots list each pot's.",
    };
  if (/^forbidden\.pot_locked/.test(code))
    return { exit: EXIT.refused, hint: "The pot is locked: unlock it in the Monzo app first." };
  if (/^forbidden\.pot_added_security/.test(code))
    return {
      exit: EXIT.refused,
      hint: "The pot has added security: Monzo allows withdrawals from it only in the Monzo app.",
    };
  if (code.startsWith("not_found.") && NOT_FOUND_HINTS[code])
    return { exit: EXIT.notFound, hint: NOT_FOUND_HINTS[code] };
  if (!(error instanceof BadRequestError)) return undefined;
  const param = /^bad_request\.(?:bad_param|missing_param)(?:\.bad_param)?\.(.+)$/.exec(code)?.[1];
  if (param !== undefined) {
    if (OUR_PARAMS.has(param)) return undefined;
    // `params[image_url]` (a feed item's) is a URL like any other; `items[0].amount` (a receipt's) is not a pot's amount.
    const name = param.replace(/^params\[(\w+)\]$/, "$1");
    const hint = /[[.]/.test(name) ? undefined : ID_HINTS.find(([pattern]) => pattern.test(name))?.[1];
    return {
      exit: EXIT.usage,
      hint: hint ?? `Monzo refused the value given for ${param}: correct it and run again.`,
    };
  }
  if (code === "bad_request.invalid_json")
    return { exit: EXIT.usage, hint: "The file must hold one JSON object in Monzo's schema." };
  // A refusal that names nothing the person gave may be Monzokit's own fault: exit 1, report it.
  return undefined;
}

/**
 * Whether the cause of a refresh that asks for a new login is Monzo's own refusal: the token endpoint (or a
 * broker passing its answer on) said no to the refresh token (REFERENCE §2.6, §2.13). The other causes —
 * no tokens stored, no refresh token, a refresh of unknown outcome — are not Monzo refusing the login.
 */
function refusedByMonzo(cause: unknown): boolean {
  if (cause instanceof OAuthError) return cause.status >= 400 && cause.status < 500;
  return (
    cause instanceof MonzoError &&
    /bad_refresh_token/.test(String((cause as { monzoCode?: unknown }).monzoCode))
  );
}

/**
 * The exit code for what a command threw (README: Exit codes). A refresh the CLI declined to start (a
 * missing client secret, another API than the login's) arrives as the CLI's own error: core's token manager
 * passes errors marked `refreshNotSent` on as themselves.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof MirrorBusyError) return EXIT.busy;
  if (error instanceof MirrorQueryError) return EXIT.usage;
  if (error instanceof MirrorError)
    return error.code === "mirror.history_window_closed" ? EXIT.permission : EXIT.config;
  if (error instanceof StateError) return error.exit;
  if (error instanceof RefusedError) return EXIT.refused;
  if (error instanceof InterruptedError) return EXIT.interrupted;
  if (error instanceof StdoutClosedError) return EXIT.stdoutClosed;
  // The CLI's own "outcome unknown" for a pot move (money/move.ts) as well as core's.
  if (error instanceof MonzoError && error.code === "pots.outcome_unknown") return EXIT.outcomeUnknown;
  if (error instanceof MonzoApiError) {
    const explained = explainApiError(error);
    if (explained) return explained.exit;
  }
  if (
    error instanceof UsageError ||
    error instanceof InvalidArgumentError ||
    error instanceof InvalidAmountError
  )
    return EXIT.usage;
  // Monzo refused the refresh (the login was revoked, declined in the app, or its chain spent): Monzo
  // refusing the login is exit 4, as `monzo status` reports a revoked login (README: Exit codes).
  if (error instanceof ReauthenticationRequiredError && refusedByMonzo(error.cause)) return EXIT.auth;
  if (error instanceof ConfigError || error instanceof ReauthenticationRequiredError) return EXIT.config;
  if (
    error instanceof AccessDeniedError ||
    error instanceof StateMismatchError ||
    error instanceof InvalidCallbackError ||
    error instanceof OAuthError
  )
    return EXIT.login;
  if (
    error instanceof ApprovalDeclinedError ||
    error instanceof ApprovalTimeoutError ||
    error instanceof BrokerLoginExpiredError
  )
    return EXIT.login;
  if (error instanceof AuthenticationError) return EXIT.auth;
  if (
    error instanceof ApprovalRequiredError ||
    error instanceof HistoryWindowError ||
    error instanceof PermissionDeniedError
  )
    return EXIT.permission;
  if (error instanceof NotFoundError) return EXIT.notFound;
  if (error instanceof RateLimitError) return EXIT.rateLimited;
  if (error instanceof ConnectionError || error instanceof TimeoutError || error instanceof ServerError)
    return EXIT.network;
  if (error instanceof OutcomeUnknownError) return EXIT.outcomeUnknown;
  return EXIT.unexpected;
}

/** One or two lines for a person: what happened, and what to do. Redacted. */
function isUserMistake(error: MonzoError): boolean {
  return (
    error instanceof UsageError ||
    error instanceof RefusedError ||
    error instanceof InterruptedError ||
    error instanceof StateError ||
    (error instanceof MonzoApiError && explainApiError(error) !== undefined) ||
    error instanceof ConfigError ||
    error instanceof InvalidArgumentError ||
    error instanceof InvalidAmountError ||
    error instanceof MirrorError ||
    error instanceof MirrorQueryError ||
    error instanceof MirrorBusyError
  );
}

export function describeError(error: unknown, debug: boolean, loginCommand = "monzo login"): string {
  // Messages carry text from elsewhere (Monzo's error_description, an API's message): never raw escapes.
  if (error instanceof MonzoError) {
    const lines = [`error: ${printable(error.message)}`];
    // Monzo refused the saved token (evicted by a newer login, revoked, invalid): the way back is a login.
    if (error instanceof AuthenticationError)
      lines.push(
        `  → ${error instanceof TokenEvictedError ? "A newer login for this app replaced this one (perhaps one that was interrupted). " : ""}Run ${loginCommand} to log in again.`,
      );
    else if (error instanceof MonzoApiError && explainApiError(error))
      lines.push(`  → ${printable(explainApiError(error)!.hint)}`);
    else {
      const hint = cliHint(error, loginCommand);
      if (hint) lines.push(`  → ${printable(hint)}`);
    }
    // --debug adds the stack where it can help, never to a mistake the person fixes from the message.
    if (debug && error.stack && !isUserMistake(error))
      lines.push(printable(redact(error.stack), { multiline: true }));
    return `${lines.join("\n")}\n`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `error: ${printable(redact(message))}\n  → This is a bug in Monzokit; run again with --debug and report it.\n${debug && error instanceof Error && error.stack ? `${printable(redact(error.stack), { multiline: true })}\n` : ""}`;
}
