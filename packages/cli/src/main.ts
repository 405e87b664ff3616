import { type CommandDef, renderUsage, runCommand } from "citty";
import { setIo } from "./context.js";
import { ConfigError, describeError, EXIT, exitCodeFor, UsageError } from "./errors.js";
import type { Io } from "./io.js";

import { VERSION } from "./version.js";

export { VERSION };

/** Commands load only when used, so `monzo --version` starts fast. */
const COMMANDS: Record<string, { description: string; load: () => Promise<CommandDef> }> = {
  login: {
    description: "Log in to Monzo",
    load: async () => (await import("./commands/login.js")).default as unknown as CommandDef,
  },
  logout: {
    description: "Revoke and delete the stored tokens",
    load: async () => (await import("./commands/logout.js")).default as unknown as CommandDef,
  },
  status: {
    description: "Profile, user, token expiry, approval",
    load: async () => (await import("./commands/status.js")).default as unknown as CommandDef,
  },
  whoami: {
    description: "Who the token belongs to",
    load: async () => (await import("./commands/info.js")).whoami as unknown as CommandDef,
  },
  accounts: {
    description: "List accounts",
    load: async () => (await import("./commands/info.js")).accounts as unknown as CommandDef,
  },
  balance: {
    description: "Balance and today's spend",
    load: async () => (await import("./commands/info.js")).balance as unknown as CommandDef,
  },
  pots: {
    description: "Pots: list, deposit, withdraw",
    load: async () => (await import("./commands/pots.js")).default as unknown as CommandDef,
  },
  transactions: {
    description: "Transactions: list, get, annotate, export",
    load: async () => (await import("./commands/transactions.js")).default as unknown as CommandDef,
  },
  feed: {
    description: "Feed items: push",
    load: async () => (await import("./commands/extras.js")).feed as unknown as CommandDef,
  },
  attachments: {
    description: "Attachments: add, remove",
    load: async () => (await import("./commands/extras.js")).attachments as unknown as CommandDef,
  },
  receipts: {
    description: "Receipts: put, get, delete",
    load: async () => (await import("./commands/extras.js")).receipts as unknown as CommandDef,
  },
  webhooks: {
    description: "Webhooks: list, add, remove, listen",
    load: async () => (await import("./commands/extras.js")).webhooks as unknown as CommandDef,
  },
  emulator: {
    description: "Start the local Monzo emulator",
    load: async () =>
      (await import("./commands/emulator.js").catch(emulatorMissing)).emulator as unknown as CommandDef,
  },
  config: {
    description: "Show or set settings",
    load: async () => (await import("./commands/local.js")).config as unknown as CommandDef,
  },
  profiles: {
    description: "List profiles",
    load: async () => (await import("./commands/local.js")).profiles as unknown as CommandDef,
  },
};

const HELP = `monzo — the Monzo developer API from your terminal (Monzokit ${VERSION})

Usage: monzo <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(14)}${c.description}`)
  .join("\n")}

