import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { errorFromResponse } from "../../src/errors/api-error.js";
import { registerSecret } from "../../src/errors/redact.js";

const init = (body: Record<string, unknown>) => ({
  status: 400,
  body,
  requestId: "req_1",
  retryAfter: undefined,
  method: "POST",
  path: "/oauth2/token",
});

describe("MonzoApiError", () => {
  it("keeps Monzo's params redacted: no secret survives in params, {...err}, JSON or inspect", () => {
    registerSecret("api-error-registered-secret-123");
    const error = errorFromResponse(
      init({
        code: "bad_request.bad_param",
        message: "bad",
        params: {
          refresh_token: "rt-raw-refresh-token-value",
          client_secret: "raw-client-secret-value",
          note: "echo api-error-registered-secret-123 and Bearer abc.def.ghi",
        },
      }),
    );
    // What pino's error serializer and a spread copy out of an error: its own enumerable fields.
    const views = [
      JSON.stringify(error.params),
      JSON.stringify({ ...error }),
      JSON.stringify(Object.fromEntries(Object.entries(error))),
      JSON.stringify(error),
      inspect(error, { depth: 5 }),
    ];
    for (const view of views)
      for (const leaked of [
        "rt-raw-refresh-token-value",
        "raw-client-secret-value",
        "api-error-registered-secret-123",
        "abc.def.ghi",
      ])
        expect(view).not.toContain(leaked);
    expect(error.params).toMatchObject({ refresh_token: "[redacted]", client_secret: "[redacted]" });
    expect(error.monzoCode).toBe("bad_request.bad_param");
  });
});
