import * as v from "valibot";
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

  /** @see https://docs.monzo.com/#deleting-a-web-hook */
  async delete(id: WebhookId | string, options?: CallOptions): Promise<void> {
    await this.send(
      { method: "DELETE", path: `/webhooks/${encodeURIComponent(id)}`, replaySafe: true },
      options,
    );
  }
}
