import { describe, expect, it } from "vitest";
import { CI, runBrokerSuite } from "./broker.ts";

describe("broker under load with Redis killed and restarted (CI size; `npm run soak` runs 40 s with 24 apps)", () => {
  it("503 only during the outage, nothing served twice, no crash, no secret in the logs, full recovery", async () => {
    const r = await runBrokerSuite(CI);
    expect(r.logins).toBeGreaterThan(10);
    expect(r.steady5xx).toBe(0);
    expect(r.unexpected5xx).toBe(0);
    expect(r.outage503).toBeGreaterThan(0);
    expect(r.outage503WithoutRetryAfter).toBe(0);
    expect(r.servedTwice).toBe(0);
    expect(r.lostOutsideOutage).toBe(0);
    expect(r.notFoundBeforeKill).toBe(0);
    expect(r.connectionErrors).toBe(0);
    expect(r.crashed).toBe(0);
    expect(r.firstLoginAfterRestartMs).not.toBeNull();
    expect(r.logBytes).toBeGreaterThan(1000);
    expect(r.secretHits).toBe(0);
    expect(r.unhandled).toBe(0);
  }, 120_000);
});
