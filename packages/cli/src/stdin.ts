/** A readable stream as `lineReader` uses it: `process.stdin`, or any stream of text or bytes. */
export type LineSource = NodeJS.ReadableStream & { ref?: () => unknown; unref?: () => unknown };

/**
 * Reads `source` one line at a time: each call gives the next line (without its line ending), or "" once
 * the stream has ended. Several callers in one run share the stream in order — a client secret first, then
 * a pasted redirect address — and the stream is paused and unreferenced between reads, so a pipe left open
 * does not keep the process alive.
 *
 * @example const next = lineReader(process.stdin); const secret = await next();
 */
export function lineReader(source: LineSource): () => Promise<string> {
  let buffered = "";
  let ended = false;
  return async () => {
    while (!buffered.includes("\n") && !ended) {
      const chunk = await new Promise<string | null>((resolve) => {
        const onData = (data: Buffer | string) => {
          done();
          resolve(String(data));
        };
        const onEnd = () => {
          done();
          resolve(null);
        };
        const done = () => {
          source.off("data", onData);
          source.off("end", onEnd);
          source.off("error", onEnd);
          source.pause();
          // A paused pipe still holds the process open: let it exit while nobody reads.
          source.unref?.();
        };
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

let processReader: (() => Promise<string>) | undefined;

/** The next line of this process's standard input (one reader for the process: see `lineReader`). */
export function processStdinLine(): Promise<string> {
  processReader ??= lineReader(process.stdin);
  return processReader();
}
