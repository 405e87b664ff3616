import { type Command, Option } from "@commander-js/extra-typings";
import { io } from "../context.js";
import { type GlobalFlags, openSession, requireTokens, type Session } from "../session.js";

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

/** The global flags and a command's own options, as the session wants them. */
export function globalFlags(values: Record<string, unknown>): GlobalFlags {
  const str = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  return {
    profile: str("profile"),
    json: values["json"] === true,
    csv: values["csv"] === true,
    quiet: values["quiet"] === true,
    debug: values["debug"] === true,
    utc: values["utc"] === true,
    apiUrl: str("apiUrl"),
    authUrl: str("authUrl"),
    clientId: str("clientId"),
    clientSecret: str("clientSecret"),
    redirectUri: str("redirectUri"),
    broker: str("broker"),
    allowHost: str("allowHost"),
  };
}

/** A string option's value, if given and not empty. */
export function flag(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The start of every command that needs a login: the terminal, the flags, an open session with tokens. */
export async function ready(
  values: Record<string, unknown>,
): Promise<{ t: ReturnType<typeof io>; flags: GlobalFlags; session: Session }> {
  const t = io();
  const flags = globalFlags(values);
  const session = await openSession(t, flags);
  await requireTokens(session);
  return { t, flags, session };
}
