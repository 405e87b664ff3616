import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { clackLine } from "../src/terminal.js";

/** A terminal-like stream that records what is written to it. */
function tty() {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    { isTTY: true, columns: 80, rows: 24 },
  );
  return { stream, text: () => chunks.join("") };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("clackLine (@clack/prompts' spinner on stderr)", () => {
  it("draws the line, erases it for another message, and ends it with a newline", async () => {
    const { stream, text } = tty();
    let ended = 0;
    const line = clackLine(stream, { onEnd: () => ended++ });
    line.start("Exporting…");
    await wait(250);
    line.update("Exporting: 50%");
    await wait(250);
    expect(text()).toContain("Exporting: 50%");
    line.suspend();
    const before = text().length;
    stream.write("warning: something\n");
    line.resume();
    await wait(250);
    line.stop("Exported.");
    // The closing line ends with a newline; only the cursor is shown again after it.
    expect(text()).toMatch(/Exported\.\n(\u001b\[\?25h)?$/);
    expect(ended).toBe(1);
    // After its end the line draws nothing more.
    const after = text().length;
    await wait(250);
    expect(text().length).toBe(after);
    // The message went in after the line was erased (cursor to column 0, erase down), never mid-frame.
    expect(text().slice(0, before + "warning: something\n".length)).toMatch(
      /\u001b\[1G\u001b\[J[\s\S]*warning: something\n$/,
    );
  });

  it("erased without a closing message, and never twice ended", async () => {
    const { stream, text } = tty();
    let ended = 0;
    const line = clackLine(stream, { onEnd: () => ended++ });
    line.start("Waiting…");
    await wait(150);
    line.fail();
    line.stop("late");
    expect(ended).toBe(1);
    expect(text()).not.toContain("late");
  });
});
