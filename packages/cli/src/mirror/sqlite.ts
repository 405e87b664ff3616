import type * as Sqlite from "node:sqlite";

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
      throw new Error(
        `The mirror needs Node's built-in SQLite (node:sqlite, Node 22.13 or newer); this is Node ${process.version}: ${(error as Error).message}`,
      );
    } finally {
      process.emitWarning = emit;
    }
  })();
  return loaded;
}

export type { DatabaseSync, StatementSync } from "node:sqlite";
