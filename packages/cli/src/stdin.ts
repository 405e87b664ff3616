/** A readable stream as `lineReader` uses it: `process.stdin`, or any stream of text or bytes. */
export type LineSource = NodeJS.ReadableStream & { ref?: () => unknown; unref?: () => unknown };

/**
 * Reads `source` one line at a time: each call gives the next line (without its line ending), or "" once
 * the stream has ended. Several callers in one run share the stream in order — a client secret first, then
 * a pasted redirect address — and the stream is paused and unreferenced between reads, so a pipe left open
 * does not keep the process alive. A read given a `signal` rejects with its reason when it aborts, leaving the
 * stream paused and unreferenced as between reads (what arrives later is kept for the next read).
 *
 * @example const next = lineReader(process.stdin); const secret = await next();
 */
export function lineReader(source: LineSource): (signal?: AbortSignal) => Promise<string> {
  let buffered = "";
  let ended = false;
  return async (signal) => {
    while (!buffered.includes("\n") && !ended) {
      signal?.throwIfAborted();
      const chunk = await new Promise<string | null>((resolve, reject) => {
        const onData = (data: Buffer | string) => {
          done();
          resolve(String(data));
        };
        const onEnd = () => {
          done();
          resolve(null);
        };
        const onAbort = () => {
          done();
          reject(signal?.reason);
        };
        const done = () => {
          source.off("data", onData);
          source.off("end", onEnd);
          source.off("error", onEnd);
          signal?.removeEventListener("abort", onAbort);
          source.pause();
          // A paused pipe still holds the process open: let it exit while nobody reads.
          source.unref?.();
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        source.on("data", onData);
        source.once("end", onEnd);
        source.once("error", onEnd);
        source.ref?.();
        source.resume();
      });
      if (chunk === null) ended = true;
      else buffered += chunk;
    }
    const at = buffered.indexOf("\n");
    const line = at < 0 ? buffered : buffered.slice(0, at);
    buffered = at < 0 ? "" : buffered.slice(at + 1);
    return line.replace(/\r$/, "");
  };
}

let processReader: ((signal?: AbortSignal) => Promise<string>) | undefined;

/** The next line of this process's standard input (one reader for the process: see `lineReader`). */
export function processStdinLine(signal?: AbortSignal): Promise<string> {
  processReader ??= lineReader(process.stdin);
  return processReader(signal);
}
