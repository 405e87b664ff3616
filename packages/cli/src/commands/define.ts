/**
 * How commands are declared: the options every command takes, the shared ones, help examples. Nothing here
 * loads the session or the client, so the program (`main.ts`) and `monzo --help` stay light.
 */
import { type Command, Option } from "@commander-js/extra-typings";

/**
 * The options every command takes, declared once on the program itself: commander recognises them before
 * or after any command or subcommand name (`monzo --json pots list` = `monzo pots list --json`).
 */
export function globalOptions() {
  return [
    new Option(
      "--profile <name>",
      withEnv("Profile to use (several Monzo users side by side)", "MONZO_PROFILE"),
    ),
    new Option("--json", "Machine-readable JSON output"),
    new Option("-q, --quiet", "Only the essential output: no success messages or notes"),
    new Option("--utc", "Show times in UTC (default: your local time zone, from TZ or the system)"),
    new Option("--debug", "Show each request and answer (secrets redacted)"),
    new Option("--api-url <url>", withEnv("API base URL (default https://api.monzo.com)", "MONZO_API_URL")),
    new Option("--allow-host <hosts>", "Let these hosts (comma-separated), not Monzo's, receive tokens"),
  ] as const;
}

/** What the global options parse to (commander's camelCase names). */
export interface GlobalOptionValues {
  profile?: string;
  json?: true;
  quiet?: true;
  debug?: true;
  utc?: true;
  apiUrl?: string;
  allowHost?: string;
  [key: string]: unknown;
}

/** A command as the program hands it to a command module, to be given its arguments, options and action. */
// biome-ignore lint/complexity/noBannedTypes: commander's own type for "no options of its own yet".
export type Cmd = Command<[], {}, GlobalOptionValues>;

/**
 * The environment variable behind an option, shown in its help. The variable is read by the settings
 * (`config/settings.ts`, through `Io`), never by the parser, so tests and the precedence rules stay in one place.
 */
export function withEnv(description: string, env: string): string {
  return `${description} [env ${env}]`;
}

/** The options several commands share, each defined once here. */
export const options = {
  account: () => new Option("--account <id>", "Account id (default: your one current account)"),
  since: () =>
    new Option("--since <when>", "From this time (RFC 3339 or YYYY-MM-DD) or after this transaction id"),
  before: () => new Option("--before <when>", "Before this time (RFC 3339 or YYYY-MM-DD)"),
  authUrl: () => new Option("--auth-url <url>", withEnv("Login page base URL", "MONZO_AUTH_URL")),
  port: (what: string, fallback: number) => new Option("--port <n>", `${what} (default ${fallback})`),
  /**
   * A secret's option: given alone, the secret is asked for (hidden) or read from stdin. It accepts a value
   * only to refuse it with the reason (`secretInArgv`) — help shows no value, since none belongs there.
   */
  secret: <Flag extends `--${string}`>(flag: Flag, description: string) => {
    const option = new Option(`${flag} [refused]` as `${Flag} [refused]`, description);
    option.flags = flag;
    return option;
  },
};

/** A command line a person can copy, and what it does. */
export interface Example {
  run: string;
  says?: string;
}

/** A section of a command's help beside commander's own: a heading and its items (term, description). */
export interface HelpSection {
  title: string;
  items: readonly (readonly [string, string])[];
}

const extraHelp = new WeakMap<object, { examples: Example[]; sections: HelpSection[] }>();

/** Gives `cmd`'s help its examples (every command has at least one) and any further sections. */
export function helpFor(cmd: object, examples: Example[], ...sections: HelpSection[]): void {
  extraHelp.set(cmd, { examples, sections });
}

/** What `helpFor` gave `cmd`. */
export function extraHelpOf(cmd: object): { examples: Example[]; sections: HelpSection[] } | undefined {
  return extraHelp.get(cmd);
}

const negativeWords = new WeakMap<object, (word: string) => Error | undefined>();

/**
 * What a word like `-1` means to `cmd` (a leaf command where commander would take it for an option): the
 * error to give instead of "unknown option" (`pots deposit Savings -1` → "amounts are positive; use withdraw").
 */
export function onNegativeNumber(cmd: object, explain: (word: string) => Error | undefined): void {
  negativeWords.set(cmd, explain);
}

/** The error `cmd` gives for `word`, if it set one. */
export function negativeNumberError(cmd: object, word: string): Error | undefined {
  return negativeWords.get(cmd)?.(word);
}
