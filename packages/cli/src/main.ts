import { Command, CommanderError, Help } from "@commander-js/extra-typings";
import { type Cmd, extraHelpOf, globalOptions, helpFor, negativeNumberError } from "./commands/define.js";
import { setIo } from "./context.js";
import type { Io } from "./io.js";

import { VERSION } from "./version.js";

export { VERSION };

type Define = (cmd: Cmd) => void;

/**
 * A mistake found while parsing, with its fix: main turns it into a `UsageError` (exit 2). Not a
 * `UsageError` itself so that the program, and `monzo --help`, load nothing of the client library.
 */
class ParseMistake extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.hint = hint;
  }
}

/**
 * Every command, with the one line the program's help shows for it. A command's module (its arguments,
 * options, subcommands and action) loads only when that command runs, so `monzo --help` and `monzo balance`
 * never load the code of `login` or `transactions export`.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Define> }> = {
  login: {
    summary: "Log in to Monzo",
    load: async () => (await import("./commands/login.js")).default,
  },
  logout: {
    summary: "Revoke and delete the stored tokens",
    load: async () => (await import("./commands/logout.js")).default,
  },
  status: {
    summary: "Profile, user, token expiry, approval",
    load: async () => (await import("./commands/status.js")).default,
  },
  whoami: {
    summary: "Who the token belongs to",
    load: async () => (await import("./commands/info.js")).whoami,
  },
  accounts: { summary: "List accounts", load: async () => (await import("./commands/info.js")).accounts },
  balance: {
    summary: "Balance and today's spend",
    load: async () => (await import("./commands/info.js")).balance,
  },
  pots: {
    summary: "Pots: list, deposit, withdraw",
    load: async () => (await import("./commands/pots.js")).default,
  },
  transactions: {
    summary: "Transactions: list, get, annotate, export",
    load: async () => (await import("./commands/transactions.js")).default,
  },
  feed: { summary: "Feed items: push", load: async () => (await import("./commands/extras.js")).feed },
  attachments: {
    summary: "Attachments: add, remove",
    load: async () => (await import("./commands/extras.js")).attachments,
  },
  receipts: {
    summary: "Receipts: put, get, delete",
    load: async () => (await import("./commands/extras.js")).receipts,
  },
  webhooks: {
    summary: "Webhooks: list, add, remove, listen",
    load: async () => (await import("./commands/extras.js")).webhooks,
  },
  sync: {
    summary: "Keep a local SQLite mirror of every account",
    load: async () => (await import("./commands/sync.js")).default,
  },
  sql: {
    summary: "Query the mirror (read-only)",
    load: async () => (await import("./commands/sql.js")).default,
  },
  emulator: {
    summary: "Start the local Monzo emulator",
    load: async () => (await import("./commands/emulator.js")).default,
  },
  config: { summary: "Show or set settings", load: async () => (await import("./commands/local.js")).config },
  profiles: { summary: "List profiles", load: async () => (await import("./commands/local.js")).profiles },
};

/**
 * The `monzo` program for one run: the global options, a placeholder per command that its module fills in
 * when the command is chosen, output through `io`, and every parser error turned into a usage error.
 */
