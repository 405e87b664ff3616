import {
  EMULATOR_FLAGS,
  EmulatorUsageError,
  parseEmulatorArgs,
  startEmulatorFromFlags,
} from "@monzokit/emulator/flags";
import { type ArgsDef, defineCommand } from "citty";
import { io } from "../context.js";
import { UsageError } from "../errors.js";

/** Help's view of the emulator's own flag definitions, so `monzo emulator --help` lists what it takes. */
const args = Object.fromEntries(
  EMULATOR_FLAGS.map((f) => {
    const description = `${f.description}${f.default === undefined ? "" : ` (default ${f.default})`}`;
    if (f.type !== "string" && f.type !== "optional")
      return [
        f.name,
        f.negatable
          ? { type: "boolean", default: true, negativeDescription: description }
          : { type: "boolean", description },
      ];
    return [f.name, { type: "string", description, ...(f.value ? { valueHint: f.value } : {}) }];
  }),
) as ArgsDef;

/**
 * `monzo emulator`: `monzo-emulator` under the CLI. Both parse with the emulator's `parseEmulatorArgs` over
 * one set of definitions, so every option, check, message and output is the same.
 */
export const emulator = defineCommand({
  meta: {
    name: "emulator",
    description: "Start the local Monzo emulator (offline development); the options of monzo-emulator",
  },
  args,
  async run({ rawArgs }) {
    const t = io();
    let started: Awaited<ReturnType<typeof startEmulatorFromFlags>>;
    try {
      started = await startEmulatorFromFlags(parseEmulatorArgs(rawArgs).values);
    } catch (e) {
      if (e instanceof EmulatorUsageError)
        throw new UsageError(e.message, "Run monzo emulator --help for the options.");
      throw e;
    }
    t.out(started.text);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await started.running.close();
  },
});
