#!/usr/bin/env node
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  // Answers before loading anything else: start-up time is part of the product. A reader gone (`| head -c 0`)
  // ends it quietly with exit 141, as every other command (README: Exit codes).
  process.stdout.once("error", () => {
    process.exitCode = 141;
  });
  process.stdout.write(`${(await import("./version.js")).VERSION}\n`);
} else {
  const [{ LOW_MEMORY_NODE_FLAGS, wantsLowMemory }, { setUpCompileCache }] = await Promise.all([
    import("./low-memory.js"),
    import("./compile-cache.js"),
  ]);
  if (wantsLowMemory(argv) && process.env["MONZOKIT_LOW_MEMORY"] !== "1") {
    // Long exports run in a child with memory-bounding V8 flags; signals and the exit code pass through.
    const [{ spawn }, { fileURLToPath }] = await Promise.all([
      import("node:child_process"),
      import("node:url"),
    ]);
    const child = spawn(
      process.execPath,
      [...LOW_MEMORY_NODE_FLAGS, fileURLToPath(import.meta.url), ...argv],
      {
        stdio: "inherit",
        env: { ...process.env, MONZOKIT_LOW_MEMORY: "1" },
      },
    );
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
    child.once("exit", (code, signal) => {
      process.exitCode = code ?? (signal === "SIGINT" ? 130 : 1);
    });
  } else {
    // Cache compiled code between runs (Node ≥ 22.1): most of a short command's time is loading modules.
    // Never in Node's default directory, which every local user shares (docs/security.md §9).
    setUpCompileCache(process.env, (text) => process.stderr.write(text));
    const [{ main }, { processIo }] = await Promise.all([import("./main.js"), import("./io.js")]);
    process.exitCode = await main(argv, processIo());
  }
}
