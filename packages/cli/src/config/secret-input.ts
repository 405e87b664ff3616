import { registerSecret } from "@monzokit/core";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";

/**
 * The refusal for a secret typed on the command line: every user of this machine can read a process's
 * arguments (`ps`), and the shell keeps them in its history. By the time this runs the secret is already
 * there, so the message says so and how to pass it instead.
 */
export function secretInArgv(option: string, how: string): UsageError {
  return new UsageError(
    `${option} takes no value: a secret on the command line is visible to every user of this machine (ps) and stays in your shell history`,
    `${how} Then remove it from your shell history (and consider replacing it where it was issued).`,
  );
}

/**
 * Reads a secret without it ever being in argv: asked on the terminal with the input hidden, or, without a
 * terminal, the first line of standard input (`printf %s "$SECRET" | monzo …`). What it reads is masked in
 * every later output of the process (`registerSecret`), whatever it looks like.
 *
 * @throws {UsageError} when nothing was given
 */
export async function readSecret(io: Io, what: string, option: string): Promise<string> {
  const value = (
    io.interactive ? await io.prompt(`${what} (hidden): `, { secret: true }) : await io.stdinLine()
  ).trim();
  registerSecret(value);
  if (!value)
    throw new UsageError(
      `No ${what.toLowerCase()} was given`,
      io.interactive
        ? `Type or paste it when ${option} asks.`
        : `Pipe it to standard input: printf %s "$VALUE" | monzo … ${option}`,
    );
  return value;
}