Common options: --profile NAME, --json, --quiet, --debug, --api-url URL
Run monzo <command> --help for a command's options. Exit codes: see the README.
`;

/**
 * Runs the CLI with `argv` (without `node` and the script) against `io`; returns the exit code.
 * The test entry: no `process.exit`, nothing global but `io`.
 */
export async function main(argv: string[], io: Io): Promise<number> {
  setIo(io);
  const end = argv.indexOf("--");
  const options = end === -1 ? argv : argv.slice(0, end);
  const debug = options.includes("--debug");
  try {
    const lead = leadingGlobals(argv, "the command");
    const name = argv[lead.at];
    if (name === undefined && lead.options.length > 0)
      throw new UsageError("No command given", "Run monzo --help for the list of commands.");
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.out(HELP);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === "--version" || name === "-v") {
      io.out(`${VERSION}\n`);
      return EXIT.ok;
    }
    const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!entry)
      throw new UsageError(
        `Unknown command "${name}"`,
        `Run monzo --help for the list (${Object.keys(COMMANDS).join(", ")}).`,
      );
    const command = await entry.load();
    const rest = await withGlobalsLast(command, name, argv.slice(lead.at + 1), lead.options);
    if (options.includes("--help") || options.includes("-h")) {
      const { cmd, parent } = await resolveSub(command, rest);
      io.out(`${(await renderUsage(cmd, parent)).replace(/\u001b\[[0-9;]*m/g, "")}\n`);
      return EXIT.ok;
    }
    if (!OWN_PARSER.has(name)) await checkArgs(command, rest, name);
    await runCommand(command, { rawArgs: rest });
    return EXIT.ok;
  } catch (error) {
    io.err(describeError(error, debug, loginCommand(argv, io.env)));
    return exitCodeFor(error);
  }
}

/** The options every command takes (`commonArgs`), which may also come before its name. */
export const GLOBAL_OPTIONS = {
  boolean: ["json", "quiet", "q", "debug"],
  string: ["profile", "api-url"],
} as const;

/**
 * The options every command takes that `argv` starts with, and the index of the first thing that is not one
 * (a word, `--`, `--help`; `--version` before the command). Any other option there is a usage error naming
 * `before`.
 */
function leadingGlobals(argv: string[], before: string): { options: string[]; at: number } {
  const options: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!isOption(arg) || arg === "--" || arg === "--help" || arg === "-h") break;
    if ((arg === "--version" || arg === "-v") && before === "the command") break;
    const short = !arg.startsWith("--");
    const name = arg.slice(short ? 1 : 2).split("=")[0]!;
    if (
      (GLOBAL_OPTIONS.boolean as readonly string[]).includes(
        short ? name.slice(0, 1) : name.replace(/^no-/, ""),
      )
    ) {
      if (short && (name.length !== 1 || arg.includes("=")))
        throw new UsageError(
          `Unknown option ${arg} before ${before}`,
          `A short option stands alone (-${name.slice(0, 1)}), with no value and not combined with others.`,
        );
      options.push(arg);
    } else if (!short && (GLOBAL_OPTIONS.string as readonly string[]).includes(name)) {
      if (arg.includes("=")) options.push(arg);
      else {
        const value = argv[i + 1];
        if (value === undefined || value.startsWith("--"))
          throw new UsageError(
            `Option ${arg} needs a value`,
            `Write ${arg} VALUE, or ${arg}=VALUE for a value that starts with a dash.`,
          );
        options.push(arg, value);
        i++;
      }
    } else
      throw new UsageError(
        `Unknown option ${arg.split("=")[0]} before ${before}`,
        `Only ${[...GLOBAL_OPTIONS.string.map((o) => `--${o} VALUE`), "--json", "--quiet", "--debug"].join(", ")} may come there; put the rest after ${before}.`,
      );
  }
  return { options, at: i };
}

/**
 * `monzo --profile work pots --json list` means `monzo pots list --profile work --json`: the options every
 * command takes, found before the command's or a subcommand's name, move to the end of the options (before
 * any `--`), where both the check and the parser see them. The parser would otherwise drop them.
 */
async function withGlobalsLast(
  command: CommandDef,
  name: string,
  rest: string[],
  moved: string[],
): Promise<string[]> {
  const path: string[] = [];
  let cmd = command;
  for (;;) {
    const subs = await resolve(cmd.subCommands);
    if (!subs || Object.keys(subs).length === 0) break;
    const lead = leadingGlobals(rest, `the subcommand of monzo ${[name, ...path].join(" ")}`);
    const sub = rest[lead.at];
    if (sub === undefined || !Object.hasOwn(subs, sub)) break;
    moved = [...moved, ...lead.options];
    path.push(sub);
    rest = rest.slice(lead.at + 1);
    cmd = (await resolve(subs[sub])) as unknown as CommandDef;
  }
  if (moved.length === 0) return [...path, ...rest];
  const end = rest.indexOf("--");
  return end === -1
    ? [...path, ...rest, ...moved]
    : [...path, ...rest.slice(0, end), ...moved, ...rest.slice(end)];
}

async function resolve<T>(
  value: T | Promise<T> | (() => T) | (() => Promise<T>) | undefined,
): Promise<T | undefined> {
  return typeof value === "function" ? await (value as () => T | Promise<T>)() : await value;
}

async function resolveSub(
  command: CommandDef,
  rest: string[],
): Promise<{ cmd: CommandDef; parent?: CommandDef }> {
  const subs = await resolve(command.subCommands);
  const first = rest[await subCommandIndex(command, rest)];
  if (subs && first && Object.hasOwn(subs, first))
    return { cmd: (await resolve(subs[first])) as unknown as CommandDef, parent: command };
  return { cmd: command };
}

type ArgDefs = Record<string, { type?: string; alias?: string | string[]; required?: boolean }>;

/**
 * Where the subcommand's name is in `rest`, found exactly as the argument parser finds it: the first word
 * that is neither an option nor the value of a string option, and never after `--`. -1 when there is none.
 */
async function subCommandIndex(command: CommandDef, rest: string[]): Promise<number> {
  const stringOptions = stringOptionsOf(((await resolve(command.args)) ?? {}) as ArgDefs);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--") return -1;
    if (arg.startsWith("-")) {
      if (!arg.includes("=") && stringOptions.has(arg.replace(/^-{1,2}/, ""))) i++;
      continue;
    }
    return i;
  }
  return -1;
}

function stringOptionsOf(args: ArgDefs): Set<string> {
  const names = new Set<string>();
  for (const [key, def] of Object.entries(args))
    if (def.type === "string" || def.type === "enum")
      for (const name of [key, ...[def.alias ?? []].flat()]) names.add(name);
  return names;
}

/**
 * `monzo emulator` needs `@monzokit/emulator`, an optional peer dependency (it and Hono are half an install
 * that only this command uses): without it, say how to add it.
 */
function emulatorMissing(error: unknown): never {
  const e = error as { code?: unknown; message?: unknown };
  if (e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("'@monzokit/emulator'"))
    throw new ConfigError(
      "monzo emulator needs the @monzokit/emulator package, which is not installed",
      "Install it beside the CLI (npm i -g @monzokit/emulator), or run it on its own: npx @monzokit/emulator",
    );
  throw error;
}

/** Commands that parse their own options (with the same definitions as their own bin): no check here. */
const OWN_PARSER = new Set(["emulator"]);

/** Commands that take any number of words after their positionals (`annotate TX key=value …`). */
const TAKES_REST = new Set(["transactions annotate"]);

/** Unknown flags, missing positionals and unknown subcommands become usage errors with the fix. */
async function checkArgs(command: CommandDef, rest: string[], path: string): Promise<void> {
  const subs = await resolve(command.subCommands);
  if (subs && Object.keys(subs).length > 0) {
    // The parser takes the first plain word as the subcommand, whether or not the command runs on its own.
    const at = await subCommandIndex(command, rest);
    const first = rest[at];
    if (first === undefined && !command.run)
      throw new UsageError(
        `monzo ${path} needs a subcommand`,
        `One of: ${Object.keys(subs).join(", ")}${rest.includes("--") ? ", before any --" : ""}.`,
      );
    if (first !== undefined && !Object.hasOwn(subs, first))
      throw new UsageError(
        `Unknown subcommand "${first}" for monzo ${path}`,
        `One of: ${Object.keys(subs).join(", ")}${command.run ? `; or monzo ${path} on its own` : ""}.`,
      );
    if (first !== undefined)
      return checkArgs(
        (await resolve(subs[first])) as unknown as CommandDef,
        rest.slice(at + 1),
        `${path} ${first}`,
      );
  }
  const args = ((await resolve(command.args)) ?? {}) as ArgDefs;
  const known = new Set<string>();
  for (const [key, def] of Object.entries(args)) {
    known.add(key);
    if (def.type === "boolean") known.add(`no-${key}`);
    for (const alias of [def.alias ?? []].flat()) known.add(alias);
  }
  const stringOptions = stringOptionsOf(args);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--") break;
    if (!isOption(arg)) continue;
    const short = !arg.startsWith("--");
    const name = arg.slice(short ? 1 : 2).split("=")[0]!;
    if (short && (name.length !== 1 || arg.includes("=")) && known.has(name.slice(0, 1)))
      throw new UsageError(
        `Unknown option ${arg} for monzo ${path}`,
        `A short option stands alone (-${name.slice(0, 1)}), with no value and not combined with others.`,
      );
    if (!known.has(name))
      throw new UsageError(
        `Unknown option ${arg.split("=")[0]} for monzo ${path}`,
        /^-\d/.test(arg)
          ? `A value that starts with a dash goes after -- (monzo ${path} … -- ${arg}).`
          : `Run monzo ${path} --help for its options.`,
      );
    if (stringOptions.has(name) && !arg.includes("=")) {
      const value = rest[i + 1];
      if (
        value === undefined ||
        value.startsWith("--") ||
        (isOption(value) && known.has(value.replace(/^-/, "")))
      )
        throw new UsageError(
          `Option ${arg} needs a value`,
          `Write ${arg} VALUE, or ${arg}=VALUE for a value that starts with a dash.`,
        );
      i++;
    }
  }
  const declared = Object.entries(args).filter(([, d]) => d.type === "positional");
  const positionals = declared.filter(([, d]) => d.required);
  const given = positionalsOf(rest, args);
  if (given.length < positionals.length) {
    const missing = positionals.slice(given.length).map(([k]) => k.toUpperCase());
    throw new UsageError(
      `monzo ${path} needs ${missing.join(" and ")}`,
      `Usage: monzo ${path} ${positionals.map(([k]) => k.toUpperCase()).join(" ")}`,
    );
  }
  // A word the command does not take is a mistake, not something to ignore (or, next to subcommands, a
  // subcommand that does not exist).
  const extra = TAKES_REST.has(path) ? undefined : given[declared.length];
  if (extra !== undefined) {
    if (subs && Object.keys(subs).length > 0)
      throw new UsageError(
        `Unknown subcommand "${extra}" for monzo ${path}`,
        `One of: ${Object.keys(subs).join(", ")}; or monzo ${path} on its own.`,
      );
    throw new UsageError(
      `Unexpected argument "${extra}" for monzo ${path}`,
      declared.length > 0
        ? `Usage: monzo ${path} ${declared.map(([k]) => k.toUpperCase()).join(" ")}`
        : `monzo ${path} takes only options; run monzo ${path} --help.`,
    );
  }
}

/**
 * An option rather than a word, as the parser sees it: anything that starts with a dash but `-` itself. A
 * word that starts with a dash (`-5`) goes after `--`.
 */
function isOption(arg: string): boolean {
  return arg.startsWith("-") && arg !== "-";
}

/** The positional words of `rest`, skipping options and the values of string options. */
function positionalsOf(rest: string[], args: ArgDefs): string[] {
  const stringOptions = stringOptionsOf(args);
  const words: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--") {
      words.push(...rest.slice(i + 1));
      break;
    }
    if (isOption(arg)) {
      const name = arg.replace(/^--?/, "").split("=")[0]!;
      if (!arg.includes("=") && stringOptions.has(name)) i++;
      continue;
    }
    words.push(arg);
  }
  return words;
}

/** `monzo login`, with the profile this run used, for error hints. */
function loginCommand(argv: string[], env: Record<string, string | undefined>): string {
  let profile = env["MONZO_PROFILE"];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--profile" && argv[i + 1] !== undefined) profile = argv[i + 1];
    else if (arg.startsWith("--profile=")) profile = arg.slice("--profile=".length);
  }
  return profile && profile !== "default" ? `monzo login --profile ${profile}` : "monzo login";
}
