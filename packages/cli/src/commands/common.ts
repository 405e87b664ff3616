import type { ArgsDef } from "citty";
import { io } from "../context.js";
import { type GlobalFlags, openSession, requireTokens, type Session } from "../session.js";

/** Flags every command takes. */
export const commonArgs = {
  profile: {
    type: "string",
    description: "Profile to use (several Monzo users side by side); env MONZO_PROFILE",
  },
  json: { type: "boolean", description: "Machine-readable JSON output" },
  quiet: { type: "boolean", alias: "q", description: "Only the essential output" },
  debug: { type: "boolean", description: "Show each request and answer (secrets redacted)" },
  "api-url": {
    type: "string",
    description: "API base URL (default https://api.monzo.com); env MONZO_API_URL",
  },
  "allow-host": {
    type: "string",
    description: "Let these hosts (comma-separated), not Monzo's, receive tokens",
  },
} as const satisfies ArgsDef;

export function globalFlags(args: Record<string, unknown>): GlobalFlags {
  const str = (k: string) => (typeof args[k] === "string" ? (args[k] as string) : undefined);
  return {
    profile: str("profile"),
    json: args["json"] === true,
    csv: args["csv"] === true,
    quiet: args["quiet"] === true,
    debug: args["debug"] === true,
    apiUrl: str("api-url"),
    authUrl: str("auth-url"),
    clientId: str("client-id"),
    clientSecret: str("client-secret"),
    redirectUri: str("redirect-uri"),
    broker: str("broker"),
    allowHost: str("allow-host"),
  };
}

/** A string flag's value, if given. */
export function flag(args: Record<string, unknown>, name: string): string | undefined {
  const v = args[name];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The start of every command that needs a login: the terminal, the flags, an open session with tokens. */
export async function ready(
  args: Record<string, unknown>,
): Promise<{ t: ReturnType<typeof io>; flags: GlobalFlags; session: Session }> {
  const t = io();
  const flags = globalFlags(args);
  const session = await openSession(t, flags);
  await requireTokens(session);
  return { t, flags, session };
}
