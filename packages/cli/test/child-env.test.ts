import { describe, expect, it } from "vitest";
import { foreignEnv } from "../src/child-env.js";

describe("foreignEnv", () => {
  it("drops every MONZO_* variable (any case on Windows), keeps the rest, and leaves the original alone", () => {
    const env = {
      PATH: "/usr/bin",
      DISPLAY: ":0",
      MONZO_CLIENT_SECRET: "mnzconf.secret",
      MONZO_ACCESS_TOKEN: "token",
      Monzo_Client_Secret: "windows-spelling",
      MONZOKIT_HOME: "/home/me/.config/monzokit",
      NOT_MONZO_X: "kept",
    };
    expect(foreignEnv(env)).toEqual({
      PATH: "/usr/bin",
      DISPLAY: ":0",
      MONZOKIT_HOME: "/home/me/.config/monzokit",
      NOT_MONZO_X: "kept",
    });
    expect(env.MONZO_CLIENT_SECRET).toBe("mnzconf.secret");
  });
});
