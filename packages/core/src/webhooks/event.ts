import { MonzoError } from "../errors/monzo-error.js";
import { InvalidResponseError, parse, type Transaction, TransactionSchema } from "../models/schemas.js";

/**
 * `transaction.created`: Monzo created a transaction on an account with a webhook (REFERENCE §11.4). `data` is
 * the full transaction, parsed with the same tolerant schema as `transactions.list` (unknown fields kept).
 *
 * @example if (event.kind === "transaction.created") console.log(event.data.amount, event.data.currency);
 */
export interface TransactionCreatedEvent {
  readonly kind: "transaction.created";
  readonly type: "transaction.created";
  readonly data: Transaction;
}

/**
 * An event type Monzokit does not know yet, kept exactly as it came (`type` as sent, `data` unparsed), so a
 * type Monzo adds later reaches your code instead of failing the delivery.
 *
 * @example if (event.kind === "unknown") log(`new Monzo event type ${event.type}`, event.data);
 */
export interface UnknownWebhookEvent {
  readonly kind: "unknown";
  readonly type: string;
  readonly data: unknown;
}

/**
 * A webhook event, discriminated by `kind` (`type` is Monzo's own string, which an unknown event shares the
 * type of). Only `transaction.created` is documented (REFERENCE §11.4).
 *
 * @example
 * ```ts
 * switch (event.kind) {
 *   case "transaction.created": record(event.data); break;
 *   case "unknown": console.log("not handled yet:", event.type);
 * }
 * ```
 */
export type WebhookEvent = TransactionCreatedEvent | UnknownWebhookEvent;

/**
 * A body that is not a Monzo webhook event: not a JSON object, no string `type`, or a `transaction.created`
 * whose `data` is not a transaction. `issues` names what is wrong (never the body's values).
 *
 * @example if (e instanceof InvalidWebhookEventError) console.error(e.issues);
 */
export class InvalidWebhookEventError extends MonzoError {
  static {
    InvalidWebhookEventError.prototype.name = "InvalidWebhookEventError";
  }

  readonly issues: string;

  constructor(issues: string, cause?: unknown) {
    super("webhook.invalid_event", `Not a Monzo webhook event: ${issues}`, {
      hint: "Only Monzo's deliveries should reach this URL; check what posted it.",
      ...(cause === undefined ? {} : { cause }),
    });
    this.issues = issues;
  }
}

/**
 * Parses a webhook body: the JSON text or the value `JSON.parse` gave. Known types are parsed with their
 * schema; any other `type` becomes an `UnknownWebhookEvent` with `data` untouched.
 *
 * @throws InvalidWebhookEventError when the body is not an event (see the class).
 * @example
 * ```ts
 * const event = parseWebhookEvent(await request.text());
 * if (event.kind === "transaction.created") console.log(event.data.description);
 * ```
 * @see https://docs.monzo.com/#transaction-created
 */
export function parseWebhookEvent(body: unknown): WebhookEvent {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      throw new InvalidWebhookEventError("the body is not JSON");
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new InvalidWebhookEventError("the body is not a JSON object");
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || type === "")
    throw new InvalidWebhookEventError('"type" is missing or not a string');
  const data = (value as { data?: unknown }).data;
  if (type !== "transaction.created") return { kind: "unknown", type, data };
  try {
    // The same parse as every transaction read, so a field Monzo adds or an odd value is tolerated here
    // exactly as it is in `transactions.list`.
    return { kind: "transaction.created", type, data: parse(TransactionSchema, data, "transaction.created") };
  } catch (error) {
    if (!(error instanceof InvalidResponseError)) throw error;
    throw new InvalidWebhookEventError(`"data" is not a transaction (${error.message})`, error);
  }
}
