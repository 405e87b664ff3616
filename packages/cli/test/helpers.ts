import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Io } from "../src/io.js";

export async function tempHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), "monzokit-cli-test-"));
}

/** An Io that records output and never touches the real terminal or browser. */
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
    now: Date.now,
    ...overrides,
  };
  return { io, out, err, stdout: () => out.join(""), stderr: () => err.join("") };
}