export function createProgram(io: Io): Command {
  const program = new Command("monzo")
    .description(`The Monzo developer API from your terminal (Monzokit ${VERSION})`)
    .version(VERSION, "-v, --version", "Print the version")
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      getOutHelpWidth: () => io.columns,
      getErrHelpWidth: () => io.columns,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
      // Errors are thrown (as ParseMistake) and printed once, by main, with their fix.
      outputError: () => {},
    })
    .showSuggestionAfterError(true);
  for (const option of globalOptions()) program.addOption(option);
  program.helpOption("-h, --help", "Show this help").helpCommand(false).configureHelp(HELP);
  helpFor(
    program,
    [
      { run: "monzo login", says: "Log in (browser, then approve in the Monzo app)" },
      { run: "monzo balance" },
      { run: "monzo --json transactions list --limit 5" },
      { run: "monzo help pots deposit", says: "A command's own help, with its examples" },
    ],
    {
      title: "Exit codes (the README says more):",
      items: [
        ["0", "success"],
        ["1", "a bug in Monzokit (run again with --debug and report it)"],
        ["2", "usage: a wrong command, option, argument or amount"],
        ["3", "configuration: not logged in, a missing setting, or a login made at another API"],
        [
          "4-12",
          "Monzo refused the token, permission, not found, rate limited, network, outcome unknown, login failed, mirror busy, Monzo refused the request (no money, locked pot)",
        ],
        ["130", "interrupted (Ctrl+C), after saying what was left"],
        ["141", "stdout closed by its reader (monzo … | head): output stopped, quietly"],
      ],
    },
  );
  prepare(program as unknown as Command);
  for (const [name, entry] of Object.entries(COMMANDS))
    prepare(program.command(name).summary(entry.summary) as unknown as Command);
  program.hook("preSubcommand", (_program, sub) => loadCommand(sub as unknown as Command));
  program.hook("preAction", (_program, action) => refuseClashingOptions(action as unknown as Command));
  // `monzo help pots deposit`: commander's own help command would skip the lazy loading above.
  const help = program
    .command("help")
    .summary("Help for a command: monzo help pots deposit")
    .argument("[command...]", "The command and subcommand")
    .action(async (words) => {
      let target = program as unknown as Command;
      for (const word of words) {
        const next = target.commands.find((c) => c.name() === word) as Command | undefined;
        if (!next)
          throw new ParseMistake(
            `Unknown command "${[...words.slice(0, words.indexOf(word)), word].join(" ")}"`,
            "Run monzo --help for the list of commands.",
          );
        if (target === (program as unknown as Command)) await loadCommand(next);
        target = next;
      }
      target.outputHelp();
    });
  helpFor(help, [{ run: "monzo help transactions export" }]);
  return program as unknown as Command;
}

/** Loads every command's module into `program` (for tests and tools that walk the whole command tree). */
export async function loadAllCommands(program: Command): Promise<void> {
  for (const sub of program.commands) await loadCommand(sub as unknown as Command);
}

/**
 * Help laid out by commander at the terminal's width (`Io.columns`), plus our examples and sections, wrapped
 * the same way; the options every command takes appear under each command without `--version`.
 */
