/**
 * Secrets never reach a message, a `cause`, `toJSON` or a log: every error passes what it shows through
 * here. Known values (the tokens and secrets a client holds) are replaced wherever they appear; anything
 * shaped like a Monzo token or a bearer header is masked even when we were not told about it.
 */
const secrets = new Set<string>();

/**
 * Registers a value that must never appear in output (tokens, client secret, codes).
 *
 * @example registerSecret(process.env.MONZO_CLIENT_SECRET);
 */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
  // Keep the set bounded: old, rotated-away tokens fall out first.
  if (secrets.size > 256) secrets.delete(secrets.values().next().value!);
}

const PATTERNS: [RegExp, string][] = [
  [/(Bearer\s+)[^\s"',]+/gi, "$1[redacted]"],
  [/\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g, "[redacted-token]"],
  [/\bmnz(?:conf|pub)\.[\w.-]+/g, "[redacted-secret]"],
  [/((?:access_token|refresh_token|client_secret|code)=)[^&\s"']+/gi, "$1[redacted]"],
  [/("(?:access_token|refresh_token|client_secret|code)"\s*:\s*")[^"]*"/gi, '$1[redacted]"'],
];

/**
 * Returns `text` with every registered secret and every token-shaped string masked.
 *
 * @example console.error(redact(String(error)));
 */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join("[redacted]");
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
