import { describe, expect, it } from "vitest";
import { BrokerConfigError, configFromEnv, Envelope, generateKey, parseKey } from "../src/index.js";

describe("configuration from the environment", () => {
  it("names every problem at once", async () => {
    const error = await configFromEnv({
      BROKER_STORE: "mongo",
      PORT: "99999",
      MONZO_API_URL: "http://api.example.com",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerConfigError);
    const settings = (error as BrokerConfigError).problems.map((p) => p.setting);
    expect(settings).toEqual(
      expect.arrayContaining([
        "MONZO_CLIENT_ID",
        "MONZO_CLIENT_SECRET",
        "BROKER_PUBLIC_URL",
        "BROKER_STORE",
        "PORT",
        "MONZO_API_URL",
      ]),
    );
  });
  it("decrypts a sealed client secret with the key, and says so when the key is wrong", async () => {
    const key = generateKey();
    const sealed = await new Envelope(parseKey(key)!).seal("mnzconf.real-secret");
    const base = {
      MONZO_CLIENT_ID: "c",
      MONZO_CLIENT_SECRET_ENCRYPTED: sealed,
      BROKER_PUBLIC_URL: "https://broker.example.com",
    };
    const ok = await configFromEnv({ ...base, BROKER_KEY: key });
    expect(ok.config.clientSecret).toBe("mnzconf.real-secret");
    const wrong = await configFromEnv({ ...base, BROKER_KEY: generateKey() }).catch((e: unknown) => e);
    expect((wrong as BrokerConfigError).problems[0]!.message).toContain("cannot be decrypted");
  });
  it("redis needs a URL and a shared key", async () => {
    const error = await configFromEnv({
      MONZO_CLIENT_ID: "c",
      MONZO_CLIENT_SECRET: "s",
      BROKER_PUBLIC_URL: "https://b.example",
      BROKER_STORE: "redis",
    }).catch((e: unknown) => e);
    expect((error as BrokerConfigError).problems.map((p) => p.setting)).toEqual(["REDIS_URL", "BROKER_KEY"]);
  });
  it("BROKER_TRUST_PROXY: a number of proxies or their addresses; anything else is named", async () => {
    const base = { MONZO_CLIENT_ID: "c", MONZO_CLIENT_SECRET: "s", BROKER_PUBLIC_URL: "https://b.example" };
    const trust = async (v: string) =>
      (await configFromEnv({ ...base, BROKER_TRUST_PROXY: v })).config.trustProxy;
    expect(await trust("")).toBe(false);
    expect(await trust("0")).toBe(false);
    expect(await trust("1")).toBe(1);
    expect(await trust("2")).toBe(2);
    expect(await trust("10.0.0.0/8, ::1 ,192.0.2.7")).toEqual(["10.0.0.0/8", "::1", "192.0.2.7"]);
    for (const bad of ["yes", "11", "10.0.0.0/33", "10.0.0.1,evil"]) {
      const error = await configFromEnv({ ...base, BROKER_TRUST_PROXY: bad }).catch((e: unknown) => e);
      expect((error as BrokerConfigError).problems.map((p) => p.setting)).toEqual(["BROKER_TRUST_PROXY"]);
    }
    expect((await configFromEnv(base)).config.maxPendingSessions).toBe(10_000);
    expect((await configFromEnv({ ...base, BROKER_MAX_PENDING: "50" })).config.maxPendingSessions).toBe(50);
  });
});
