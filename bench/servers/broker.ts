// A broker on a loopback port (memory or Redis store) with limits high enough for load, for the benchmark.
import { serve } from "@hono/node-server";
import { createBrokerApp, MemorySessionStore } from "@monzokit/broker";
import { RedisSessionStore } from "../../packages/broker/dist/store/redis.js";

const redisUrl = process.argv[2];
const store = redisUrl
  ? await RedisSessionStore.connect(redisUrl, {
      key: new Uint8Array(32).fill(1),
      prefix: `bench:${Date.now()}:`,
    })
  : new MemorySessionStore();
const app = createBrokerApp({
  config: {
    clientId: "oauth2client_0000Bench000000000001",
    clientSecret: "mnzconf.bench",
    // https, as a deployed broker is: its responses carry HSTS too.
    publicUrl: "https://broker.example",
    authUrl: "http://127.0.0.1:1/auth/",
    apiUrl: "http://127.0.0.1:1",
    codeKey: new Uint8Array(32).fill(1),
    sessionTtlMs: 600_000,
    maxWaitSeconds: 0,
    rateLimits: { new: 10_000_000, token: 10_000_000, refresh: 10 },
    corsOrigins: [],
    trustProxy: false,
    // The load makes thousands of logins a second, none collected: the cap on pending logins is not what
    // this measures.
    maxPendingSessions: 1_000_000_000,
    allowInsecure: false,
  },
  store,
});
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${info.port}` })}\n`);
});
process.on("SIGTERM", () => server.close(() => void store.close().then(() => process.exit(0))));
