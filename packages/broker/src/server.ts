import { readFileSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type BrokerLogger, createBrokerApp } from "./app.js";
import type { BrokerConfig, ConfigProblem } from "./config.js";
import { readEnv } from "./config.js";
import { Envelope } from "./crypto.js";
import { createLogger } from "./logger.js";
import { MemorySessionStore } from "./store/memory.js";
import type { SessionStore } from "./store/types.js";

export class BrokerConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.setting}: ${p.message}`).join("\n"));
    this.problems = problems;
  }
}

/** Builds the configuration from the environment, decrypting the client secret; all problems at once. */
export async function configFromEnv(env: Record<string, string | undefined>): Promise<{
  config: BrokerConfig;
  store: "memory" | "redis";
  redisUrl?: string;
  port: number;
  host: string;
}> {
  const { values, problems } = readEnv(env, (path) => readFileSync(path, "utf8"));
  let clientSecret = values.clientSecret;
  if (!clientSecret && values.sealedSecret && values.secretKey) {
    try {
      clientSecret = await new Envelope(values.secretKey).open(values.sealedSecret);
    } catch {
      problems.push({
        setting: "MONZO_CLIENT_SECRET_ENCRYPTED",
        message:
          "cannot be decrypted with this key (made with another key, or damaged): run monzo-broker encrypt-secret again",
      });
    }
  }
  if (problems.length > 0) throw new BrokerConfigError(problems);
  const { store, redisUrl, port, host, sealedSecret: _s, secretKey: _k, clientSecret: _c, ...rest } = values;
  return {
    config: { ...rest, clientSecret: clientSecret! },
    store,
    ...(redisUrl ? { redisUrl } : {}),
    port,
    host,
  };
}

/**
 * The configured store; Redis names its keys and authenticates its records with keys derived from the shared
 * key (config.codeKey), and tells `logger` when a record fails its check.
 */
export async function createStore(
  kind: "memory" | "redis",
  redisUrl: string | undefined,
  key: Uint8Array,
  logger?: BrokerLogger,
): Promise<SessionStore> {
  if (kind === "redis") {
    // @redis/client is an optional peer dependency (more than half of an install), loaded only here.
    const { RedisSessionStore, RedisUnavailableError } = await import("./store/redis.js").catch(
      (error: unknown) => {
        const e = error as { code?: unknown; message?: unknown };
        if (e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("'@redis/client'"))
          throw new BrokerConfigError([
            {
              setting: "BROKER_STORE",
              message:
                "redis needs the @redis/client package, which is not installed: run npm install @redis/client@6 where @monzokit/broker is installed (with npx: npx -p @monzokit/broker -p @redis/client@6 monzo-broker)",
            },
          ]);
        throw error;
      },
    );
    try {
      return await RedisSessionStore.connect(redisUrl!, { key, ...(logger ? { logger } : {}) });
    } catch (error) {
      // Fail fast with the reason rather than wait: at start, a Redis the broker cannot use is a setting
      // to fix (see the README: once running, an outage is 503 with Retry-After while it reconnects).
      if (error instanceof RedisUnavailableError)
        throw new BrokerConfigError([{ setting: "REDIS_URL", message: error.reason }]);
      throw error;
    }
  }
  return new MemorySessionStore();
}

/**
 * A warning when the key file can be read (or written) by anyone but its owner: the key opens the client
 * secret and every parked code. Undefined when it is 0600 (or 0400), or there is no key file.
 */
export function keyFileWarning(env: Record<string, string | undefined>): string | undefined {
  const file = env["BROKER_KEY_FILE"]?.trim();
  if (!file || process.platform === "win32") return undefined;
  let mode: number;
  try {
    mode = statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
  if ((mode & 0o077) === 0) return undefined;
  return `warning: BROKER_KEY_FILE ${file} is readable by other users (mode ${mode.toString(8).padStart(4, "0")}): run chmod 600 ${file}`;
}

/** Runs the broker on Node: reads the environment, listens, and stops cleanly on SIGINT/SIGTERM. */
export async function startServer(
  env: Record<string, string | undefined>,
  out: { info(m: string): void } = { info: (m) => process.stderr.write(`${m}\n`) },
) {
  const { config, store: kind, redisUrl, port, host } = await configFromEnv(env);
  const warning = keyFileWarning(env);
  if (warning) out.info(`monzo-broker: ${warning}`);
  const logger = createLogger(env["LOG_LEVEL"] ?? "info");
  const store = await createStore(kind, redisUrl, config.codeKey, logger);
  const app = createBrokerApp({ config, store, logger });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
    s.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  out.info(
    `monzo-broker listening on http://${host}:${address.port} (store: ${kind}); register ${config.publicUrl}/callback as the client's redirect URL`,
  );
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => void store.close().then(() => resolve()));
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
