import type { Io } from "../io.js";
import { jsonText } from "./printable.js";

/** Prints JSON for scripts (`--json`, stable shapes, exact data) or the human rendering. */
export function emit(io: Io, json: boolean, data: unknown, human: () => string): void {
  if (json) io.out(`${jsonText(data, 2)}\n`);
  else io.out(human());
}

/**
 * A command's success message for a person ("Saved …", "Posted to your Monzo feed."): on stdout, or the
 * JSON for scripts with `--json`; nothing at all with `--quiet`, where the exit code says it went well.
 */
export function done(
  io: Io,
  flags: { json?: boolean | undefined; quiet?: boolean | undefined },
  data: unknown,
  human: () => string,
): void {
  if (flags.json) io.out(`${jsonText(data, 2)}\n`);
  else if (!flags.quiet) io.out(human());
}
