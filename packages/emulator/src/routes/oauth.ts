import type { Hono } from "hono";
import { MonzoHttpError } from "../http/errors.js";
import { Params } from "../http/params.js";
import type { EmulatorState } from "../state.js";
import { authenticated } from "./guard.js";

/** `/oauth2/token`, `/oauth2/logout`, `/ping/whoami` (REFERENCE §2.4–2.10). */
export function oauthRoutes(app: Hono, state: EmulatorState): void {
  app.post("/oauth2/token", async (c) => {
    const form = await Params.fromForm(c.req.raw);
    const grantType = form.get("grant_type");
    const common = { clientId: form.get("client_id"), clientSecret: form.get("client_secret") };
    const strip = <T extends object>(o: T) =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
        [K in keyof T]: Exclude<T[K], undefined>;
      };
    if (grantType === "authorization_code") {
      return c.json(
        state.authority.exchangeCode(
          strip({ ...common, redirectUri: form.get("redirect_uri"), code: form.get("code") }),
        ),
      );
    }
    if (grantType === "refresh_token") {
      return c.json(state.authority.refresh(strip({ ...common, refreshToken: form.get("refresh_token") })));
    }
    if (!grantType) {
      throw new MonzoHttpError("bad_request.missing_param.grant_type", "The field 'grant_type' is required", {
        extra: { error: "invalid_request", error_description: "grant_type is required" },
      });
    }
    throw new MonzoHttpError("bad_request.bad_param.grant_type", `Unsupported grant_type '${grantType}'`, {
      extra: {
        error: "unsupported_grant_type",
        error_description: "Only authorization_code and refresh_token are supported",
      },
    });
  });

  app.post("/oauth2/logout", (c) => {
    const grant = authenticated(c, state);
    state.authority.logout(grant);
    return c.json(state.quirks.logoutResponse === "ok_true" ? { ok: true } : {});
  });

  app.get("/ping/whoami", (c) => {
    const grant = authenticated(c, state);
    if (state.quirks.whoamiBeforeApproval === "forbidden" && grant.approval !== "approved") {
      // One third-party suite saw this code from whoami while approval was pending (REFERENCE §2.10).
      throw new MonzoHttpError("forbidden.verification_required", "Verification required", {
        params: { client_id: grant.clientId, user_id: grant.userId },
      });
    }
    return c.json({ authenticated: true, client_id: grant.clientId, user_id: grant.userId });
  });
}
