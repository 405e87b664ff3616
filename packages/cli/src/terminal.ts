import type { Writable } from "node:stream";
import { isCancel, password, spinner, text } from "@clack/prompts";
import { UsageError } from "./errors.js";
import type { LiveLine } from "./io.js";

/**
 * A progress line on a terminal, drawn by @clack/prompts' spinner on `output` (stderr). Anything else
 * written meanwhile calls `suspend` (the line is erased) and `resume` (it is drawn again), so no message
 * ever lands in the middle of a frame. Ctrl+C still interrupts the command: clack's handler ends the line,
 * then the signal is raised again with clack's listener gone.
 */
export function clackLine(
  output: Writable,
  options: { onEnd: () => void },
): LiveLine & { suspend(): void; resume(): void } {
  const s = spinner({
    output,
    withGuide: false,
    onCancel: () => process.kill(process.pid, "SIGINT"),
  });
  let current = "";
  let running = false;
  const end = (how: "stop" | "error", message: string | undefined) => {
    if (!running) return;
    running = false;
    if (message === undefined) s.clear();
    else if (how === "stop") s.stop(message);
    else s.error(message);
    options.onEnd();
  };
  return {
    start(message) {
      current = message;
      running = true;
      s.start(message);
    },
    update(message) {
      current = message;
      s.message(message);
    },
    stop: (message) => end("stop", message),
    fail: (message) => end("error", message),
    suspend() {
      if (running) s.clear();
    },
    resume() {
      if (running) s.start(current);
    },
  };
}

/**
 * Asks one question on the terminal (stderr) with @clack/prompts; a secret is masked as it is typed.
 *
 * @throws {UsageError} when the person cancels (Ctrl+C or Escape)
 */
export async function ask(question: string, options: { secret?: boolean } = {}): Promise<string> {
  const message = question.trim().replace(/:$/, "");
  const answer = options.secret
    ? await password({ message, output: process.stderr, withGuide: false })
    : await text({ message, output: process.stderr, withGuide: false });
  if (isCancel(answer))
    throw new UsageError(
      "Cancelled at the prompt",
      "Nothing more was done; run the command again when ready.",
    );
  return answer ?? "";
}
