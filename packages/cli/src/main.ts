import { type CommandDef, renderUsage, runCommand } from "citty";
import { setIo } from "./context.js";
import { describeError, EXIT, exitCodeFor, UsageError } from "./errors.js";
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
    load: async () => (await import("./commands/local.js")).emulator as unknown as CommandDef,
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
  const debug = argv.includes("--debug");
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.out(HELP);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === "--version" || name === "-v") {
      io.out(`${VERSION}\n`);
      return EXIT.ok;
    }
    const entry = COMMANDS[name];
    if (!entry)
      throw new UsageError(
        `Unknown command "${name}"`,
        `Run monzo --help for the list (${Object.keys(COMMANDS).join(", ")}).`,
      );
    const command = await entry.load();
    if (rest.includes("--help") || rest.includes("-h")) {
      const { cmd, parent } = await resolveSub(command, rest);
      io.out(`${(await renderUsage(cmd, parent)).replace(/\u001b\[[0-9;]*m/g, "")}\n`);
      return EXIT.ok;
    }
    await checkArgs(command, rest, name);
    await runCommand(command, { rawArgs: rest });
    return EXIT.ok;
  } catch (error) {
    io.err(describeError(error, debug, loginCommand(argv, io.env)));
    return exitCodeFor(error);
  }
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
  const first = rest.find((a) => !a.startsWith("-"));
  if (subs && first && subs[first])
    return { cmd: (await resolve(subs[first])) as unknown as CommandDef, parent: command };
  return { cmd: command };
}

/** Commands that take any number of words after their positionals (`annotate TX key=value …`). */
const TAKES_REST = new Set(["transactions annotate"]);

/** Unknown flags, missing positionals and unknown subcommands become usage errors with the fix. */
async function checkArgs(command: CommandDef, rest: string[], path: string): Promise<void> {
  const subs = await resolve(command.subCommands);
  if (subs && Object.keys(subs).length > 0 && !command.run) {
    const first = rest.find((a) => !a.startsWith("-"));
    if (!first)
      throw new UsageError(`monzo ${path} needs a subcommand`, `One of: ${Object.keys(subs).join(", ")}.`);
    if (!subs[first])
      throw new UsageError(
        `Unknown subcommand "${first}" for monzo ${path}`,
        `One of: ${Object.keys(subs).join(", ")}.`,
      );
    return checkArgs(
      (await resolve(subs[first])) as unknown as CommandDef,
      rest.slice(rest.indexOf(first) + 1),
      `${path} ${first}`,
    );
  }
  if (subs && rest[0] && subs[rest[0]])
    return checkArgs(
      (await resolve(subs[rest[0]])) as unknown as CommandDef,
      rest.slice(1),
      `${path} ${rest[0]}`,
    );
  const args = ((await resolve(command.args)) ?? {}) as Record<
    string,
    { type?: string; alias?: string | string[]; required?: boolean }
  >;
  const known = new Set<string>();
  for (const [key, def] of Object.entries(args)) {
    known.add(key);
    if (def.type === "boolean") known.add(`no-${key}`);
    for (const alias of [def.alias ?? []].flat()) known.add(alias);
  }
  for (const arg of rest) {
    if (arg === "--") break;
    const m = /^--?([^=]+)/.exec(arg);
    if (m && arg.startsWith("-") && !/^-\d/.test(arg) && !known.has(m[1]!)) {
      throw new UsageError(
        `Unknown option ${arg.split("=")[0]} for monzo ${path}`,
        `Run monzo ${path} --help for its options.`,
      );
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

/** The positional words of `rest`, skipping options and the values of string options. */
function positionalsOf(
  rest: string[],
  args: Record<string, { type?: string; alias?: string | string[] }>,
): string[] {
  const stringOptions = new Set<string>();
  for (const [key, def] of Object.entries(args))
    if (def.type === "string") for (const name of [key, ...[def.alias ?? []].flat()]) stringOptions.add(name);
  const words: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--") {
      words.push(...rest.slice(i + 1));
      break;
    }
    if (arg.startsWith("-") && arg !== "-" && !/^-\d/.test(arg)) {
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
