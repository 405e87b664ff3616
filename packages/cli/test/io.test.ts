import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { readerGone, watchReader } from "../src/io.js";

/** A real pipe to a child that reads one chunk and exits, as `head -c 1` does. */
function pipeToHead() {
  const child = spawn(process.execPath, ["-e", "process.stdin.once('data', () => process.exit(0))"], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { stream: child.stdin as unknown as NodeJS.WriteStream, exited };
}

describe("readerGone", () => {
  it("is EPIPE and a destroyed stream, nothing else", () => {
    expect(readerGone(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }))).toBe(true);
    expect(readerGone(Object.assign(new Error("destroyed"), { code: "ERR_STREAM_DESTROYED" }))).toBe(true);
    expect(readerGone(Object.assign(new Error("no space"), { code: "ENOSPC" }))).toBe(false);
    expect(readerGone(undefined)).toBe(false);
  });
});

describe("watchReader", () => {
  it("aborts its signal once the reader has gone, then writes nothing and never emits an unhandled error", async () => {
    const { stream, exited } = pipeToHead();
    const out = watchReader(stream);
    out.write("first\n");
    await out.flush();
    await exited;
    expect(out.signal.aborted).toBe(false);
    // A pipe's EPIPE comes through the event loop: a writer that awaits drain sees it before the next row.
    for (let i = 0; i < 10_000 && !out.signal.aborted; i++) {
      out.write(`${"x".repeat(1000)}\n`);
      await out.drain();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(out.signal.aborted).toBe(true);
    expect(readerGone(out.signal.reason)).toBe(true);
    out.write("after\n");
    await expect(out.flush()).resolves.toBeUndefined();
    await expect(out.drain()).resolves.toBeUndefined();
  });
});
