import { MonzoError } from "@monzokit/core";

/**
 * The mirror cannot be used as asked: no mirror at the path yet, a file that is not a mirror, a mirror made by a
 * newer Monzokit, or a path another user could tamper with. A person fixes it from the message and hint.
 *
 * @example if (error instanceof MirrorError) console.error(`${error.message}\n${error.hint}`);
 */
export class MirrorError extends MonzoError {}

/**
 * Another `monzo sync` is writing the same mirror right now. Nothing was changed; try again when it ends
 * (or wait for it: `waitMs`, `--wait SECONDS`).
 *
 * @example if (error instanceof MirrorBusyError) setTimeout(retry, 60_000);
 */
export class MirrorBusyError extends MonzoError {
  constructor(path: string, waitedMs: number) {
    super(
      "mirror.busy",
      `Another monzo sync is writing the mirror ${path}${waitedMs > 0 ? ` (waited ${Math.ceil(waitedMs / 1000)} s for it)` : ""}`,
      {
        hint: "Nothing was changed. Run monzo sync again when it has finished, or pass --wait SECONDS to wait for it.",
      },
    );
  }
}

/**
 * `monzo sql` refused a statement: it would write, it is not one statement, or SQLite could not run it.
 *
 * @example if (error instanceof MirrorQueryError) console.error(error.message);
 */
export class MirrorQueryError extends MonzoError {}
