import { describe, expect, it } from "vitest";
import { lambdaHandler } from "../src/index.js";
import { RETURN_TO } from "./helpers.js";

const RETURN = `return_to=${encodeURIComponent(RETURN_TO)}`;

function event(path: string, query = "") {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: query,
    headers: { host: "broker.example.com" },
    requestContext: {
      http: { method: "GET", path, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "test" },
      domainName: "broker.example.com",
      requestId: "r1",
      stage: "$default",
    },
    isBase64Encoded: false,
  };
}

describe("AWS Lambda handler (API Gateway v2 events)", () => {
  it("serves /healthz and /new from the environment's configuration", async () => {
    Object.assign(process.env, {
      MONZO_CLIENT_ID: "oauth2client_0000Lambda000000000001",
      MONZO_CLIENT_SECRET: "mnzconf.lambda-secret",
      BROKER_PUBLIC_URL: "https://broker.example.com",
    });
    const health = (await lambdaHandler(event("/healthz") as never)) as { statusCode: number; body: string };
    expect(health.statusCode).toBe(200);
    const created = (await lambdaHandler(event("/new", RETURN) as never)) as {
      statusCode: number;
      body: string;
    };
    expect(created.statusCode).toBe(201);
    const body = JSON.parse(created.body) as { login_url: string };
    expect(new URL(body.login_url).searchParams.get("redirect_uri")).toBe(
      "https://broker.example.com/callback",
    );
    expect(created.body).not.toContain("mnzconf");
  });
});

describe("AWS Lambda: the caller is requestContext.http.sourceIp (F3)", () => {
  it("one caller's 30 /new calls do not lock out another caller", async () => {
    const from = (ip: string) => {
      const e = event("/new", RETURN);
      e.requestContext.http.sourceIp = ip;
      return lambdaHandler(e as never) as Promise<{ statusCode: number }>;
    };
    const first = [];
    for (let i = 0; i < 31; i++) first.push((await from("198.51.100.1")).statusCode);
    expect(first.filter((s) => s === 201).length).toBeLessThanOrEqual(30);
    expect(first.at(-1)).toBe(429);
    expect((await from("198.51.100.2")).statusCode).toBe(201);
  });
});
