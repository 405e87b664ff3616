import { type MonzoError, OutcomeUnknownError } from "@monzokit/core";

/**
 * Core's hints speak to programs (`raise timeoutMs`, `retry with the same dedupeId`); a person at the
 * command line needs what to type instead. By error code, so core's wording stays core's and a new hint in
 * core shows as it is until the CLI has a better one. URLs that core would refuse (plain http to another
 * host, "pass allowInsecure") never get that far: the CLI's endpoint check refuses them first, naming the
 * flag or variable they came from (config/endpoints.ts).
 */
const BY_CODE: Record<string, (error: MonzoError, loginCommand: string) => string | undefined> = {
  "network.timeout": () =>
    "Nothing answered in time: check your network connection (and the API URL, if it is not Monzo's), then run the command again.",
  // A pot move sent but not answered (REFERENCE §6.5): the dedupe id makes running it again safe.
  "pots.outcome_unknown": (error) =>
    error instanceof OutcomeUnknownError
      ? `Run the same command again with --dedupe-id ${error.dedupeId}: with the same dedupe id Monzo moves the money at most once. Check the pot's balance (monzo pots list) if unsure.`
      : undefined,
  // Core's "check the id" fits a 404 for an id (REFERENCE §12: a resource that does not exist); with no id
  // in the request, nothing answers at that path (§13: unknown path → 404): the API URL is what is wrong.
  "api.not_found": (error) => {
    const path = /^[A-Z]+ (\S+): 404\b/.exec(error.message)?.[1];
    if (path === undefined || /(?:^|[/?&=])[a-z]+_[0-9A-Za-z]{6,}(?:$|[/?&#])/.test(path)) return undefined;
    return "Nothing answers at that path: check the API URL, which is the API's base address with no path (Monzo's is https://api.monzo.com); monzo config shows the one in use and where it comes from.";
  },
  // Core says "monzo login"; with --profile work that would log in to the default profile.
  "auth.reauthentication_required": (error, loginCommand) =>
    error.hint?.replace(/\bmonzo login\b/g, loginCommand),
};

/**
 * The hint to show a person for `error` at the command line: the CLI's own for the codes above, else
 * core's. `loginCommand` is `monzo login` with this run's `--profile`.
 *
 * @example cliHint(new TimeoutError("GET /accounts: no answer within 30000 ms"), "monzo login")
 */
export function cliHint(error: MonzoError, loginCommand: string): string | undefined {
  return BY_CODE[error.code]?.(error, loginCommand) ?? error.hint;
}
