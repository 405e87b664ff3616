import { lstat } from "node:fs/promises";
import { MonzoApiError, type MonzoClient, redact, type Transaction } from "@monzokit/core";
import type { Io } from "../io.js";
import { MirrorBusyError } from "../mirror/errors.js";
import { addTransactionToMirror } from "../mirror/event.js";
import { printable } from "../output/printable.js";

/** Whether `path` holds a mirror to add events to (a non-empty file: `monzo sync` has made it). */
export async function mirrorExists(path: string): Promise<boolean> {
  const s = await lstat(path).catch(() => undefined);
  return s?.isFile() === true && s.size > 0;
}

/**
 * Adds the transactions of `webhooks listen` to a mirror, one at a time, waiting out a running sync. Only
 * what Monzo confirms goes in: webhook deliveries are not signed (REFERENCE §11.4), so whoever learns the
 * listening URL can post an event; the transaction it names is fetched from Monzo with the user's login and
 * Monzo's copy is stored, never the event's body.
 */
export interface MirrorWriter {
  /**
   * Confirms the transaction `tx` names with Monzo (one `GET /transactions/{id}`), then adds Monzo's copy (or
   * queues it while a sync holds the mirror). A transaction Monzo does not know for this login is never
   * added, and said on stderr. Resolves when it is written, queued or dropped, or after `answerWithinMs` at
   * most, so Monzo's delivery is answered in time whatever the mirror or the API does.
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
  /** The user's login: each event's transaction is fetched with it, and only Monzo's answer is stored. */
  client: MonzoClient;
  quiet: boolean;
  retryMs?: number;
  answerWithinMs?: number;
  /**
   * Events held at most while they wait for Monzo's confirmation (default 100): one is asked at a time, so
   * whoever posts forged events quickly makes the rest go unconfirmed (left to the next sync), not memory grow.
   */
  maxPending?: number;
}): MirrorWriter {
  const { io, path } = options;
  const retryMs = options.retryMs ?? 2000;
  const answerWithinMs = options.answerWithinMs ?? 1000;
  const maxPending = options.maxPending ?? 100;
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
  /** Events Monzo could not be asked about (unreachable, a login problem): the next sync reads them. */
  let unconfirmed = 0;
  /** Events waiting for their confirmation now; and those dropped because too many waited. */
  let pending = 0;
  let overflow = 0;

  /**
   * The transaction as Monzo has it now, or undefined (said on stderr): Monzo does not know it for this
   * login (forged, or another person's), or could not be asked.
   */
  const confirm = async (tx: Transaction): Promise<Transaction | undefined> => {
    const id = printable(String(tx.id));
    try {
      const found = await options.client.transactions.retrieve(tx.id, { expandMerchant: true });
      if (found.id === tx.id) return found;
      io.err(`warning: Monzo answered for ${id} with another transaction: not added to the mirror.\n`);
      return undefined;
    } catch (error) {
      // 4xx but a login problem or a rate limit: Monzo has no such transaction for this login (404; 400 for an
      // id that is not one; 403 for one out of reach), so the event did not come from Monzo's record of it.
      if (
        error instanceof MonzoApiError &&
        error.status >= 400 &&
        error.status < 500 &&
        error.status !== 401 &&
        error.status !== 429
      ) {
        io.err(
          `warning: an event named ${id}, which Monzo does not confirm for this login (${error.status}${error.monzoCode ? ` ${printable(error.monzoCode)}` : ""}): not added to the mirror. If you did not expect it, someone may know the listening URL: restart with a new secret.\n`,
        );
        return undefined;
      }
      unconfirmed++;
      const message = printable(redact(String((error as Error).message)));
      once(`unconfirmed ${message}`, () =>
        io.err(
          `Could not confirm ${id} with Monzo (${message}): events are added to the mirror only once Monzo confirms them, so the next monzo sync reads it.\n`,
        ),
      );
      return undefined;
    }
  };

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
      if (pending >= maxPending) {
        overflow++;
        once("overflow", () =>
          io.err(
            `warning: more than ${maxPending} events wait for Monzo to confirm them: the rest are not added to the mirror (the next monzo sync reads them). If you did not expect so many, someone may know the listening URL: restart with a new secret.\n`,
          ),
        );
        return Promise.resolve();
      }
      pending++;
      const done = then(async () => {
        const confirmed = await confirm(tx).finally(() => {
          pending--;
        });
        if (!confirmed) return;
        // Behind others that wait, or refused now: wait too, in order.
        if (waiting.size === 0 && (await write(confirmed))) return;
        waiting.set(confirmed.id, confirmed);
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
      if (overflow > 0)
        io.err(
          `${overflow} event${overflow === 1 ? " was" : "s were"} not added to the mirror: ${overflow === 1 ? "it" : "they"} arrived faster than Monzo could confirm them. The next monzo sync reads ${overflow === 1 ? "it" : "them"}.\n`,
        );
      if (unconfirmed > 0)
        io.err(
          `${unconfirmed} event${unconfirmed === 1 ? " was" : "s were"} not added to the mirror: Monzo could not be asked to confirm ${unconfirmed === 1 ? "it" : "them"}. The next monzo sync reads ${unconfirmed === 1 ? "it" : "them"}.\n`,
        );
      if (waiting.size > 0 && (await flush())) return;
      if (waiting.size > 0)
        io.err(
          `${waiting.size} event${waiting.size === 1 ? " was" : "s were"} not added to the mirror: a monzo sync was writing it. The next monzo sync reads ${waiting.size === 1 ? "it" : "them"}.\n`,
        );
    },
  };
}
