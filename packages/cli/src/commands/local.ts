import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { defineCommand } from "citty";
import { configDir } from "../config/paths.js";
import { readProfile, resolveSettings, TOKEN_STORES, writeProfile } from "../config/settings.js";
import { io } from "../context.js";
import { UsageError } from "../errors.js";
import { emit } from "../output/emit.js";
import { table } from "../output/format.js";
import { commonArgs, globalFlags } from "./common.js";

export const config = defineCommand({
  meta: {
    name: "config",
    description:
      "Show the settings in effect and where each comes from; set one with: monzo config set KEY VALUE",
  },
  args: { ...commonArgs, "auth-url": { type: "string", description: "Login page base URL" } },
  subCommands: {
    set: defineCommand({
      meta: {
        name: "set",
        description:
          "Save a setting in the profile (clientId, clientSecret, redirectUri, apiUrl, authUrl, brokerUrl, tokenStore)",
      },
      args: {
        ...commonArgs,
        key: { type: "positional", required: true },
        value: { type: "positional", required: true },
      },
      async run({ args }) {
        const t = io();
        const keys = [
          "clientId",
          "clientSecret",
          "redirectUri",
          "apiUrl",
          "authUrl",
          "brokerUrl",
          "tokenStore",
        ] as const;
        const key = String(args.key) as (typeof keys)[number];
        if (!keys.includes(key))
          throw new UsageError(`Unknown setting "${args.key}"`, `Settings: ${keys.join(", ")}.`);
        if (key === "tokenStore" && !(TOKEN_STORES as readonly string[]).includes(String(args.value)))
          throw new UsageError(
            `tokenStore must be one of ${TOKEN_STORES.join(", ")}, not "${args.value}"`,
            "auto uses the OS keychain when there is one, else the 0600 file.",
          );
        const settings = await resolveSettings(t, globalFlags(args));
        const current = await readProfile(t, settings.profile);
        const path = await writeProfile(t, settings.profile, { ...current, [key]: String(args.value) });
        t.err(`Saved ${key} in ${path}.\n`);
      },
    }),
  },
  async run({ args }) {
    const t = io();
    if (args._[0] === "set") return;
    const flags = globalFlags(args);
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
      table(
        Object.entries(shown).map(([k, v]) => ({
          setting: k,
          value: v === null ? "-" : String(v),
          from: s.sources[k] ?? "",
        })),
        ["setting", "value", "from"],
      ),
    );
  },
});

export const profiles = defineCommand({
  meta: { name: "profiles", description: "List profiles (logged-in Monzo users)" },
  args: { ...commonArgs },
  async run({ args }) {
    const t = io();
    const flags = globalFlags(args);
    const dir = configDir(t.env);
    const names = new Set<string>();
    for (const sub of ["profiles", "tokens"]) {
      for (const file of await readdir(join(dir, sub)).catch(() => [] as string[])) {
        if (file.endsWith(".json")) names.add(file.slice(0, -5));
        else if (file.endsWith(".in-keychain")) names.add(file.slice(0, -".in-keychain".length));
      }
    }
    const rows = await Promise.all(
      [...names].sort().map(async (name) => {
        const { openSession } = await import("../session.js");
        const session = await openSession(t, { profile: name });
        const tokens = await session.store.load().catch(() => undefined);
        return {
          profile: name,
          user: tokens?.userId ?? "",
          logged_in: Boolean(tokens),
          expires: tokens ? new Date(tokens.expiresAt).toISOString() : "",
        };
      }),
    );
    emit(t, flags.json === true, rows, () =>
      rows.length
        ? table(
            rows.map((r) => ({ ...r, logged_in: r.logged_in ? "yes" : "no" })),
            ["profile", "user", "logged_in", "expires"],
          )
        : `No profiles yet in ${dir}. Run monzo login.\n`,
    );
  },
});
