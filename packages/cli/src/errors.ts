import {
  AccessDeniedError,
  ApprovalDeclinedError,
  ApprovalRequiredError,
  ApprovalTimeoutError,
  AuthenticationError,
  BrokerLoginExpiredError,
  ConnectionError,
  HistoryWindowError,
  InvalidAmountError,
  InvalidArgumentError,
  InvalidCallbackError,
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
} as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof MirrorBusyError) return EXIT.busy;
  if (error instanceof MirrorQueryError) return EXIT.usage;
  if (error instanceof MirrorError)
    return error.code === "mirror.history_window_closed" ? EXIT.permission : EXIT.config;
  if (
    error instanceof UsageError ||
    error instanceof InvalidArgumentError ||
    error instanceof InvalidAmountError
  )
    return EXIT.usage;
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
