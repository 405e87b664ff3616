import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { lineReader } from "../src/stdin.js";

describe("reading standard input a line at a time", () => {
  it("gives lines in order across chunks, CRLF or LF, then the unended last line, then empty strings", async () => {
    const stream = new PassThrough();
    const next = lineReader(stream);
    const first = next();
    stream.write("sec");
    stream.write("ret\r\nhttp://127.0.0.1/cb?code=a");
    expect(await first).toBe("secret");
    const second = next();
    stream.end("&state=b\nlast without newline");
    expect(await second).toBe("http://127.0.0.1/cb?code=a&state=b");
    expect(await next()).toBe("last without newline");
    expect(await next()).toBe("");
    expect(await next()).toBe("");
  });

  it("leaves the stream paused between reads, so an open pipe does not keep the process alive", async () => {
    const stream = new PassThrough();
    const next = lineReader(stream);
    const line = next();
    stream.write("one\ntwo\n");
    expect(await line).toBe("one");
    expect(stream.isPaused()).toBe(true);
    expect(stream.listenerCount("data")).toBe(0);
    expect(await next()).toBe("two");
  });

  it("gives up a read when its signal aborts (Ctrl+C): paused, no listener left, and what comes later is kept", async () => {
    const stream = new PassThrough();
    const next = lineReader(stream);
    const stop = new AbortController();
    const waiting = next(stop.signal);
    const reason = new Error("interrupted");
    stop.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(stream.isPaused()).toBe(true);
    expect(stream.listenerCount("data")).toBe(0);
    expect(stream.listenerCount("end")).toBe(0);
    await expect(next(stop.signal)).rejects.toBe(reason);
    stream.write("later\n");
    expect(await next()).toBe("later");
  });
});
