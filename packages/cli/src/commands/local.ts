import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describeSource } from "../config/endpoints.js";
import { apiOrigin, loginApiOf } from "../config/login-route.js";
import { configDir } from "../config/paths.js";
import { readSecret, secretInArgv } from "../config/secret-input.js";
import {
  readProfile,
  resolveSettings,
  type Settings,
  TOKEN_STORES,
  writeProfile,
} from "../config/settings.js";
import { io } from "../context.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { emit } from "../output/emit.js";
import { printable } from "../output/printable.js";
import { renderTable } from "../output/table.js";
import { formatInstant, timeZoneFor } from "../output/time.js";
import { type Cmd, globalFlags, helpFor, withEnv } from "./common.js";

/** The settings `monzo config set` saves in a profile. */
export const SETTING_KEYS = [
  "clientId",
  "clientSecret",
  "redirectUri",
  "apiUrl",
  "authUrl",
  "brokerUrl",
  "tokenStore",
] as const;

const SETTING_HELP: readonly (readonly [(typeof SETTING_KEYS)[number], string])[] = [
  ["clientId", withEnv("your OAuth client's id (oauth2client_…)", "MONZO_CLIENT_ID")],
  ["clientSecret", withEnv("its secret (kept in the 0600 profile file)", "MONZO_CLIENT_SECRET")],
  [
    "redirectUri",
    withEnv(
      "the redirect URL registered for it (default http://localhost:6600/callback)",
      "MONZO_REDIRECT_URI",
    ),
  ],
  ["apiUrl", withEnv("API base URL (default https://api.monzo.com)", "MONZO_API_URL")],
  ["authUrl", withEnv("login page base URL (default https://auth.monzo.com/)", "MONZO_AUTH_URL")],
  ["brokerUrl", withEnv("a Monzokit broker to log in and refresh through", "MONZO_BROKER_URL")],
  [
    "tokenStore",
    withEnv(
      `${TOKEN_STORES.join(" | ")} (default auto: the OS keychain when there is one)`,
      "MONZO_TOKEN_STORE",
    ),
  ],
];

