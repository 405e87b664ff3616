/**
 * V8 settings for long streaming jobs (`monzo transactions export`, `monzo sync`): a small young generation and a capped
 * old space make the garbage collector keep up with the allocation churn of parsing tens of thousands of
 * transactions, so a 100,000-transaction export stays under 150 MB instead of growing to ~350 MB (see
 * BENCHMARKS.md). The working set is small and bounded by the look-ahead windows, far below the cap.
 */
export const LOW_MEMORY_NODE_FLAGS = ["--max-semi-space-size=1", "--max-old-space-size=96"];

/** Commands that run as a child with those flags. */
export function wantsLowMemory(argv: string[]): boolean {
  return (
    ((argv[0] === "transactions" && argv[1] === "export") || argv[0] === "sync") &&
    !argv.includes("--help") &&
    !argv.includes("-h")
  );
}