const HELP: Partial<Help> = {
  showGlobalOptions: true,
  // Commander stops wrapping below 40 columns of description; a narrow terminal still needs it.
  minWidthToWrap: 16,
  visibleGlobalOptions(this: Help, cmd) {
    return Help.prototype.visibleGlobalOptions.call(this, cmd).filter((o) => o.long !== "--version");
  },
  formatHelp(this: Help, cmd, helper) {
    const base = Help.prototype.formatHelp.call(this, cmd, helper);
    const extra = extraHelpOf(cmd);
    if (!extra) return base;
    const width = helper.helpWidth ?? 80;
    const lines: string[] = [];
    for (const section of extra.sections) {
      const termWidth = Math.max(...section.items.map(([term]) => term.length));
      lines.push(
        section.title,
        ...section.items.map(([t, d]) => helper.formatItem(t, termWidth, d, helper)),
        "",
      );
    }
    if (extra.examples.length > 0) {
      lines.push("Examples:");
      for (const example of extra.examples) {
        if (example.says)
          lines.push(
            helper
              .boxWrap(`# ${example.says}`, width - 2)
              .replace(/^/gm, "  ")
              .replace(/^ {2}(?!#)/gm, "  # "),
          );
        lines.push(`  ${example.run}`);
      }
      lines.push("");
    }
    return `${base}\n${lines.join("\n")}`;
  },
};

/** Fills in a command's placeholder from its module, once. */
async function loadCommand(sub: Command): Promise<void> {
  const entry = Object.hasOwn(COMMANDS, sub.name()) ? COMMANDS[sub.name()] : undefined;
  if (!entry || loaded.has(sub)) return;
  loaded.add(sub);
  (await entry.load())(sub as unknown as Cmd);
  prepareTree(sub);
}

const loaded = new WeakSet<object>();
const prepared = new WeakSet<Command>();

function prepareTree(cmd: Command): void {
  prepare(cmd);
  for (const sub of cmd.commands) prepareTree(sub as unknown as Command);
}

/**
 * What the parser needs from us on every command: its errors as usage errors with the fix, a group run
 * without its subcommand as an error instead of a help screen on stderr, and the few words commander
 * would take that are mistakes here.
 */
function prepare(cmd: Command): void {
  if (prepared.has(cmd)) return;
  prepared.add(cmd);
  cmd.exitOverride((error) => {
    throw error.exitCode === 0 ? error : fromCommander(error, cmd);
  });
  cmd.addHelpText("before", ({ error }) => {
    // Commander shows the help on stderr when a command that only groups others runs on its own.
    if (error && cmd.commands.length > 0) throw needsSubcommand(cmd);
    return "";
  });
  const parseOptions = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (args: string[]) => {
    refuseAmbiguousWords(cmd, args);
    return parseOptions(args);
  };
}

/**
 * Words commander would accept that are almost always mistakes, so they are usage errors with the fix: a
 * string option followed by another option instead of its value (`--account --json`), a short flag with a
 * value or combined with others (`-q=1`, `-qj`), and a negative number where a leaf command takes words
 * (`-5`; a value that starts with a dash goes after `--`, or after `=` for an option).
 */
function refuseAmbiguousWords(cmd: Command, args: string[]): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return;
    const option = cmd.options.find((o) => o.long === arg || o.short === arg);
    if (option?.required) {
      const value = args[i + 1];
      if (value !== undefined && value.length > 1 && value.startsWith("-"))
        throw new ParseMistake(
          `Option ${arg} needs a value`,
          `Write ${arg} VALUE, or ${arg}=VALUE for a value that starts with a dash.`,
        );
      i++;
      continue;
    }
    if (/^-[^-]./.test(arg)) {
      const short = cmd.options.find((o) => o.short === arg.slice(0, 2));
      if (short && !short.required && !short.optional)
        throw new ParseMistake(
          `Unknown option ${arg}`,
          `A short option stands alone (${short.short}), with no value and not combined with others.`,
        );
    }
    // A negative amount (`-1`, `-£2`, `-.5`) is a word to the commands that take amounts, which say what it means.
    const own =
      cmd.commands.length === 0 && /^-[\d£€$.]/.test(arg) ? negativeNumberError(cmd, arg) : undefined;
    if (own) throw own;
    if (cmd.commands.length === 0 && /^-\d/.test(arg)) {
      throw new ParseMistake(
        `Unknown option ${arg} for ${pathOf(cmd)}`,
        `A value that starts with a dash goes after -- (${pathOf(cmd)} … -- ${arg}).`,
      );
    }
  }
}

/** Options that each pick the output, given together: one must go (`--csv --json`). */
function refuseClashingOptions(cmd: Command): void {
  const values = cmd.optsWithGlobals() as { csv?: unknown; json?: unknown };
  if (values.csv === true && values.json === true)
    throw new ParseMistake(
      `--csv and --json both choose the output of ${pathOf(cmd)}`,
      "Give one of them: --csv for spreadsheets, --json for scripts.",
    );
}

/** `monzo pots deposit`, for messages. */
function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent as Command | null) names.unshift(c.name());
  return names.join(" ");
}

function subcommandNames(cmd: Command): string {
  return cmd.commands
    .map((c) => c.name())
    .filter((n) => n !== "help")
    .join(", ");
}

function needsSubcommand(cmd: Command): ParseMistake {
  if (!cmd.parent) return new ParseMistake("No command given", "Run monzo --help for the list of commands.");
  return new ParseMistake(
    `${pathOf(cmd)} needs a subcommand`,
    `One of: ${subcommandNames(cmd)} (${pathOf(cmd)} --help says what each does).`,
  );
}

