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
});
