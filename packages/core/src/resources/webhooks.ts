import * as v from "valibot";
import { NotFoundError } from "../errors/api-error.js";
import { InvalidArgumentError } from "../errors/client-errors.js";
import type { AccountId, WebhookId } from "../models/ids.js";
import { unwrap, type Webhook, WebhookSchema } from "../models/schemas.js";
import type { CallOptions } from "../transport/transport.js";
import { Resource } from "./resource.js";

/**
 * Webhooks (REFERENCE §11). Deliveries are unsigned: put a secret in the URL's query string.
 *
 * @example await client.webhooks.create({ accountId, url: "https://example.com/hook?secret=…" });
 */
export class Webhooks extends Resource {
  /** @see https://docs.monzo.com/#registering-a-web-hook */
  async create(
    params: { accountId: AccountId | string; url: string },
    options?: CallOptions,
  ): Promise<Webhook> {
    const body = await this.send(
      {
        method: "POST",
        path: "/webhooks",
        form: { account_id: params.accountId, url: params.url },
        replaySafe: false,
      },
      options,
    );
    return unwrap(WebhookSchema, body, "webhook", "POST /webhooks");
  }

  /** The webhooks this client registered on the account. @see https://docs.monzo.com/#list-web-hooks */
  async list(accountId: AccountId | string, options?: CallOptions): Promise<Webhook[]> {
    const body = await this.send(
      { method: "GET", path: "/webhooks", query: { account_id: accountId }, replaySafe: true },
      options,
    );
    return unwrap(v.array(WebhookSchema), body, "webhooks", "GET /webhooks");
  }

  /**
   * Leaves exactly one registration of `url` on the account: creates it when there is none, deletes any
   * duplicates of that exact URL (the oldest one is kept), and never touches other URLs. Run it at every
   * start-up; running it twice changes nothing.
   *
   * Registration is not replay-safe at Monzo (a retried `POST /webhooks` could register twice), so `create` is
   * never retried; a duplicate a lost answer left behind is removed by the next `ensure`.
   *
   * @returns the registration kept, whether it was created now, and the ids of duplicates removed.
   * @example
   * ```ts
   * const { webhook, created } = await client.webhooks.ensure({ accountId, url: "https://example.com/monzo/" + secret });
   * ```
   * @see https://docs.monzo.com/#webhooks
   */
  async ensure(
    params: { accountId: AccountId | string; url: string },
    options?: CallOptions,
  ): Promise<{ webhook: Webhook; created: boolean; removed: WebhookId[] }> {
    if (typeof params.url !== "string" || !/^https?:\/\//i.test(params.url) || !URL.canParse(params.url))
      throw new InvalidArgumentError(
        "The webhook URL must be an absolute http(s) URL",
        "Pass the full URL Monzo should POST to, e.g. https://example.com/monzo/<secret>.",
      );
    const same = (await this.list(params.accountId, options)).filter((w) => w.url === params.url);
    const [keep, ...duplicates] = same;
    const removed: WebhookId[] = [];
    for (const duplicate of duplicates) {
      try {
        await this.delete(duplicate.id, options);
      } catch (error) {
        // Someone else removed it first: the outcome we want.
        if (!(error instanceof NotFoundError)) throw error;
      }
      removed.push(duplicate.id);
    }
    if (keep) return { webhook: keep, created: false, removed };
    return { webhook: await this.create(params, options), created: true, removed };
  }

  /** @see https://docs.monzo.com/#deleting-a-web-hook */
  async delete(id: WebhookId | string, options?: CallOptions): Promise<void> {
    await this.send(
      { method: "DELETE", path: `/webhooks/${encodeURIComponent(id)}`, replaySafe: true },
      options,
    );
  }
}
