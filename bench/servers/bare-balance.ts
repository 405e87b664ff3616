// Baseline: a bare node:http server answering GET /balance with the same JSON the emulator sends.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const body = process.argv[2] ?? "{}";
const server = createServer((req, res) => {
  if (req.url?.startsWith("/balance")) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  } else {
    res.writeHead(404);
    res.end();
  }
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  );
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
