import type { Io } from "../io.js";

/** Prints JSON for scripts (`--json`, stable shapes) or the human rendering. */
export function emit(io: Io, json: boolean, data: unknown, human: () => string): void {
  if (json) io.out(`${JSON.stringify(data, null, 2)}\n`);
  else io.out(human());
}
