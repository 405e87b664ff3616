import { describe, expect, it } from "vitest";
import { CI, runMirrorCrashSuite } from "./mirror.ts";

describe("crashes during monzo sync (CI size; `npm run soak` kills 200 times over 20,000 transactions)", () => {
  it("a SIGKILLed sync always leaves a mirror that opens and passes integrity_check, the next sync completes it, and it ends equal to a fresh full fetch", async () => {
    const r = await runMirrorCrashSuite(CI);
    expect(r.otherOutcomes).toEqual([]);
    expect(r.alwaysIntact).toBe(true);
    expect(r.lostCommitted).toBe(0);
    expect(r.differences).toEqual([]);
    expect(r.transactions).toBeGreaterThan(CI.transactions / 2);
    expect(r.kills).toBeGreaterThan(CI.kills / 3);
    expect(r.duringFirstSync).toBeGreaterThan(0);
    expect(r.duringIncremental).toBeGreaterThan(0);
    expect(r.afterItStartedWriting).toBeGreaterThan(0);
    expect(r.incrementalAfterItStartedWriting).toBeGreaterThan(0);
    expect(r.races).toBeGreaterThan(0);
  }, 240_000);
});
