import type { Io } from "./io.js";

/** Progress of one long job (an export, the wait for approval), as the terminal allows it to be shown. */
export interface Progress {
  /** The job's current state: redrawn in place on a terminal, never written anywhere else. */
  update(text: string): void;
  /** The job is done: `text`, if any, is its closing line (on every stderr, terminal or not). */
  done(text?: string): void;
  /** The job failed: the line is erased so that the error which follows starts on a clean line. */
  fail(): void;
}

const SILENT: Progress = { update() {}, done() {}, fail() {} };

/**
 * Starts showing a long job's progress on stderr. On a terminal a person watches (`io.live`) it is one
 * line redrawn in place (@clack/prompts' spinner) and always ended before the next message; when stderr is
 * a file or a pipe, or `CI` is set, nothing but the closing line is written (no `\r` frames, one line per
 * milestone); under `--quiet` or `--json` nothing at all.
 */
export async function startProgress(io: Io, text: string, options: { quiet: boolean }): Promise<Progress> {
  if (options.quiet) return SILENT;
  if (!io.live)
    return {
      update() {},
      done(closing) {
        if (closing) io.err(`${closing}\n`);
      },
      fail() {},
    };
  const line = await io.liveLine();
  line.start(text);
  return {
    update: (next) => line.update(next),
    done: (closing) => line.stop(closing),
    fail: () => line.stop(),
  };
}
