export type { BrokerDeps, BrokerLogger } from "./app.js";
export { createBrokerApp } from "./app.js";
export type { BrokerConfig, ConfigProblem } from "./config.js";
export { DEFAULTS, readEnv } from "./config.js";
export { Envelope, generateKey, parseKey } from "./crypto.js";
export { lambdaHandler } from "./lambda.js";
export { BrokerConfigError, configFromEnv, startServer } from "./server.js";
export { MemorySessionStore } from "./store/memory.js";
export type { PendingSession, RateLimit, SessionStore } from "./store/types.js";
