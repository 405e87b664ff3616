import type { MiddlewareHandler } from "hono";
import type { FaultRule } from "../options.js";
import type { EmulatorState } from "../state.js";
import { MonzoHttpError } from "./errors.js";
import { requestHeader } from "./headers.js";

/** Marks a response the transport must turn into a dropped connection. */
export const RESET_HEADER = "x-monzokit-emulator-reset";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Matches `"GET /balance"`, `"/transactions*"`, `"*"` against a request. */
export function ruleMatches(rule: FaultRule, method: string, path: string): boolean {
  const spec = (rule.route ?? "*").trim();
  const [m, p] = spec.includes(" ") ? (spec.split(/\s+/, 2) as [string, string]) : ["*", spec];
  if (m !== "*" && m.toUpperCase() !== method.toUpperCase()) return false;
  const regex = new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
  return regex.test(path);
}

/**
 * Latency, 429 with Retry-After, 5xx and dropped connections, per route or at a seeded rate
 * (options, `monzo-emulator` flags or `POST /_emulator/faults`).
 */
export function faults(state: EmulatorState): MiddlewareHandler {
  return async (c, next) => {
    const s = state;
    const { latencyMs = 0, jitterMs = 0, rules = [] } = s.faults;
    const delay = latencyMs + (jitterMs > 0 ? s.faultRng.next() * jitterMs : 0);
    if (delay > 0) await sleep(delay);
    for (const [i, rule] of rules.entries()) {
      if (!ruleMatches(rule, c.req.method, c.req.path)) continue;
      if (rule.count !== undefined && (s.faultFired[i] ?? 0) >= rule.count) continue;
      if (rule.rate !== undefined && rule.rate < 1 && !(s.faultRng.next() < rule.rate)) continue;
      s.faultFired[i] = (s.faultFired[i] ?? 0) + 1;
      if (rule.kind === "reset") {
        const incoming = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming;
        incoming?.socket?.destroy();
        return new Response(null, { status: 599, headers: { [RESET_HEADER]: "1" } });
      }
      if (rule.kind === 429) {
        throw new MonzoHttpError("rate_limited", "Too many requests", {
          headers: { "retry-after": String(rule.retryAfter ?? 1) },
        });
      }
      const code = rule.kind === 504 ? "timeout" : "internal_service";
      throw new MonzoHttpError(code, "Injected fault", { status: rule.kind });
    }
    await next();
  };
}

/** The optional token bucket per access token (REFERENCE §12.4, §13.33). */
export function rateLimit(state: EmulatorState): MiddlewareHandler {
  return async (c, next) => {
    const s = state;
    const limit = s.options.rateLimit;
    if (!limit) return next();
    const key = requestHeader(c, "authorization");
    if (!key) return next();
    const now = s.clock.now();
    const bucket = s.buckets.get(key) ?? { tokens: limit.capacity, at: now };
    bucket.tokens = Math.min(limit.capacity, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
    bucket.at = now;
    s.buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
      throw new MonzoHttpError("rate_limited", "Too many requests", {
        headers: { "retry-after": String(wait) },
      });
    }
    bucket.tokens -= 1;
    return next();
  };
}
