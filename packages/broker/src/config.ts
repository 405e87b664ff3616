import { checkBaseUrl, MONZO_API_URL, MONZO_AUTH_URL } from "@monzokit/core";
import { isAddressOrRange, type TrustProxy } from "./client-address.js";
import { isWeakKey, parseKey } from "./crypto.js";

/** Everything the broker needs; `createBrokerApp` takes it whole, `server.ts` builds it from the environment. */
export interface BrokerConfig {
  clientId: string;
  /** The OAuth client secret, already decrypted. */
  clientSecret: string;
  /** Where this broker is reached from browsers; Monzo redirects to `<publicUrl>/callback`. */
  publicUrl: string;
  authUrl: string;
  apiUrl: string;
  /** 32-byte key that seals parked codes (shared by every instance behind one store). */
  codeKey: Uint8Array;
  /** How long a login may wait to be collected. Default 10 minutes. */
  sessionTtlMs: number;
  /** Longest `wait=` a poller may ask for, in seconds. Default 25. */
  maxWaitSeconds: number;
  /** Requests per minute per client address: `/new`, `/token`, `/refresh`. */
  rateLimits: { new: number; token: number; refresh: number };
  /**
   * Accept `/new` without `return_to`, as the original broker did (`BROKER_UNBOUND_LOGINS=1`). Such a login is
   * not bound to the app that started it: whoever sends its login URL to someone collects that person's
   * tokens. Default false: every login returns the browser to the app's own loopback address with a one-time
   * confirmation the poller must present.
   */
  unboundLogins?: boolean;
  /** Origins allowed to call from a browser (CORS); empty = none. */
  corsOrigins: string[];
  /**
   * Which `X-Forwarded-For` hops to believe (`BROKER_TRUST_PROXY`): `false`, none; a number, that many
   * reverse proxies in front (the client is that many hops from the right; `true` is 1); a list of the
   * proxies' addresses or CIDR ranges (the client is the rightmost hop not among them).
   */
  trustProxy: TrustProxy | boolean;
  /**
   * Most logins the store holds at once, pending or waiting to be collected (`BROKER_MAX_PENDING`); over it
   * `/new` answers 503 with `Retry-After`. Default 10,000.
   */
  maxPendingSessions?: number;
  allowInsecure: boolean;
}

export const DEFAULTS = {
  sessionTtlMs: 10 * 60_000,
  maxWaitSeconds: 25,
  rateLimits: { new: 30, token: 600, refresh: 60 },
  maxPendingSessions: 10_000,
};

/** A setting that is missing or wrong, named with what to do. */
export interface ConfigProblem {
  setting: string;
  message: string;
}

/**
 * Reads the environment. Returns every problem at once (one line each) rather than stopping at the
 * first, so a deployment is fixed in one go. `clientSecret` may be plain or sealed
 * (`MONZO_CLIENT_SECRET_ENCRYPTED` + `BROKER_KEY`/`BROKER_KEY_FILE`); the caller decrypts it.
 */
