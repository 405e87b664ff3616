import type { Io } from "./io.js";

/** The terminal the running command talks to (set once by `main`, swapped by tests). */
let current: Io | undefined;

export function setIo(io: Io): void {
  current = io;
}

export function io(): Io {
  if (!current) throw new Error("monzo: io used before main() set it");
  return current;
}
