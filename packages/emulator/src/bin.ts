#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { EmulatorUsageError, emulatorHelp, parseEmulatorArgs, startEmulatorFromFlags } from "./flags.js";

function fail(message: string, hint = "Run monzo-emulator --help for the options."): never {
  process.stderr.write(`monzo-emulator: ${message}\n${hint}\n`);
  process.exit(2);
}

async function main() {
  let parsed: ReturnType<typeof parseEmulatorArgs>;
  try {
    parsed = parseEmulatorArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof EmulatorUsageError) fail(e.message);
    throw e;
  }
  const { values, help, version } = parsed;
  if (help) {
    process.stdout.write(emulatorHelp("monzo-emulator"));
    return;
  }
  if (version) {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  let started: Awaited<ReturnType<typeof startEmulatorFromFlags>>;
  try {
    started = await startEmulatorFromFlags(values);
  } catch (e) {
    if (e instanceof EmulatorUsageError) fail(e.message, e.hint);
    throw e;
  }
  process.stdout.write(started.text);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!started.json) process.stderr.write(`\nmonzo-emulator: ${signal}, shutting down\n`);
    void started.running.close().then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  process.stderr.write(`monzo-emulator: ${(e as Error).message ?? e}\n`);
  process.exit(1);
});
