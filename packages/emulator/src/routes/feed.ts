import type { Hono } from "hono";
import { badParam, MonzoHttpError, missingParam } from "../http/errors.js";
import { Params } from "../http/params.js";
import type { EmulatorState } from "../state.js";
import { formatTime } from "../util/time.js";
import { approved, ownAccount } from "./guard.js";

const COLOR = /^#[0-9A-Fa-f]{6}$/;

/** `POST /feed` (REFERENCE §8): form-encoded `params[…]`; items are kept for `/_emulator/feed`. */
export function feedRoutes(app: Hono, state: EmulatorState): void {
  app.post("/feed", async (c) => {
    const grant = approved(c, state);
    const form = await feedForm(c.req.raw, state.quirks.feedAcceptsJson);
    const account = ownAccount(state, grant, form.get("account_id"));
    const type = form.get("type");
    if (!type) throw missingParam("type");
    if (type !== "basic") throw badParam("type", "Only feed items of type 'basic' are supported");
    const params = Object.fromEntries(form.map("params"));
    for (const field of ["title", "image_url"]) {
      if (!params[field]) throw missingParam(`params[${field}]`);
    }
    for (const field of ["background_color", "title_color", "body_color"]) {
      const value = params[field];
      if (value !== undefined && !COLOR.test(value))
        throw badParam(`params[${field}]`, `params[${field}] must look like #RRGGBB`);
    }
    const url = form.get("url");
    if (url !== undefined && !isHttpUrl(url)) throw badParam("url", "The field 'url' must be an http(s) URL");
    if (!isHttpUrl(params["image_url"]!))
      throw badParam("params[image_url]", "params[image_url] must be an http(s) URL");
    state.feed.push({
      account_id: account.json.id,
      client_id: grant.clientId,
      type,
      ...(url ? { url } : {}),
      params,
      created: formatTime(state.clock.now()),
    });
    return c.json({});
  });
}

/** The documented form body; a JSON body (as monzo-lib sends) only when the quirk allows it (REFERENCE §1.3). */
async function feedForm(request: Request, acceptJson: boolean): Promise<Params> {
  if (acceptJson && /^application\/json\b/i.test(request.headers.get("content-type") ?? "")) {
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      throw new MonzoHttpError("bad_request.invalid_json", "The request body is not valid JSON");
    }
    const flat = new URLSearchParams();
    if (body && typeof body === "object") {
      for (const [key, value] of Object.entries(body)) {
        if (key === "params" && value && typeof value === "object") {
          for (const [k, v] of Object.entries(value)) flat.append(`params[${k}]`, String(v));
        } else flat.append(key, String(value));
      }
    }
    return new Params(flat);
  }
  return Params.fromForm(request);
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
