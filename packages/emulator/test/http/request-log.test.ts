import { describe, expect, it } from "vitest";
import { RequestLog } from "../../src/http/request-log.js";

describe("RequestLog", () => {
  it("keeps the last N requests, oldest first", () => {
    const log = new RequestLog(3);
    expect(log.entries()).toEqual([]);
    for (let i = 1; i <= 5; i++) log.record(i * 1000, "GET", `/p${i}`, "GET /p", 200 + i, i);
    expect(log.entries().map((e) => e.path)).toEqual(["/p3", "/p4", "/p5"]);
    expect(log.entries()[2]).toEqual({
      atMs: 5000,
      method: "GET",
      path: "/p5",
      route: "GET /p",
      status: 205,
      ms: 5,
    });
    log.clear();
    expect(log.entries()).toEqual([]);
  });
});
