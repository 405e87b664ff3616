import { lstat } from "node:fs/promises";
import { redact, type Transaction } from "@monzokit/core";
import type { Io } from "../io.js";
import { MirrorBusyError } from "../mirror/errors.js";
import { addTransactionToMirror } from "../mirror/event.js";
import { printable } from "../output/printable.js";

/** Whether `path` holds a mirror to add events to (a non-empty file: `monzo sync` has made it). */
export async function mirrorExists(path: string): Promise<boolean> {
  const s = await lstat(path).catch(() => undefined);
  return s?.isFile() === true && s.size > 0;
}

/** Adds the transactions of `webhooks listen` to a mirror, one at a time, waiting out a running sync. */
export interface MirrorWriter {
  /**
   * Adds `tx` (or queues it while a sync holds the mirror). Resolves when it is written or queued, or after
   * `answerWithinMs` at most, so Monzo's delivery is answered in time whatever the mirror does.
   */
  add(tx: Transaction): Promise<void>;
  /** Stops retrying; one last try for what still waits, and says what was left for the next sync. */
  close(): Promise<void>;
}

/**
 * A writer for `webhooks listen`: each new transaction goes into the mirror at once when no sync holds it,
 * else waits in memory and is retried every `retryMs` until the sync has finished. Nothing the mirror does
 * makes Monzo deliver the event again (the event was shown; a sync reads the transaction anyway): a
 * failure is said once on stderr, and the next sync adds what was missed.
 */
export function mirrorWriter(options: {
  io: Io;
  path: string;
  quiet: boolean;
  retryMs?: number;
  answerWithinMs?: number;
}): MirrorWriter {
  const { io, path } = options;
  const retryMs = options.retryMs ?? 2000;
  const answerWithinMs = options.answerWithinMs ?? 1000;
  const chatter = (text: string) => {
    if (!options.quiet) io.err(text);
  };
  const said = new Set<string>();
  const once = (key: string, print: () => void) => {
    if (said.has(key)) return;
    said.add(key);
    print();
  };
  const waiting = new Map<string, Transaction>();
  let chain: Promise<void> = Promise.resolve();
  /** Runs `step` after the ones before it; the chain never rejects, so one failure stops nothing after it. */
  const then = (step: () => Promise<void>): Promise<void> => {
    chain = chain.then(step).catch((error: unknown) => {
      io.err(`Could not add an event to the mirror: ${printable(redact(String(error)))}\n`);
    });
    return chain;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  /** One try: false only when a sync holds the mirror. */
  const write = async (tx: Transaction): Promise<boolean> => {
    try {
      const result = await addTransactionToMirror({ db: path, transaction: tx, now: io.now });
      if (result === "unknown-account")
        once(`account ${tx.account_id}`, () =>
          chatter(
            `note: account ${printable(String(tx.account_id))} is not in the mirror yet: its events go in once monzo sync has mirrored it.\n`,
          ),
        );
      return true;
    } catch (error) {
      if (error instanceof MirrorBusyError) return false;
      const message = printable(redact(String((error as Error).message)));
      once(`error ${message}`, () =>
        io.err(
          `Could not add ${printable(tx.id)} to the mirror ${path} (${message}); the next monzo sync adds it.\n`,
        ),
      );
      return true;
    }
  };
  /** Writes what waits, oldest first; false when a sync still holds the mirror. */
  const flush = async (): Promise<boolean> => {
    for (const [id, tx] of waiting) {
      if (!(await write(tx))) return false;
      waiting.delete(id);
    }
    return true;
  };
  const schedule = () => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void then(async () => {
        const queued = waiting.size;
        if (!(await flush())) schedule();
        else if (queued > 0)
          chatter(
            `The sync has finished: ${queued} waiting event${queued === 1 ? " is" : "s are"} in the mirror.\n`,
          );
      });
    }, retryMs);
    // Waiting to retry never keeps the process alive on its own.
    timer.unref?.();
  };

  return {
    add(tx) {
      const done = then(async () => {
        // Behind others that wait, or refused now: wait too, in order.
        if (waiting.size === 0 && (await write(tx))) return;
        waiting.set(tx.id, tx);
        once("busy", () =>
          chatter("A monzo sync is writing the mirror: events wait here and go in when it has finished.\n"),
        );
        schedule();
      });
      let deadline: ReturnType<typeof setTimeout> | undefined;
      return Promise.race([
        done,
        new Promise<void>((resolve) => {
          deadline = setTimeout(resolve, answerWithinMs);
          deadline.unref?.();
        }),
      ]).finally(() => clearTimeout(deadline));
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await chain;
      if (waiting.size > 0 && (await flush())) return;
      if (waiting.size > 0)
        io.err(
          `${waiting.size} event${waiting.size === 1 ? " was" : "s were"} not added to the mirror: a monzo sync was writing it. The next monzo sync reads ${waiting.size === 1 ? "it" : "them"}.\n`,
        );
    },
  };
}
