import { handle } from "hono/aws-lambda";
import { createBrokerApp } from "./app.js";
import { configFromEnv, createStore } from "./server.js";

let handler: ReturnType<typeof handle> | undefined;

/**
 * AWS Lambda entry (API Gateway HTTP API, payload v2), as the original broker ran. Configured by the same
 * environment as the server; use `BROKER_STORE=redis` because Lambda instances share nothing.
 *
 * @example export { lambdaHandler as handler } from "@monzokit/broker";
 */
export async function lambdaHandler(
  event: Parameters<ReturnType<typeof handle>>[0],
  context?: Parameters<ReturnType<typeof handle>>[1],
) {
  if (!handler) {
    const { config, store: kind, redisUrl } = await configFromEnv(process.env);
    handler = handle(createBrokerApp({ config, store: await createStore(kind, redisUrl, config.codeKey) }));
  }
  return handler(event, context);
}
