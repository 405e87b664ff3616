/**
 * V8 settings for long streaming jobs (`monzo transactions export`, `monzo sync`): a small young generation and a capped
 * old space make the garbage collector keep up with the allocation churn of parsing tens of thousands of
 * transactions, so a 100,000-transaction export stays under 150 MB instead of growing to ~350 MB (see
 * BENCHMARKS.md). The working set is small and bounded by the look-ahead windows, far below the cap.
 */
export const LOW_MEMORY_NODE_FLAGS = ["--max-semi-space-size=1", "--max-old-space-size=96"];

/**
 * The options every command takes (commands/define.ts `globalOptions`) that are followed by a value. They
 * may come before, between or after the command words, so their values are not command words. Listed here,
 * not read from define.ts, because that would load commander before `monzo --version` answers; a test
 * keeps the two in step.
 */
export const GLOBAL_VALUE_OPTIONS = ["--profile", "--api-url", "--allow-host"] as const;

/** The first `count` command words of `argv`, skipping the options every command takes (and their values). */
function commandWords(argv: readonly string[], count: number): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < count; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    if ((GLOBAL_VALUE_OPTIONS as readonly string[]).includes(arg)) i++;
    else if (!arg.startsWith("-")) words.push(arg);
  }
  return words;
}

/**
 * Commands that run as a child with those flags: `transactions export` and `sync`, however the options
 * every command takes surround them (`monzo --profile work --json transactions export f.csv`).
 */
export function wantsLowMemory(argv: readonly string[]): boolean {
  if (argv.includes("--help") || argv.includes("-h")) return false;
  const [command, subcommand] = commandWords(argv, 2);
  return (command === "transactions" && subcommand === "export") || command === "sync";
}
