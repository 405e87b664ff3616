import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { ensureDataDir, profileDataDir, readDataFile } from "./data-dir.js";

/** What this machine saw of a profile's latest login: when it was made and when it was approved in the app. */
export interface LoginSeen {
  user_id: string;
  /** When the tokens were saved (RFC 3339). */
  login_at: string;
  /** When the CLI saw the approval (within a poll of it), if it did. */
  approved_at: string | null;
}

const file = (env: Record<string, string | undefined>, profile: string) =>
  join(profileDataDir(env, profile), "login.json");

/**
 * Records a new login (and forgets the last one's approval): the full-history window of REFERENCE §2.12
 * belongs to the approval of this login.
 */
export async function recordLogin(
  env: Record<string, string | undefined>,
  profile: string,
  userId: string,
  at: number,
): Promise<void> {
  const seen: LoginSeen = { user_id: userId, login_at: new Date(at).toISOString(), approved_at: null };
  await ensureDataDir(profileDataDir(env, profile));
  await writeFileAtomic(file(env, profile), `${JSON.stringify(seen, null, 2)}\n`);
}

/** Records that this login was approved in the Monzo app, as seen now. */
export async function recordApproval(
  env: Record<string, string | undefined>,
  profile: string,
  userId: string,
  at: number,
): Promise<void> {
  const seen = (await loadLogin(env, profile)) ?? { user_id: userId, login_at: new Date(at).toISOString() };
  if (seen.user_id !== userId) return;
  await ensureDataDir(profileDataDir(env, profile));
  await writeFileAtomic(
    file(env, profile),
    `${JSON.stringify({ ...seen, approved_at: new Date(at).toISOString() }, null, 2)}\n`,
  );
}

/** The latest login this machine saw for the profile, if any (a missing or damaged record is none). */
export async function loadLogin(
  env: Record<string, string | undefined>,
  profile: string,
): Promise<LoginSeen | undefined> {
  // Another user's record would decide what `monzo status` says of the full-history window (N7).
  const path = file(env, profile);
  const dir = profileDataDir(env, profile);
  if (
    !(await lstat(dir).then(
      () => true,
      () => false,
    ))
  )
    return undefined;
  await ensureDataDir(dir);
  const text = await readDataFile(path, "the record of the last login");
  if (text === undefined) return undefined;
  try {
    const seen = JSON.parse(text) as LoginSeen;
    return typeof seen.user_id === "string" && typeof seen.login_at === "string" ? seen : undefined;
  } catch {
    return undefined;
  }
}
