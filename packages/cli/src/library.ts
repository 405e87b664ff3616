import type { MonzoClient } from "@monzokit/core";
import { processIo } from "./io.js";
import { openSession, requireTokens } from "./session.js";

/**
 * A ready `MonzoClient` for a saved `monzo login` profile, refreshing (and saving) tokens through the
 * profile's token store (the OS keychain or the 0600 file) and its lock — what pymonzo's `MonzoAPI()` does
 * with its saved tokens.
 *
 * @param profile - default: `MONZO_PROFILE` or "default"
 * @throws {ConfigError} naming `monzo login` when the profile has no tokens
 * @example
 * ```ts
 * import { clientFromProfile } from "@monzokit/cli";
 * const client = await clientFromProfile();
 * console.log(await client.accounts.list());
 * ```
 */
export async function clientFromProfile(profile?: string): Promise<MonzoClient> {
  const session = await openSession(processIo(), profile ? { profile } : {});
  await requireTokens(session);
  return session.client;
}
