import { dirname, join } from "node:path";
import { ConfigError } from "../errors.js";
import { writeFileAtomic } from "../store/atomic.js";
import { ensureDataDir, profileDataDir, readDataFile } from "../store/data-dir.js";
import { withLock } from "../store/lock.js";

/** What became of a pot move: as far as this machine knows. */
export type MoveOutcome =
  /** Written before the request is sent: a process killed during the move leaves this, which means unknown. */
  | "pending"
  /** Money moved, in the run that recorded it. */
  | "moved"
  /** Monzo already had a move with this dedupe id (from another machine, or before this journal): none now. */
  | "already_done"
  /** Monzo refused it (insufficient funds, a locked pot …): nothing moved. */
  | "refused"
  /** The answer never came, or said nothing certain: it may or may not have moved. */
  | "unknown";

/** One pot move as the journal keeps it; `amount` in minor units of `currency`. */
export interface MoveRecord {
  dedupe_id: string;
  user_id: string;
  account_id: string;
  pot_id: string;
  pot_name: string;
  direction: "deposit" | "withdraw";
  amount: number;
  currency: string;
  /** When this machine first sent it (RFC 3339). */
  started_at: string;
  /** When the outcome below was learnt. */
  updated_at: string;
  outcome: MoveOutcome;
  /** When the money moved, if this journal saw it move. */
  moved_at?: string;
  /** A few words about the outcome (the error, for refusals and unknowns). */
  note?: string;
}

interface JournalFile {
  version: 1;
  moves: MoveRecord[];
}

/** The journal of a profile: `<data dir>/<profile>/pot-moves.json`. */
export function journalPath(env: Record<string, string | undefined>, profile: string): string {
  return join(profileDataDir(env, profile), "pot-moves.json");
}

/**
 * The local record of every pot move this profile made (REFERENCE §6.5: Monzo answers a repeated dedupe id
 * with 200 and the pot as it is, whether or not money moved, so only a record kept here can tell a re-run
 * from a first run). A JSON file, 0600 in a 0700 directory, rewritten whole and atomically; `transaction`
 * holds its lock (`pot-moves.json.lock`) so moves of one profile happen one at a time across processes.
 *
 * @example await journal.transaction(async (j) => { const earlier = j.find(userId, dedupeId); … await j.put(record); });
 */
export class MoveJournal {
  readonly path: string;
  #moves: MoveRecord[] = [];

  constructor(path: string) {
    this.path = path;
  }

  /** The lock file `transaction` holds. */
  get lockPath(): string {
    return `${this.path}.lock`;
  }

  /** Reads the journal, runs `work` with it under the lock, and leaves the lock; `put` writes through. */
  async transaction<T>(work: (journal: MoveJournal) => Promise<T>): Promise<T> {
    await ensureDataDir(dirname(this.path));
    return withLock(
      this.lockPath,
      async () => {
        this.#moves = await this.#read();
        return work(this);
      },
      // A move can wait on Monzo for a few minutes with retries; a lock older than 10 minutes is a crash.
      { timeoutMs: 180_000, staleMs: 600_000, what: "a pot move" },
    );
  }

  /** The move this user made with this dedupe id, if any. */
  find(userId: string, dedupeId: string): MoveRecord | undefined {
    return this.#moves.find((m) => m.user_id === userId && m.dedupe_id === dedupeId);
  }

  /** Moves whose outcome is not known (unknown, or pending from a run that never finished). */
  unfinished(userId: string): MoveRecord[] {
    return this.#moves.filter(
      (m) => m.user_id === userId && (m.outcome === "unknown" || m.outcome === "pending"),
    );
  }

  /** Adds or replaces the record for its (user, dedupe id), and saves the journal. */
  async put(record: MoveRecord): Promise<void> {
    const i = this.#moves.findIndex((m) => m.user_id === record.user_id && m.dedupe_id === record.dedupe_id);
    if (i >= 0) this.#moves[i] = record;
    else this.#moves.push(record);
    const file: JournalFile = { version: 1, moves: this.#moves };
    await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
  }

  async #read(): Promise<MoveRecord[]> {
    // Another user's journal would decide which moves "already happened" (N7).
    const text = await readDataFile(this.path, "the pot-move journal");
    if (text === undefined) return [];
    try {
      const file = JSON.parse(text) as Partial<JournalFile>;
      if (file.version === 1 && Array.isArray(file.moves)) return file.moves;
    } catch {}
    // Never replaced silently: it is the only record of which dedupe ids have moved money.
    throw new ConfigError(
      `The pot-move journal ${this.path} is damaged`,
      `Move it aside (mv ${this.path} ${this.path}.damaged) to start a new one; it is the record of earlier pot moves and their dedupe ids.`,
    );
  }
}