export function readEnv(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): {
  values: Omit<BrokerConfig, "clientSecret"> & {
    clientSecret?: string;
    sealedSecret?: string;
    secretKey?: Uint8Array;
    store: "memory" | "redis";
    redisUrl?: string;
    port: number;
    host: string;
  };
  problems: ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  const need = (name: string): string => {
    const v = env[name]?.trim();
    if (!v) problems.push({ setting: name, message: `${name} is not set` });
    return v ?? "";
  };
  const url = (name: string, fallback: string, allowInsecure: boolean): string => {
    const v = env[name]?.trim() || fallback;
    try {
      checkBaseUrl(v, name, allowInsecure);
    } catch (e) {
      problems.push({ setting: name, message: (e as Error).message });
    }
    return v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = env[name]?.trim();
    if (!v) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      problems.push({
        setting: name,
        message: `${name} must be a whole number from ${min} to ${max}, not "${v}"`,
      });
    return n;
  };
  const flag = (name: string): boolean => {
    const v = env[name]?.trim() ?? "";
    if (v === "" || v === "0") return false;
    if (v === "1") return true;
    problems.push({ setting: name, message: `${name} must be 1 or 0, not "${v}"` });
    return false;
  };
  const allowInsecure = env["BROKER_ALLOW_INSECURE"] === "1";
  const key = (): Uint8Array | undefined => {
    const found = keyFromEnv(env, readFile);
    if ("problem" in found) {
      problems.push(found.problem);
      return undefined;
    }
    return found.key;
  };

  const clientId = need("MONZO_CLIENT_ID");
  const sealedSecret = env["MONZO_CLIENT_SECRET_ENCRYPTED"]?.trim();
  const plainSecret = env["MONZO_CLIENT_SECRET"]?.trim();
  const secretKey = key();
  if (!sealedSecret && !plainSecret)
    problems.push({
      setting: "MONZO_CLIENT_SECRET",
      message: "set MONZO_CLIENT_SECRET, or MONZO_CLIENT_SECRET_ENCRYPTED with BROKER_KEY or BROKER_KEY_FILE",
    });
  if (sealedSecret && !secretKey && !problems.some((p) => p.setting.startsWith("BROKER_KEY")))
    problems.push({
      setting: "BROKER_KEY",
      message: "MONZO_CLIENT_SECRET_ENCRYPTED needs BROKER_KEY or BROKER_KEY_FILE to decrypt it",
    });
  const publicUrl = need("BROKER_PUBLIC_URL");
  if (publicUrl) url("BROKER_PUBLIC_URL", publicUrl, allowInsecure);
  const store = (env["BROKER_STORE"]?.trim() || "memory") as "memory" | "redis";
  if (store !== "memory" && store !== "redis")
    problems.push({
      setting: "BROKER_STORE",
      message: `BROKER_STORE must be memory or redis, not "${store}"`,
    });
  const redisUrl = env["REDIS_URL"]?.trim();
  if (store === "redis" && !redisUrl)
    problems.push({
      setting: "REDIS_URL",
      message: "BROKER_STORE=redis needs REDIS_URL (redis://host:6379)",
    });
  if (store === "redis" && !secretKey)
    problems.push({
      setting: "BROKER_KEY",
      message: "several instances must seal codes with one shared key: set BROKER_KEY or BROKER_KEY_FILE",
    });
  const values = {
    clientId,
    ...(plainSecret ? { clientSecret: plainSecret } : {}),
    ...(sealedSecret ? { sealedSecret } : {}),
    ...(secretKey ? { secretKey } : {}),
    publicUrl: publicUrl.replace(/\/+$/, ""),
    authUrl: url("MONZO_AUTH_URL", MONZO_AUTH_URL, allowInsecure),
    apiUrl: url("MONZO_API_URL", MONZO_API_URL, allowInsecure),
    codeKey: secretKey ?? crypto.getRandomValues(new Uint8Array(32)),
    sessionTtlMs: int("BROKER_SESSION_TTL_SECONDS", DEFAULTS.sessionTtlMs / 1000, 60, 3600) * 1000,
    maxWaitSeconds: int("BROKER_MAX_WAIT_SECONDS", DEFAULTS.maxWaitSeconds, 0, 60),
    rateLimits: {
      new: int("BROKER_RATE_NEW", DEFAULTS.rateLimits.new, 1, 100_000),
      token: int("BROKER_RATE_TOKEN", DEFAULTS.rateLimits.token, 1, 100_000),
      refresh: int("BROKER_RATE_REFRESH", DEFAULTS.rateLimits.refresh, 1, 100_000),
    },
    corsOrigins: (env["BROKER_CORS_ORIGINS"] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    trustProxy: trustProxy(env["BROKER_TRUST_PROXY"], problems),
    unboundLogins: flag("BROKER_UNBOUND_LOGINS"),
    maxPendingSessions: int("BROKER_MAX_PENDING", DEFAULTS.maxPendingSessions, 1, 10_000_000),
    allowInsecure,
    store,
    ...(redisUrl ? { redisUrl } : {}),
    port: int("PORT", 8080, 0, 65535),
    host: env["HOST"]?.trim() || "127.0.0.1",
  };
  return { values, problems };
}

/** `BROKER_TRUST_PROXY`: unset or 0, none; 1–10, that many proxies; else a list of addresses or CIDR ranges. */
function trustProxy(value: string | undefined, problems: ConfigProblem[]): TrustProxy {
  const v = value?.trim() ?? "";
  if (v === "" || v === "0" || v === "false") return false;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n <= 10) return n;
  } else {
    const list = v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = list.filter((s) => !isAddressOrRange(s));
    if (bad.length === 0 && list.length > 0) return list;
  }
  problems.push({
    setting: "BROKER_TRUST_PROXY",
    message: `BROKER_TRUST_PROXY must be the number of reverse proxies in front of the broker (1–10) or a comma-separated list of their addresses or CIDR ranges (e.g. 10.0.0.0/8,::1), not "${v}"`,
  });
  return false;
}

/**
 * The one rule for the key, shared by the server and `monzo-broker encrypt-secret`: `BROKER_KEY` or
 * `BROKER_KEY_FILE`, never both (which one would win is a trap: a secret sealed with one and served with the
 * other cannot be opened); 32 bytes as base64url, base64 or hex; and random (an all-zero or patterned key is
 * refused).
 */
export function keyFromEnv(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): { key: Uint8Array | undefined; file?: string } | { problem: ConfigProblem } {
  const file = env["BROKER_KEY_FILE"]?.trim();
  const inline = env["BROKER_KEY"]?.trim();
  if (file && inline)
    return {
      problem: {
        setting: "BROKER_KEY_FILE",
        message: "set one of BROKER_KEY and BROKER_KEY_FILE, not both (unset the one you do not mean)",
      },
    };
  const setting = file ? "BROKER_KEY_FILE" : "BROKER_KEY";
  let text = inline;
  if (file) {
    try {
      text = readFile(file);
    } catch (e) {
      return { problem: { setting, message: `cannot read ${file}: ${(e as Error).message}` } };
    }
  }
  if (!text) return { key: undefined };
  const parsed = parseKey(text);
  if (!parsed)
    return {
      problem: {
        setting,
        message:
          "the key must be 32 bytes as base64url, base64 or hex (make one with: monzo-broker gen-key --out FILE)",
      },
    };
  if (isWeakKey(parsed))
    return {
      problem: {
        setting,
        message:
          "the key is not random (all zero, or a short pattern repeated): make one with monzo-broker gen-key --out FILE",
      },
    };
  return file ? { key: parsed, file } : { key: parsed };
}
