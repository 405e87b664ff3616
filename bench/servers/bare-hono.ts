// Baseline: a bare Hono "hello" app on @hono/node-server.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.get("*", (c) => c.json({ hello: "world" }));
app.post("*", (c) => c.json({ hello: "world" }));
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${info.port}` })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
