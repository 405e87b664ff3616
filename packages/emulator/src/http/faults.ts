import type { FaultRule } from "../options.js";
import type { EmulatorState } from "../state.js";
import { MonzoHttpError } from "./errors.js";

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

/** True when faults could change this request: lets the hot path skip them with one check. */
export function faultsActive(state: EmulatorState): boolean {
  const f = state.faults;
  return (f.latencyMs ?? 0) > 0 || (f.jitterMs ?? 0) > 0 || (f.rules?.length ?? 0) > 0;
}

/**
 * Latency, 429 with Retry-After, 5xx and dropped connections, per route or at a seeded rate
 * (options, `monzo-emulator` flags or `POST /_emulator/faults`). Resolves to the response that replaces
 * the real one, or `undefined` to go on; a 429 or 5xx is thrown as a Monzo-shaped error.
 */
export async function injectFault(
  state: EmulatorState,
  method: string,
  path: string,
  env: unknown,
): Promise<Response | undefined> {
  const { latencyMs = 0, jitterMs = 0, rules = [] } = state.faults;
  const delay = latencyMs + (jitterMs > 0 ? state.faultRng.next() * jitterMs : 0);
  if (delay > 0) await sleep(delay);
  for (const [i, rule] of rules.entries()) {
    if (!ruleMatches(rule, method, path)) continue;
    if (rule.count !== undefined && (state.faultFired[i] ?? 0) >= rule.count) continue;
    if (rule.rate !== undefined && rule.rate < 1 && !(state.faultRng.next() < rule.rate)) continue;
    state.faultFired[i] = (state.faultFired[i] ?? 0) + 1;
    if (rule.kind === "reset") {
      const incoming = (env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming;
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
  return undefined;
}

/**
 * The optional token bucket per access token (REFERENCE §12.4, §13.33), keyed by the Authorization header;
 * throws 429 when it is empty.
 */
export function takeRateLimitToken(state: EmulatorState, authorization: string | undefined): void {
  const limit = state.options.rateLimit;
  if (!limit) return;
  const key = authorization;
  if (!key) return;
  const now = state.clock.now();
  const bucket = state.buckets.get(key) ?? { tokens: limit.capacity, at: now };
  bucket.tokens = Math.min(limit.capacity, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond);
  bucket.at = now;
  state.buckets.set(key, bucket);
  if (bucket.tokens < 1) {
    const wait = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
    throw new MonzoHttpError("rate_limited", "Too many requests", {
      headers: { "retry-after": String(wait) },
    });
  }
  bucket.tokens -= 1;
}