const URL_KEYS = new Set<string>(["redirectUri", "apiUrl", "authUrl", "brokerUrl"]);

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** `monzo config`: the settings in effect; `monzo config set KEY VALUE`. */
export function config(cmd: Cmd): void {
  helpFor(cmd, [{ run: "monzo config" }, { run: "monzo config --profile work --json" }]);
  cmd.description("Show the settings in effect and where each comes from").action(async (_opts, command) => {
    const t = io();
    const flags = globalFlags(command.optsWithGlobals());
    const s = await resolveSettings(t, flags);
    const shown = {
      profile: s.profile,
      clientId: s.clientId ?? null,
      clientSecret: s.clientSecret ? "(set)" : null,
      redirectUri: s.redirectUri,
      apiUrl: s.apiUrl,
      authUrl: s.authUrl,
      brokerUrl: s.brokerUrl ?? null,
      tokenStore: s.tokenStore,
      tokenFile: s.tokenPath,
      profileFile: s.profilePath,
    };
    emit(t, flags.json === true, { ...shown, sources: s.sources }, () =>
      renderTable(
        Object.entries(shown).map(([k, v]) => ({
          setting: k,
          value: v === null ? "-" : String(v),
          from: s.sources[k] ?? "",
        })),
        [
          { key: "setting", shrink: false },
          { key: "value", min: 16 },
          { key: "from", min: 8 },
        ],
        { width: t.columns },
      ),
    );
  });
  const set = cmd
    .command("set")
    .description("Save a setting in the profile")
    .argument("<key>", `One of: ${SETTING_KEYS.join(", ")}`)
    .argument("[value]", "The value to save (clientSecret: none; it is asked for, or read from stdin)")
    .action(async (keyText, given, _opts, command) => {
      const t = io();
      const key = keyText as (typeof SETTING_KEYS)[number];
      if (!SETTING_KEYS.includes(key))
        throw new UsageError(`Unknown setting "${keyText}"`, `Settings: ${SETTING_KEYS.join(", ")}.`);
      if (key === "clientSecret" && given !== undefined)
        throw secretInArgv(
          "config set clientSecret",
          'Run monzo config set clientSecret and type it when asked, or pipe it: printf %s "$SECRET" | monzo config set clientSecret.',
        );
      if (key !== "clientSecret" && given === undefined)
        throw new UsageError(`config set ${key} needs a value`, `E.g. monzo config set ${key} VALUE.`);
      if (URL_KEYS.has(key) && !isHttpUrl(given ?? ""))
        throw new UsageError(
          `${key} must be an http(s) URL, not "${given}"`,
          key === "redirectUri"
            ? "E.g. monzo config set redirectUri http://localhost:6600/callback (as registered for your client)."
            : `E.g. monzo config set ${key} ${key === "authUrl" ? "https://auth.monzo.com/" : key === "brokerUrl" ? "https://broker.example.com" : "https://api.monzo.com"}`,
        );
      if (key === "tokenStore" && !(TOKEN_STORES as readonly string[]).includes(given ?? ""))
        throw new UsageError(
          `tokenStore must be one of ${TOKEN_STORES.join(", ")}, not "${given}"`,
          "auto uses the OS keychain when there is one, else the 0600 file.",
        );
      const settings = await resolveSettings(t, globalFlags(command.optsWithGlobals()));
      const value =
        key === "clientSecret"
          ? await readSecret(t, "Client secret", "monzo config set clientSecret")
          : (given as string);
      const current = await readProfile(t, settings.profile);
      const path = await writeProfile(t, settings.profile, { ...current, [key]: value });
      if (!globalFlags(command.optsWithGlobals()).quiet) t.err(`Saved ${key} in ${printable(path)}.\n`);
    });
  helpFor(
    set,
    [
      { run: "monzo config set tokenStore keychain" },
      { run: "monzo config set redirectUri http://127.0.0.1:6600/callback --profile work" },
      { run: "monzo config set clientSecret", says: "Asked for, hidden (or piped in on stdin)" },
    ],
    { title: "Settings (KEY, its VALUE, and the variable that overrides it):", items: SETTING_HELP },
  );
}

