#!/usr/bin/env node
import { closeSync, fchmodSync, fstatSync, openSync, readFileSync, writeSync } from "node:fs";
import { keyFromEnv } from "./config.js";
import { Envelope, generateKey } from "./crypto.js";
import { BrokerConfigError, keyFileWarning, startServer } from "./server.js";

const HELP = `monzo-broker — lets desktop apps log in to Monzo without holding the client secret

Usage:
  monzo-broker                     run the broker (configured by the environment; see the README)
  monzo-broker gen-key --out FILE  write a new 256-bit key for BROKER_KEY_FILE, readable only by you (0600);
                                   without --out it is printed (keep it out of files others can read)
  monzo-broker encrypt-secret      read the client secret on stdin, print MONZO_CLIENT_SECRET_ENCRYPTED
                                   (needs BROKER_KEY or BROKER_KEY_FILE, not both)

Environment: MONZO_CLIENT_ID, MONZO_CLIENT_SECRET or MONZO_CLIENT_SECRET_ENCRYPTED + BROKER_KEY(_FILE),
BROKER_PUBLIC_URL, BROKER_STORE (memory|redis), REDIS_URL, PORT, HOST, MONZO_AUTH_URL, MONZO_API_URL,
BROKER_SESSION_TTL_SECONDS, BROKER_RATE_NEW/TOKEN/REFRESH, BROKER_MAX_PENDING, BROKER_CORS_ORIGINS,
BROKER_TRUST_PROXY, BROKER_UNBOUND_LOGINS, LOG_LEVEL
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

/** Writes a new key to `file`, created exclusively and 0600 whatever the umask; never over an existing file. */
function writeKeyFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST")
      fail(`${file} already exists: a key is never overwritten (remove it first if you mean to replace it)`);
    fail(`cannot create ${file}: ${(error as Error).message}`);
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${generateKey()}\n`);
  } finally {
    closeSync(fd);
  }
  process.stderr.write(
    `monzo-broker: wrote a new key to ${file} (readable only by you); set BROKER_KEY_FILE=${file}\n`,
  );
}

const [command, ...rest] = process.argv.slice(2);
const out = rest[0] === "--out" ? rest[1] : rest[0]?.startsWith("--out=") ? rest[0].slice(6) : undefined;
const validRest =
  rest.length === 0 ||
  (command === "gen-key" && out && ((rest[0] === "--out" && rest.length === 2) || rest.length === 1));
if (!validRest || (command && !["gen-key", "encrypt-secret", "--help", "-h"].includes(command)))
  fail(`unknown arguments: ${process.argv.slice(2).join(" ")}\nRun monzo-broker --help.`);
if (command === "--help" || command === "-h") process.stdout.write(HELP);
else if (command === "gen-key") {
  if (out) writeKeyFile(out);
  else {
    // Printed into a file (`gen-key > broker.key`), the key gets the umask's mode, usually 0644.
    let shared = false;
    try {
      const st = fstatSync(1);
      shared = st.isFile() && (st.mode & 0o077) !== 0;
    } catch {}
    process.stdout.write(`${generateKey()}\n`);
    if (shared)
      process.stderr.write(
        "monzo-broker: warning: the key went into a file other users can read: chmod 600 it, or use monzo-broker gen-key --out FILE\n",
      );
  }
} else if (command === "encrypt-secret") {
  const found = keyFromEnv(process.env, (path) => readFileSync(path, "utf8"));
  if ("problem" in found) fail(`${found.problem.setting}: ${found.problem.message}`);
  const key = found.key;
  if (!key) fail("set BROKER_KEY or BROKER_KEY_FILE to a key from monzo-broker gen-key --out FILE");
  const warning = keyFileWarning(process.env);
  if (warning) process.stderr.write(`monzo-broker: ${warning}\n`);
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
