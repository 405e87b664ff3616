import { describe, expect, it } from "vitest";
import { CI, runFaultSuite } from "./faults.ts";

describe("faulty network (CI size; `npm run soak` runs 10,000 reads and 1,000 deposits)", () => {
  it("every read succeeds or fails typed; every deposit moves money exactly once; nothing unhandled", async () => {
    const r = await runFaultSuite(CI);
    expect(r.faultsFired).toBeGreaterThan(CI.reads / 10);
    expect(r.readSuccesses + r.readTypedErrors).toBe(r.reads);
    expect(r.readUntyped).toBe(0);
    expect(r.readSuccesses / r.reads).toBeGreaterThan(0.98);
    expect(r.depositSuccesses).toBe(r.deposits);
    expect(r.movements).toBe(r.deposits);
    expect(r.movedPence).toBe(r.expectedPence);
    expect(r.unhandled).toBe(0);
  }, 120_000);
});