/** A parser error as a person's mistake, worded with the command it is about and the way out. */
function fromCommander(error: CommanderError, cmd: Command): ParseMistake {
  const [first = "", second] = error.message.replace(/^error: /, "").split("\n");
  const suggestion = second?.match(/^\(Did you mean (.+)\?\)$/)?.[1];
  const didYouMean = suggestion ? `Did you mean ${suggestion}? ` : "";
  const quoted = first.match(/'([^']*)'/)?.[1] ?? "";
  const path = pathOf(cmd);
  switch (error.code) {
    case "commander.unknownCommand":
      return cmd.parent
        ? new ParseMistake(
            `Unknown subcommand "${quoted}" for ${path}`,
            `${didYouMean}One of: ${subcommandNames(cmd)}.`,
          )
        : new ParseMistake(`Unknown command "${quoted}"`, `${didYouMean}Run monzo --help for the list.`);
    case "commander.unknownOption":
      if (!cmd.parent)
        return new ParseMistake(
          `Unknown option ${quoted} before the command`,
          `${didYouMean}Before the command only the options every command takes may come (--profile, --api-url, --allow-host, --json, --quiet, --debug, --utc); put the rest after it.`,
        );
      if (cmd.commands.length > 0)
        return new ParseMistake(
          `Unknown option ${quoted} before the subcommand of ${path}`,
          `${didYouMean}Put it after the subcommand (one of ${subcommandNames(cmd)}).`,
        );
      return new ParseMistake(
        `Unknown option ${quoted} for ${path}`,
        `${didYouMean}Run ${path} --help for its options.`,
      );
    case "commander.optionMissingArgument": {
      const name = quoted.split(/[ ,]/).find((f) => f.startsWith("--")) ?? quoted;
      return new ParseMistake(
        `Option ${name} needs a value`,
        `Write ${name} VALUE, or ${name}=VALUE for a value that starts with a dash.`,
      );
    }
    case "commander.missingArgument": {
      const wanted = cmd.registeredArguments.slice(cmd.args.length).filter((a) => a.required);
      return new ParseMistake(
        `${path} needs ${wanted.map((a) => a.name().toUpperCase()).join(" and ") || quoted.toUpperCase()}`,
        `Usage: ${path} ${cmd.usage()}`,
      );
    }
    case "commander.excessArguments": {
      const extra = cmd.args[cmd.registeredArguments.length] ?? "";
      if (cmd.commands.length > 0)
        return new ParseMistake(
          `Unknown subcommand "${extra}" for ${path}`,
          `One of: ${subcommandNames(cmd)}; or ${path} on its own.`,
        );
      return new ParseMistake(
        `Unexpected argument "${extra}" for ${path}`,
        cmd.registeredArguments.length > 0
          ? `Usage: ${path} ${cmd.usage()}`
          : `${path} takes only options; run ${path} --help.`,
      );
    }
    case "commander.help":
      return needsSubcommand(cmd);
    default:
      return new ParseMistake(`${first.charAt(0).toUpperCase()}${first.slice(1)}`, `Run ${path} --help.`);
  }
}

/**
 * Runs the CLI with `argv` (without `node` and the script) against `io`; returns the exit code.
 * The test entry: no `process.exit`, nothing global but `io`.
 */
