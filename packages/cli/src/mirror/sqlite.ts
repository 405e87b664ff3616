import type * as Sqlite from "node:sqlite";
import { MirrorError } from "./errors.js";

let loaded: Promise<typeof Sqlite> | undefined;

/**
 * `node:sqlite`, loaded on first use: only `monzo sync`, `monzo sql` and mirror exports need it, and Node 22
 * and 23 print an "experimental feature" warning when it loads, which would reach the terminal of every
 * command. That one warning is dropped while it loads; every other warning passes through.
 */
export function loadSqlite(): Promise<typeof Sqlite> {
  loaded ??= (async () => {
    const emit = process.emitWarning;
    process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
      const text = typeof warning === "string" ? warning : warning.message;
      if (/SQLite is an experimental feature/i.test(text)) return;
      (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
    }) as typeof process.emitWarning;
    try {
      return await import("node:sqlite");
    } catch (error) {
      loaded = undefined;
      // The packages support Node 20.19+, which has no node:sqlite (and 22.12 has it only behind a flag):
      // the rest of the CLI works there, the mirror commands say what they need (exit 3, not a bug).
      throw new MirrorError(
        "mirror.needs_node_sqlite",
        `The mirror (monzo sync, monzo sql, transactions export --from-mirror) needs Node's built-in SQLite, in Node 22.13 or newer; this is Node ${process.version}`,
        {
          hint: "Run monzo with Node 22.13 or newer (every other command works on this Node).",
          cause: error,
        },
      );
    } finally {
      process.emitWarning = emit;
    }
  })();
  return loaded;
}

export type { DatabaseSync, StatementSync } from "node:sqlite";
