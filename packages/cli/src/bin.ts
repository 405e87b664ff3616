#!/usr/bin/env node
import module from "node:module";

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  // Answers before loading anything else: start-up time is part of the product.
  process.stdout.write(`${(await import("./version.js")).VERSION}\n`);
} else {
  const { LOW_MEMORY_NODE_FLAGS, wantsLowMemory } = await import("./low-memory.js");
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
    module.enableCompileCache?.();
    const [{ main }, { processIo }] = await Promise.all([import("./main.js"), import("./io.js")]);
    process.exitCode = await main(argv, processIo());
  }
}
