import { describe, expect, it } from "vitest";
import { debugFetch } from "../src/session.js";
import { fakeIo } from "./helpers.js";

describe("--debug output", () => {
  it("never shows a broker's collection handle or confirmation, nor a token in a body", async () => {
    const { io, stderr } = fakeIo();
    const id = "broker-poll-handle-0123456789abcdefghijklmn";
    const confirm = "broker-confirmation-0123456789abcdefghijkl";
    const inner = (async () => new Response("{}", { status: 202 })) as typeof fetch;
    const traced = debugFetch(io, inner);
    await traced(`https://broker.example/token?id=${id}&confirm=${confirm}&wait=25`);
    await traced(`https://broker.example/new?return_to=${encodeURIComponent("http://127.0.0.1:1/x")}`, {
      method: "POST",
    });
    await traced("https://api.monzo.com/balance?account_id=acc_0001");
    const inner2 = (async () => {
      throw new Error(`connect ECONNREFUSED for /token?id=${id}`);
    }) as typeof fetch;
    await debugFetch(io, inner2)(`https://broker.example/token?id=${id}`).catch(() => {});
    const text = stderr();
    expect(text).not.toContain(id);
    expect(text).not.toContain(confirm);
    expect(text).toContain("/token?id=[redacted]&confirm=[redacted]&wait=25");
    // Everything else stays readable.
    expect(text).toContain("account_id=acc_0001");
    expect(text).toContain("return_to=");
  });
});