export async function main(argv: string[], io: Io): Promise<number> {
  setIo(io);
  const program = createProgram(io);
  // The command that ran to its end, so a pot move whose message was lost still reports what it did.
  let finished: Command | undefined;
  program.hook("postAction", (_program, action) => {
    finished = action as unknown as Command;
  });
  try {
    if (argv.length === 0) {
      io.out(program.helpInformation());
      return 2; // EXIT.usage
    }
    await program.parseAsync(argv, { from: "user" });
    // Output still on its way to a pipe either arrives or meets a reader that left, before the code is final.
    await io.flush?.();
    // Whatever the command did is done (a pot move and its journal included); only its output was lost. A
    // money move that finished succeeded: a non-zero code would invite a script to retry it, and a retry
    // without its dedupe id moves the money again.
    if (io.stdoutClosed?.aborted && !movedMoney(finished)) return readerLeft(io, program);
    const code = writeErrorCode(io);
    if (code)
      io.err(
        `note: monzo ${finished?.parent?.parent ? `${finished.parent.name()} ` : ""}${finished?.name()} finished${finished?.parent?.name() === "pots" ? " and is in the journal" : ""}; its message could not be written to stdout (${code}).\n`,
      );
    return 0;
  } catch (caught) {
    // --help and --version end the parse with a "success" error.
    await io.flush?.();
    if (caught instanceof CommanderError && caught.exitCode === 0)
      return io.stdoutClosed?.aborted ? readerLeft(io, program) : 0;
    const { describeError, exitCodeFor, StdoutClosedError, UsageError } = await import("./errors.js");
    // A job stopped because its reader left: quiet. Any other failure still says what went wrong, and its
    // exit code (an unknown pot-move outcome, say) matters more than the lost output.
    if (
      io.stdoutClosed?.aborted &&
      (caught instanceof StdoutClosedError ||
        caught === io.stdoutClosed.reason ||
        (caught instanceof Error && caught.name === "AbortError"))
    )
      return readerLeft(io, program);
    const error = caught instanceof ParseMistake ? new UsageError(caught.message, caught.hint) : caught;
    const values = program.opts() as { debug?: boolean; profile?: string };
    io.err(describeError(error, values.debug === true, loginCommand(values.profile, io.env)));
    return exitCodeFor(error);
  }
}

/** The commands whose work is a change (money, Monzo's data, files, the login), not what they print. */
const CHANGES = new Set([
  "login",
  "logout",
  "sync",
  "config set",
  "pots deposit",
  "pots withdraw",
  "transactions annotate",
  "transactions export",
  "feed push",
  "attachments add",
  "attachments remove",
  "receipts put",
  "receipts delete",
  "webhooks add",
  "webhooks remove",
]);

/**
 * Whether `command` ran to its end and its work was a change (a pot move, a webhook added, an export to a
 * file): it succeeded though its message was lost, and a non-zero code would invite a script to do it again.
 * An export to `-` is its output, so cut short it is not done.
 */
function movedMoney(command: Command | undefined): boolean {
  if (!command) return false;
  const path = command.parent?.parent ? `${command.parent.name()} ${command.name()}` : command.name();
  if (!CHANGES.has(path)) return false;
  return !(path === "transactions export" && command.args.includes("-"));
}

/**
 * The end of a run whose stdout reader went away (`monzo … | head`): exit 141, as a shell reports a tool
 * killed by SIGPIPE, so `set -o pipefail` sees that the output did not all arrive; one line under --debug.
 */
function readerLeft(io: Io, program: Command): number {
  const code = writeErrorCode(io);
  if (code) io.err(`error: could not write to stdout (${code}): the output stopped there.\n`);
  else if ((program.opts() as { debug?: boolean }).debug === true)
    io.err("debug: stdout was closed by its reader (EPIPE): output stopped, exit 141\n");
  return 141; // EXIT.stdoutClosed
}

/**
 * Why stdout stopped when no reader chose it (ENOSPC, EIO: said on stderr), as letters, digits and `_`; or
 * undefined when it is fine or its reader left (EPIPE: quiet).
 */
function writeErrorCode(io: Io): string | undefined {
  if (!io.stdoutClosed?.aborted) return undefined;
  const reason = io.stdoutClosed.reason as NodeJS.ErrnoException | undefined;
  const code = typeof reason?.code === "string" ? reason.code : "EPIPE";
  if (code === "EPIPE" || code === "ERR_STREAM_DESTROYED") return undefined;
  return code.replace(/[^A-Z0-9_]/gi, "?").slice(0, 40);
}

/** `monzo login`, with the profile this run used, for error hints. */
function loginCommand(flag: string | undefined, env: Record<string, string | undefined>): string {
  const profile = flag ?? env["MONZO_PROFILE"];
  return profile && profile !== "default" ? `monzo login --profile ${profile}` : "monzo login";
}
