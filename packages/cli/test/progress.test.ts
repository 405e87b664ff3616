import { describe, expect, it } from "vitest";
import { startProgress } from "../src/progress.js";
import { fakeIo } from "./helpers.js";

describe("progress", () => {
  it("on a stderr that is not a terminal: no frames, only the closing line", async () => {
    const f = fakeIo();
    const p = await startProgress(f.io, "Exporting transactions…", { quiet: false });
    for (let i = 0; i < 50; i++) p.update(`Exporting: ${i * 2}%`);
    p.done("Exported 10 transactions.");
    expect(f.stderr()).toBe("Exported 10 transactions.\n");
    const failed = fakeIo();
    const q = await startProgress(failed.io, "Waiting…", { quiet: false });
    q.update("Waiting… 4:59 left");
    q.fail();
    expect(failed.stderr()).toBe("");
  });

  it("under --quiet (or --json): nothing at all, even on a terminal", async () => {
    let asked = false;
    const f = fakeIo(
      {},
      {
        live: true,
        liveLine: async () => {
          asked = true;
          throw new Error("not wanted");
        },
      },
    );
    const p = await startProgress(f.io, "Exporting…", { quiet: true });
    p.update("50%");
    p.done("done");
    expect(f.stderr()).toBe("");
    expect(asked).toBe(false);
  });

  it("on a terminal: one line started, redrawn, and ended before anything else", async () => {
    const events: string[] = [];
    const f = fakeIo(
      {},
      {
        live: true,
        liveLine: async () => ({
          start: (t) => void events.push(`start ${t}`),
          update: (t) => void events.push(`update ${t}`),
          stop: (t) => void events.push(`stop ${t ?? "(erased)"}`),
          fail: (t) => void events.push(`fail ${t ?? "(erased)"}`),
        }),
      },
    );
    const p = await startProgress(f.io, "Waiting…", { quiet: false });
    p.update("Waiting… 4:58 left");
    p.done("Approved.");
    const q = await startProgress(f.io, "Exporting…", { quiet: false });
    q.fail();
    expect(events).toEqual([
      "start Waiting…",
      "update Waiting… 4:58 left",
      "stop Approved.",
      "start Exporting…",
      "stop (erased)",
    ]);
  });
});
