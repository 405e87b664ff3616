/**
 * Secrets never reach a message, a `cause`, `toJSON` or a log: every error passes what it shows through
 * here. Known values are replaced wherever they appear; anything shaped like a Monzo token or a bearer
 * header is masked even when we were not told about it.
 *
 * Two lists, process-wide. Configured secrets (`registerSecret`: a client secret, a key) are kept for the
 * life of the process and never pushed out. The tokens and codes core itself handles for this process
 * (`rememberSecret`) go in a bounded list of the most recent, which can never push out a configured one.
 * A server that handles other people's tokens (a broker) tells core not to remember them
 * (`rememberSecrets: false`): text a caller sends must not become something masked in everyone's errors.
 */
const configured = new Set<string>();
const recent = new Set<string>();
const RECENT_MAX = 256;
const MIN_LENGTH = 8;

/**
 * Registers a secret this process is configured with (client secret, keys): masked in every output for
 * the life of the process, never forgotten. Not for values that arrive in requests.
 *
 * @example registerSecret(process.env.MONZO_CLIENT_SECRET);
 */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_LENGTH) return;
  configured.add(value);
  recent.delete(value);
}

/**
 * Remembers a token or code this process itself was issued or handles, among the most recent 256
 * (old, rotated-away tokens fall out first; configured secrets never do). Internal to core.
 */
export function rememberSecret(value: string | undefined): void {
  if (!value || value.length < MIN_LENGTH || configured.has(value)) return;
  recent.delete(value);
  recent.add(value);
  if (recent.size > RECENT_MAX) recent.delete(recent.values().next().value!);
}

const PATTERNS: [RegExp, string][] = [
  [/(Bearer\s+)[^\s"',]+/gi, "$1[redacted]"],
  [/\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g, "[redacted-token]"],
  [/\bmnz(?:conf|pub)\.[\w.-]+/g, "[redacted-secret]"],
  [/((?:access_token|refresh_token|client_secret|code)=)[^&\s"']+/gi, "$1[redacted]"],
  [/("(?:access_token|refresh_token|client_secret|code)"\s*:\s*")[^"]*"/gi, '$1[redacted]"'],
];

/**
 * Returns `text` with every registered or remembered secret, each of `also` (a call's own secrets, which
 * it may not remember process-wide), and every token-shaped string masked.
 *
 * @example console.error(redact(String(error)));
 */
export function redact(text: string, also?: readonly (string | undefined)[]): string {
  let out = text;
  const mask = (secret: string | undefined) => {
    if (secret && secret.length >= MIN_LENGTH && out.includes(secret))
      out = out.split(secret).join("[redacted]");
  };
  if (also) for (const secret of also) mask(secret);
  for (const secret of configured) mask(secret);
  for (const secret of recent) mask(secret);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Deep-copies a JSON-like value with every string redacted and secret-named keys masked.
 *
 * @example log.info(redactValue(responseBody));
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redact(value);
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      /^(access_token|refresh_token|client_secret|code|authorization|secret|token)$/i.test(k) &&
      typeof v === "string"
        ? "[redacted]"
        : redactValue(v, depth + 1);
  }
  return out;
}