/** `monzo profiles`: every profile, and whether Monzo accepts its token now. */
export function profiles(cmd: Cmd): void {
  helpFor(cmd, [{ run: "monzo profiles" }, { run: "monzo profiles --json" }]);
  cmd
    .description(
      "List profiles and whether each token is live, expired, revoked or unknown (asks Monzo, never refreshes)",
    )
    .action(async (_opts, command) => {
      const t = io();
      const flags = globalFlags(command.optsWithGlobals());
      const dir = configDir(t.env);
      const zone = timeZoneFor(t.env, flags.utc === true);
      const names = new Set<string>();
      for (const sub of ["profiles", "tokens"]) {
        for (const file of await readdir(join(dir, sub)).catch(() => [] as string[])) {
          if (file.endsWith(".json")) names.add(file.slice(0, -5));
          else if (file.endsWith(".in-keychain")) names.add(file.slice(0, -".in-keychain".length));
        }
      }
      const { openSession } = await import("../session.js");
      const { peekToken } = await import("../token-check.js");
      // This run's own profile (--profile, MONZO_PROFILE, else default) is checked as any command would use
      // it: with the endpoints and --allow-host this run names. Every other profile is checked only where its
      // own settings send its token (its saved apiUrl, or Monzo's) under its own allowHosts: a MONZO_API_URL
      // or --api-url meant for one profile never receives the others' tokens.
      const current = await resolveSettings(t, { ...flags, quiet: true }).then(
        (s) => s.profile,
        () => flags.profile ?? (t.env["MONZO_PROFILE"] || "default"),
      );
      const own = { ...t, env: withoutRunSettings(t.env) };
      // One request per logged-in profile, all at once; none refreshes or changes anything.
      const rows = await Promise.all(
        [...names].sort().map(async (name) => {
          try {
            const session =
              name === current
                ? await openSession(t, { ...flags, profile: name, quiet: true })
                : await openSession(own, { profile: name, quiet: true, debug: flags.debug });
            const tokens = await session.store.load();
            if (!tokens)
              return {
                profile: name,
                user: "",
                logged_in: false,
                token: "none",
                note: "not logged in",
                expires: "",
              };
            // Made at another API than the one this profile now names: asking that one would hand it the
            // token. Said, not asked.
            const made = loginApiOf(tokens, session.settings.tokenPath);
            const here = apiOrigin(session.settings.apiUrl);
            if (made !== undefined && made !== here)
              return {
                profile: name,
                user: tokens.userId,
                logged_in: true,
                token: "unknown",
                note: `not asked: made at ${made}; ${usesApi(session.settings)}`,
                expires: new Date(tokens.expiresAt).toISOString(),
              };
            const peek = await peekToken(
              tokens,
              { apiUrl: session.settings.apiUrl, fetch: session.fetch },
              t.now(),
            );
            return {
              profile: name,
              user: tokens.userId,
              logged_in: true,
              token: peek.state,
              note: peek.note ?? "",
              expires: new Date(tokens.expiresAt).toISOString(),
            };
          } catch (error) {
            return {
              profile: name,
              user: "",
              logged_in: false,
              token: "unknown",
              note: (error as Error).message,
              expires: "",
            };
          }
        }),
      );
      emit(t, flags.json === true, rows, () =>
        rows.length
          ? renderTable(
              rows.map(({ logged_in: _, ...r }) => ({
                ...r,
                expires: r.expires ? formatInstant(r.expires, zone) : "",
              })),
              [
                { key: "profile", min: 8 },
                { key: "user", min: 10, drop: 2 },
                { key: "token", shrink: false },
                // A note is read whole (the API a login was made at, where a check failed): on its own
                // line under its profile rather than cut.
                { key: "note", omitEmpty: true, overflow: "below" },
                { key: "expires", shrink: false, drop: 3 },
              ],
              { width: t.columns },
            )
          : `No profiles yet in ${printable(dir)}. Run monzo login.\n`,
      );
    });
}

/**
 * Which API a profile is checked at, and where that came from — said without claiming it changed: a login
 * made with only `MONZO_API_URL` set leaves the profile on Monzo's default all along.
 */
function usesApi(settings: Settings): string {
  const here = apiOrigin(settings.apiUrl);
  const source = settings.sources["apiUrl"] ?? "default";
  switch (source) {
    case "default":
      return `this profile uses ${here} (the default)`;
    case "profile":
      return `this profile uses ${here} (its apiUrl)`;
    default:
      return `this run uses ${here} (${describeSource("apiUrl", source, {
        profile: settings.profile,
        profilePath: settings.profilePath,
        dotenvPath: settings.dotenv.path,
      })})`;
  }
}

/**
 * The environment for checking a profile other than this run's: without the variables that would decide
 * where its token goes or which app it is (the API, login page, broker and redirect URLs, the client, a
 * token, reading `.env`), so only that profile's saved settings and Monzo's defaults apply. Where tokens
 * are kept on this machine (`MONZO_TOKEN_STORE`, `MONZOKIT_HOME`) and the timeout still apply.
 */
function withoutRunSettings(env: Io["env"]): Io["env"] {
  const dropped = new Set([
    "MONZO_API_URL",
    "MONZO_AUTH_URL",
    "MONZO_BROKER_URL",
    "MONZO_REDIRECT_URI",
    "MONZO_CLIENT_ID",
    "MONZO_CLIENT_SECRET",
    "MONZO_ACCESS_TOKEN",
    "MONZO_DOTENV",
    "MONZO_PROFILE",
  ]);
  return Object.fromEntries(Object.entries(env).filter(([name]) => !dropped.has(name)));
}
