let buffered = "";
let ended = false;

/**
 * The next line of standard input (without its line ending), or "" once it has ended. Several callers in
 * one run share the stream in order — a client secret first, then a pasted redirect address — and stdin is
 * paused and unreferenced between reads, so a pipe left open does not keep the process alive.
 */
export async function stdinLine(): Promise<string> {
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
        process.stdin.off("data", onData);
        process.stdin.off("end", onEnd);
        process.stdin.off("error", onEnd);
        process.stdin.pause();
        // A paused pipe still holds the process open: let it exit while nobody reads.
        (process.stdin as { unref?: () => void }).unref?.();
      };
      process.stdin.on("data", onData);
      process.stdin.once("end", onEnd);
      process.stdin.once("error", onEnd);
      (process.stdin as { ref?: () => void }).ref?.();
      process.stdin.resume();
    });
    if (chunk === null) ended = true;
    else buffered += chunk;
  }
  const at = buffered.indexOf("\n");
  const line = at < 0 ? buffered : buffered.slice(0, at);
  buffered = at < 0 ? "" : buffered.slice(at + 1);
  return line.replace(/\r$/, "");
}
