import type { Context, Hono } from "hono";
import type { OAuthClient } from "../options.js";
import type { EmulatorState } from "../state.js";
import { IdGenerator } from "../util/ids.js";

interface PendingConsent {
  client: OAuthClient;
  redirectUri: string;
  state: string | undefined;
}

/**
 * The auth origin (REFERENCE §2.2–2.3, §2.11): the login/consent page Monzo shows at auth.monzo.com,
 * and the Monzo app's "allow access to your data" screen, as real HTML a person or a headless browser
 * can click through.
 */
export function pageRoutes(app: Hono, state: EmulatorState, prefix: string): void {
  const consents = new Map<string, PendingConsent>();

  app.get(`${prefix}/`, (c) => {
    const s = state;
    const q = new URL(c.req.url).searchParams;
    const clientId = q.get("client_id") ?? "";
    const redirectUri = q.get("redirect_uri") ?? "";
    const client = s.authority.clients.get(clientId);
    // Never redirect to an address the client did not register: show the problem instead (REFERENCE §2.2).
    if (!client)
      return errorPage(
        c,
        "Unknown app",
        `No OAuth client has the id “${clientId || "(none)"}”. Check the client id you configured.`,
      );
    if (!client.redirectUris.includes(redirectUri)) {
      return errorPage(
        c,
        "Redirect URL not registered",
        `“${redirectUri || "(none)"}” is not one of the redirect URLs registered for ${client.name ?? client.id}. Registered: ${client.redirectUris.join(", ")}.`,
      );
    }
    if (q.get("response_type") !== "code") {
      return errorPage(
        c,
        "Unsupported response type",
        "response_type must be “code”: Monzo supports only the authorization-code flow.",
      );
    }
    const oauthState = q.get("state") ?? undefined;
    const auto = s.options.autoConsent;
    if (auto) {
      const userId = typeof auto === "string" ? auto : [...s.bank.users.keys()][0]!;
      return c.redirect(
        callbackUrl(redirectUri, {
          code: s.authority.issueCode(client.id, redirectUri, userId),
          state: oauthState,
        }),
        302,
      );
    }
    const nonce = IdGenerator.random(32);
    // Pages opened and never submitted must not grow memory without bound: keep the newest 10,000.
    if (consents.size >= 10_000) consents.delete(consents.keys().next().value!);
    consents.set(nonce, { client, redirectUri, state: oauthState });
    const users = [...s.bank.users.values()];
    return page(
      c,
      "Log in to Monzo",
      `<h1>Log in to Monzo</h1>
<p><strong>${esc(client.name ?? client.id)}</strong> wants to connect to your Monzo account.</p>
<p class="muted">You will be sent back to <code>${esc(new URL(redirectUri).origin)}</code>. In real Monzo you would get a magic link by email; here you pick who you are.</p>
<form method="post" action="${prefix}/authorize">
  <input type="hidden" name="consent" value="${nonce}">
  <fieldset><legend>Log in as</legend>
  ${users.map((u, i) => `<label><input type="radio" name="user_id" value="${esc(u.id)}"${i === 0 ? " checked" : ""}> ${esc(u.name)} <span class="muted">${esc(u.email)}</span></label>`).join("\n  ")}
  </fieldset>
  <button type="submit" name="decision" value="allow" id="allow">Allow</button>
  <button type="submit" name="decision" value="deny" id="deny" class="secondary">Deny</button>
</form>`,
    );
  });

  app.post(`${prefix}/authorize`, async (c) => {
    const s = state;
    const form = new URLSearchParams(await c.req.text());
    const consent = consents.get(form.get("consent") ?? "");
    if (!consent) return errorPage(c, "This login page has expired", "Start the login again from your app.");
    consents.delete(form.get("consent") ?? "");
    if (form.get("decision") !== "allow") {
      return c.redirect(
        callbackUrl(consent.redirectUri, {
          error: "access_denied",
          error_description: "The user denied access",
          state: consent.state,
        }),
        302,
      );
    }
    const userId = form.get("user_id") ?? "";
    if (!s.bank.users.has(userId)) return errorPage(c, "Unknown user", "Pick one of the listed users.");
    const code = s.authority.issueCode(consent.client.id, consent.redirectUri, userId);
    return c.redirect(callbackUrl(consent.redirectUri, { code, state: consent.state }), 302);
  });

  app.get(`${prefix}/app`, (c) => {
    const s = state;
    const pending = s.authority.pendingGrants();
    // Only the page's own messages: `done` names one, it never carries text (a link could make it say anything).
    const notice = NOTICES[new URL(c.req.url).searchParams.get("done") ?? ""];
    const rows = pending
      .map((g) => {
        const client = s.authority.clients.get(g.clientId);
        const user = s.bank.users.get(g.userId);
        return `<li class="card"><p><strong>${esc(client?.name ?? g.clientId)}</strong> wants to access ${esc(user?.name ?? g.userId)}’s account data.</p>
<form method="post" action="${prefix}/app/decision"><input type="hidden" name="grant" value="${esc(g.id)}">
<button type="submit" name="decision" value="approve" class="approve">Approve</button>
<button type="submit" name="decision" value="decline" class="decline secondary">Decline</button></form></li>`;
      })
      .join("\n");
    return page(
      c,
      "Monzo app — approvals",
      `<h1>Monzo app</h1>
${notice ? `<p class="notice ${notice.kind}" id="notice" role="status">${esc(notice.text)}</p>` : ""}
<h2>Allow access to your data</h2>
${pending.length ? `<ul class="list">${rows}</ul>` : `<p id="empty">Nothing is waiting for approval.</p>`}
<p><a href="${prefix}/app">Refresh</a></p>`,
    );
  });

  app.post(`${prefix}/app/decision`, async (c) => {
    const s = state;
    const form = new URLSearchParams(await c.req.text());
    const grant = s.authority.grants.find((g) => g.id === form.get("grant"));
    let done: keyof typeof NOTICES = "gone";
    if (grant && form.get("decision") === "approve" && s.authority.approve(grant)) done = "approved";
    if (grant && form.get("decision") === "decline" && s.authority.decline(grant)) done = "declined";
    return c.redirect(`${prefix}/app?done=${done}`, 303);
  });
}

