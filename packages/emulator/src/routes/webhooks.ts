import type { Hono } from "hono";
import { badParam, MonzoHttpError, missingParam } from "../http/errors.js";
import { Params } from "../http/params.js";
import type { EmulatorState } from "../state.js";
import { isHttpUrl } from "./feed.js";
import { approved, ownAccount, requireId } from "./guard.js";

/** Webhook registration, per client and account (REFERENCE §11.1–11.3). */
export function webhookRoutes(app: Hono, state: EmulatorState): void {
  app.post("/webhooks", async (c) => {
    const grant = approved(c, state);
    const form = await Params.fromForm(c.req.raw);
    const account = ownAccount(state, grant, form.get("account_id"));
    const url = form.get("url");
    if (!url) throw missingParam("url");
    if (!isHttpUrl(url)) throw badParam("url", "The field 'url' must be an http(s) URL");
    const webhook = {
      id: state.ids.next("webhook"),
      accountId: account.json.id,
      clientId: grant.clientId,
      url,
    };
    state.webhooks.set(webhook.id, webhook);
    return c.json({ webhook: { account_id: webhook.accountId, id: webhook.id, url } });
  });

  app.get("/webhooks", (c) => {
    const grant = approved(c, state);
    const account = ownAccount(state, grant, Params.fromQuery(c.req.url).get("account_id"));
    const webhooks = [...state.webhooks.values()]
      .filter((w) => w.accountId === account.json.id && w.clientId === grant.clientId)
      .map((w) => ({ account_id: w.accountId, id: w.id, url: w.url }));
    return c.json({ webhooks });
  });

  app.delete("/webhooks/:webhook_id", (c) => {
    const grant = approved(c, state);
    const id = requireId(c.req.param("webhook_id"), "webhook_id", "webhook");
    const webhook = state.webhooks.get(id);
    if (!webhook || webhook.clientId !== grant.clientId)
      throw new MonzoHttpError("not_found.webhook", "Webhook not found");
    state.webhooks.delete(id);
    return c.json({});
  });
}
