#!/usr/bin/env node
import module from "node:module";

// `monzo --version` answers before loading anything else: start-up time is part of the product.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
  process.stdout.write(`${(await import("./version.js")).VERSION}\n`);
} else {
  // Cache compiled code between runs (Node ≥ 22.1): most of a short command's time is loading modules.
  module.enableCompileCache?.();
  const [{ main }, { processIo }] = await Promise.all([import("./main.js"), import("./io.js")]);
  process.exitCode = await main(argv, processIo());
}