/** What the approvals page can say after a decision: a decline is not a success, and looks it. */
const NOTICES: Record<string, { kind: "success" | "declined" | "info"; text: string }> = {
  approved: { kind: "success", text: "Approved. The app can now see your data." },
  declined: { kind: "declined", text: "Declined. The app’s access was revoked." },
  gone: { kind: "info", text: "That request is no longer waiting." },
};

function callbackUrl(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// Colours meet WCAG AA (4.5:1 for text; 3:1 for a button's edge against the page), checked in Chromium by
// test/pages.test.ts. Deny and Decline are outlined, not greyed: they are real choices, not disabled ones.
const STYLE = `body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#111122;background:#fafbff;line-height:1.45;overflow-wrap:anywhere}
h1{color:#14233c}a{color:#1a4fd6}
button{font:inherit;padding:.6rem 1.4rem;margin:.8rem .6rem 0 0;border:2px solid #b8261b;border-radius:2rem;background:#b8261b;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#14233c;border-color:#14233c}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #1a4fd6;outline-offset:2px}
fieldset{border:1px solid #767c8c;border-radius:.6rem;min-width:0}label{display:block;margin:.4rem 0}.muted{color:#555b6b}
.card{list-style:none;background:#fff;border:1px solid #767c8c;border-radius:.8rem;padding:1rem;margin:1rem 0}.list{padding:0}
.notice{padding:.6rem .8rem;border-radius:.4rem;border-left:.4rem solid}
.notice.success{background:#e6f4ea;color:#0b3d1f;border-color:#1e7b34}
.notice.declined{background:#fdecea;color:#5c1410;border-color:#b3261e}
.notice.info{background:#eef1f7;color:#14233c;border-color:#14233c}
code{background:#e9ebf5;color:#111122;padding:0 .3rem}`;

function page(c: Context, title: string, body: string, status: 200 | 400 = 200) {
  c.header(
    "content-security-policy",
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
  );
  // `same-origin`, not `no-referrer`: the form posts must carry their real Origin (no-referrer makes it "null"),
  // and no other site ever learns these pages' addresses.
  c.header("referrer-policy", "same-origin");
  c.header("x-frame-options", "DENY");
  c.header("cache-control", "no-store");
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`,
    status,
  );
}

function errorPage(c: Context, title: string, message: string) {
  return page(c, title, `<h1 id="error">${esc(title)}</h1><p>${esc(message)}</p>`, 400);
}
