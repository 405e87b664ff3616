import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Io } from "../src/io.js";

export async function tempHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), "monzokit-cli-test-"));
}

/** Standard input for a fake Io: `text` as if piped in (`printf 'a\nb' | monzo …`), then ended. */
export function stdinOf(text: string): () => Promise<string> {
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  return async () => (lines.shift() ?? "").replace(/\r$/, "");
}

/**
 * An Io that records output and never touches the real terminal, browser or standard input (which is
 * empty, as with `</dev/null`, unless `stdinLine` is given: see `stdinOf`).
 */
export function fakeIo(env: Record<string, string | undefined> = {}, overrides: Partial<Io> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    env,
    cwd: env["PWD_OVERRIDE"] ?? tmpdir(),
    interactive: false,
    columns: 80,
    color: false,
    live: false,
    liveLine: async () => {
      throw new Error("a progress line asked for without a terminal");
    },
    openBrowser: async () => ({ opened: false, reason: "no browser in tests" }),
    prompt: async () => {
      throw new Error("prompted without a terminal");
    },
    stdinLine: stdinOf(""),
    now: Date.now,
    ...overrides,
  };
  return { io, out, err, stdout: () => out.join(""), stderr: () => err.join("") };
}
