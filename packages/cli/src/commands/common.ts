import { io } from "../context.js";
import { type GlobalFlags, openSession, requireTokens, type Session } from "../session.js";

export type { Cmd, Example, GlobalOptionValues, HelpSection } from "./define.js";
export { helpFor, options, withEnv } from "./define.js";

/** The global flags and a command's own options, as the session wants them. */
export function globalFlags(values: Record<string, unknown>): GlobalFlags {
  const str = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  return {
    profile: str("profile"),
    json: values["json"] === true,
    csv: values["csv"] === true,
    quiet: values["quiet"] === true,
    debug: values["debug"] === true,
    apiUrl: str("apiUrl"),
    allowHost: str("allowHost"),
    authUrl: str("authUrl"),
    clientId: str("clientId"),
    clientSecret: str("clientSecret"),
    redirectUri: str("redirectUri"),
    broker: str("broker"),
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
