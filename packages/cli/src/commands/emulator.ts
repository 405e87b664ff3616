import { Option } from "@commander-js/extra-typings";
import {
  EMULATOR_FLAGS,
  type EmulatorFlagValues,
  EmulatorUsageError,
  startEmulatorFromFlags,
} from "@monzokit/emulator/flags";
import { io } from "../context.js";
import { UsageError } from "../errors.js";
import { type Cmd, helpFor } from "./define.js";

/**
 * `monzo emulator`: `monzo-emulator` under the CLI. Its options are the emulator's own definitions
 * (`EMULATOR_FLAGS`), declared to commander here, and their values go through the same `startEmulatorFromFlags`,
 * so every option, check, message and output is the same. `--json` is the program's own option.
 */
export default function emulator(cmd: Cmd): void {
  helpFor(cmd, [
    { run: "monzo emulator", says: "A local Monzo on port 6601; it prints how to point monzo at it" },
    { run: "monzo emulator --port 7000 --auto-consent --auto-approve 2000" },
    {
      run: "monzo emulator --port 0 --json --fault 503@0.1",
      says: "Any free port, the details as one JSON line, one API call in ten answered 503",
    },
  ]);
  cmd.description(
    "Start the local Monzo emulator (offline development), with every option of monzo-emulator",
  );
  const names: [flag: string, attribute: string][] = [["json", "json"]];
  for (const f of EMULATOR_FLAGS) {
    if (f.name === "json") continue;
    const text = `${f.description.charAt(0).toUpperCase()}${f.description.slice(1)}`;
    const description = f.default === undefined ? text : `${text} (default ${f.default})`;
    const value = f.value ?? "VALUE";
    const option = f.negatable
      ? new Option(`--no-${f.name}`, description)
      : f.type === "string"
        ? new Option(`--${f.name} <${value}>`, description)
        : f.type === "optional"
          ? new Option(`--${f.name} [${value}]`, description)
          : new Option(`--${f.name}`, description);
    if (f.multiple)
      option.argParser((v: string, previous: unknown) => [
        ...(Array.isArray(previous) ? (previous as string[]) : []),
        v,
      ]);
    cmd.addOption(option);
    names.push([f.name, option.attributeName()]);
  }
  cmd.action(async (_opts, command) => {
    const given = command.optsWithGlobals() as Record<string, unknown>;
    const values: Record<string, EmulatorFlagValues[string]> = {};
    for (const [name, attribute] of names) values[name] = given[attribute] as EmulatorFlagValues[string];
    let started: Awaited<ReturnType<typeof startEmulatorFromFlags>>;
    try {
      started = await startEmulatorFromFlags(values);
    } catch (e) {
      if (e instanceof EmulatorUsageError)
        throw new UsageError(e.message, e.hint ?? "Run monzo emulator --help for the options.");
      throw e;
    }
    io().out(started.text);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await started.running.close();
  });
}
