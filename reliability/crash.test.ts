import { describe, expect, it } from "vitest";
import { runCrashSuite, runLoginCrashSuite } from "./crash.ts";

describe("crashes (CI size; `npm run soak` kills 200 times)", () => {
  it("a SIGKILLed refresh never leaves a broken or readable token file, and the next command works or says how to recover", async () => {
    const r = await runCrashSuite(25);
    expect(r.fileAlwaysWhole).toBe(true);
    expect(r.fileAlways0600).toBe(true);
    expect(r.otherOutcomes).toEqual([]);
    expect(r.recoveredByItself + r.askedToLogIn).toBe(25);
  }, 120_000);
  it("a SIGKILLed login (exchange, save or approval wait) leaves no file, the old one or the new one, whole and 0600", async () => {
    const r = await runLoginCrashSuite(15);
    expect(r.afterCallback).toBe(15);
    expect(r.fileAlwaysWhole).toBe(true);
    expect(r.fileAlways0600).toBe(true);
    expect(r.leftoverTempFiles).toBe(0);
    expect(r.otherOutcomes).toEqual([]);
    expect(r.loggedIn + r.askedToLogIn).toBe(15);
  }, 120_000);
});
