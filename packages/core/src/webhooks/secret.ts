import { InvalidArgumentError } from "../errors/client-errors.js";
import { randomState } from "../oauth/authorize.js";

/**
 * A webhook secret: 256 random bits, base64url (43 characters, nothing to escape in a URL path).
 *
 * Monzo signs no delivery (REFERENCE §11.4, S-docs-50), so an unguessable URL is the only proof a POST came
 * from whoever the URL was given to: Monzo.
 *
 * @example const secret = createWebhookSecret(); // keep it with your app's configuration
 */
export function createWebhookSecret(): string {
  return randomState();
}

/** Secrets shorter than this (128 bits of base64url) are refused: they could be guessed. */
export const MIN_SECRET_LENGTH = 22;
const SECRET = /^[A-Za-z0-9_-]+$/;

/**
 * Checks a secret the app brings: at least 22 characters of `A–Z a–z 0–9 _ -` (128 bits when random).
 *
 * @throws InvalidArgumentError naming the problem (never the secret).
 * @example checkWebhookSecret(process.env.MONZO_WEBHOOK_SECRET ?? "")
 */
export function checkWebhookSecret(secret: string): void {
  if (typeof secret !== "string" || !SECRET.test(secret))
    throw new InvalidArgumentError(
      "The webhook secret must be letters, digits, '-' and '_' only",
      "Make one with createWebhookSecret().",
    );
  if (secret.length < MIN_SECRET_LENGTH)
    throw new InvalidArgumentError(
      `The webhook secret is too short (${secret.length} characters; at least ${MIN_SECRET_LENGTH})`,
      "Make one with createWebhookSecret().",
    );
}

/** RFC 3986 path characters, without `%`: what a URL parser leaves exactly as written. */
const PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

/**
 * Normalises a base path: one leading `/`, no trailing `/`, `""` for the root.
 *
 * @throws InvalidArgumentError when it holds a query, a fragment, a `%`, an empty, `.` or `..` segment, or
 * anything a URL parser would rewrite.
 * @example normaliseBasePath("monzo/hooks/") // "/monzo/hooks"
 */
export function normaliseBasePath(basePath: string): string {
  const trimmed = typeof basePath === "string" ? basePath.replace(/^\/+|\/+$/g, "") : "?";
  if (
    !PATH.test(trimmed) ||
    (trimmed !== "" &&
      trimmed.split("/").some((segment) => segment === "" || segment === "." || segment === ".."))
  )
    throw new InvalidArgumentError(
      "The webhook base path is not a plain URL path",
      'Use letters, digits and "/", e.g. "/monzo/webhooks".',
    );
  return trimmed === "" ? "" : `/${trimmed}`;
}

/**
 * The path a webhook handler answers on: `<basePath>/<secret>`. Register `https://your.host` + this path.
 *
 * @example
 * ```ts
 * const secret = createWebhookSecret();
 * const url = new URL(webhookPath(secret, "/monzo"), "https://example.com").toString();
 * await client.webhooks.ensure({ accountId, url });
 * ```
 */
export function webhookPath(secret: string, basePath = "/"): string {
  checkWebhookSecret(secret);
  return `${normaliseBasePath(basePath)}/${secret}`;
}
