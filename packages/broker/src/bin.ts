#!/usr/bin/env node
import { Envelope, generateKey, parseKey } from "./crypto.js";
import { BrokerConfigError, startServer } from "./server.js";

const HELP = `monzo-broker — lets desktop apps log in to Monzo without holding the client secret

Usage:
  monzo-broker                 run the broker (configured by the environment; see the README)
  monzo-broker gen-key         print a new 256-bit key for BROKER_KEY / BROKER_KEY_FILE
  monzo-broker encrypt-secret  read the client secret on stdin, print MONZO_CLIENT_SECRET_ENCRYPTED
                               (needs BROKER_KEY or BROKER_KEY_FILE)

Environment: MONZO_CLIENT_ID, MONZO_CLIENT_SECRET or MONZO_CLIENT_SECRET_ENCRYPTED + BROKER_KEY(_FILE),
BROKER_PUBLIC_URL, BROKER_STORE (memory|redis), REDIS_URL, PORT, HOST, MONZO_AUTH_URL, MONZO_API_URL,
BROKER_SESSION_TTL_SECONDS, BROKER_RATE_NEW/TOKEN/REFRESH, BROKER_CORS_ORIGINS, BROKER_TRUST_PROXY, LOG_LEVEL
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`monzo-broker: ${message}\n`);
  process.exit(code);
}

async function readStdin(): Promise<string> {
  let data = "";
  for await (const chunk of process.stdin) data += chunk;
  return data.trim();
}

const [command, ...rest] = process.argv.slice(2);
if (rest.length > 0 || (command && !["gen-key", "encrypt-secret", "--help", "-h"].includes(command)))
  fail(`unknown arguments: ${process.argv.slice(2).join(" ")}\nRun monzo-broker --help.`);
if (command === "--help" || command === "-h") process.stdout.write(HELP);
else if (command === "gen-key") process.stdout.write(`${generateKey()}\n`);
else if (command === "encrypt-secret") {
  const keyText =
    process.env["BROKER_KEY"] ??
    (process.env["BROKER_KEY_FILE"]
      ? (await import("node:fs")).readFileSync(process.env["BROKER_KEY_FILE"], "utf8")
      : undefined);
  const key = keyText ? parseKey(keyText) : undefined;
  if (!key) fail("set BROKER_KEY or BROKER_KEY_FILE to a key from monzo-broker gen-key");
  const secret = await readStdin();
  if (!secret)
    fail('pipe the client secret on stdin, e.g.: printf %s "$SECRET" | monzo-broker encrypt-secret');
  process.stdout.write(`${await new Envelope(key).seal(secret)}\n`);
} else {
  try {
    const running = await startServer(process.env);
    const stop = () => void running.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  } catch (error) {
    if (error instanceof BrokerConfigError)
      fail(`cannot start:\n${error.problems.map((p) => `  ${p.setting}: ${p.message}`).join("\n")}`);
    fail(`cannot start: ${(error as Error).message}`, 1);
  }
}
