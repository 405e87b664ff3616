// A browser app that logs in to Monzo and refreshes its token WITHOUT a client secret in the page: a
// monzo-broker holds the secret, and BrokerLogin from @monzokit/core talks to it (bundled for the browser
// with esbuild; core uses only web APIs). See packages/broker/README.md, "Browser apps".
//
//   npx esbuild examples/browser-app/app.ts --bundle --format=esm --outfile=examples/browser-app/app.js
//
// The tokens stay in this page's memory: nothing in localStorage for another script on the origin to read,
// at the price of logging in again after a reload.
import {
  type Account,
  BrokerLogin,
  formatMoney,
  MemoryTokenStore,
  MonzoClient,
  MonzoError,
  TokenManager,
  waitForApproval,
} from "@monzokit/core";

interface Config {
  brokerUrl: string;
  apiUrl: string;
}

function readConfig(): Config {
  const raw = JSON.parse(document.getElementById("monzokit-config")?.textContent ?? "{}") as Partial<Config>;
  if (typeof raw.brokerUrl !== "string" || typeof raw.apiUrl !== "string")
    throw new Error("The page's monzokit-config block needs brokerUrl and apiUrl");
  return { brokerUrl: raw.brokerUrl, apiUrl: raw.apiUrl };
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const say = (text: string) => {
  byId("status").textContent = text;
};
const fail = (error: unknown) => {
  const e =
    error instanceof MonzoError ? `${error.message}${error.hint ? ` — ${error.hint}` : ""}` : String(error);
  byId("error").textContent = e;
};

let session: { manager: TokenManager; client: MonzoClient } | undefined;

/**
 * The broker binds the login to this page's origin: after Monzo, it sends the person's browser (the new tab)
 * back to this page with `?confirm=…`, and only a poller holding that confirmation collects the tokens. That
 * tab hands it to this one over a BroadcastChannel, which only pages of this origin can hear — so a login
 * link that someone else started and sent to the person gives its sender nothing.
 */
const RETURN_CHANNEL = "monzokit-broker-return";

/**
 * Listens for the confirmation from the moment the login starts (the other tab may send it before the broker
 * asks for it); `next` hands over each one once, waiting for it if it has not come yet.
 */
function confirmations(): { next: (signal: AbortSignal) => Promise<string>; close: () => void } {
  const channel = new BroadcastChannel(RETURN_CHANNEL);
  const arrived: string[] = [];
  let waiting: ((confirm: string) => void) | undefined;
  channel.onmessage = (event: MessageEvent<unknown>) => {
    const confirm = (event.data as { confirm?: unknown } | null)?.confirm;
    if (typeof confirm !== "string") return;
    if (waiting) waiting(confirm);
    else arrived.push(confirm);
  };
  return {
    next: (signal) => {
      const ready = arrived.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        waiting = (confirm) => {
          waiting = undefined;
          resolve(confirm);
        };
        signal.addEventListener(
          "abort",
          () => {
            waiting = undefined;
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    close: () => channel.close(),
  };
}

/** In the tab the broker sent back here: pass the confirmation to the tab that started the login. */
function handOverConfirmation(): boolean {
  const confirm = new URLSearchParams(location.search).get("confirm");
  if (confirm === null) return false;
  // Off the address bar and out of the history before anything else.
  history.replaceState(null, "", location.pathname);
  const channel = new BroadcastChannel(RETURN_CHANNEL);
  channel.postMessage({ confirm });
  channel.close();
  byId("login").hidden = true;
  say("Logged in: go back to the tab where you started (you can close this one).");
  return true;
}

async function logIn(config: Config): Promise<void> {
  const broker = new BrokerLogin({ brokerUrl: config.brokerUrl });
  // This page itself is where the browser comes back (its origin must be in the broker's BROKER_CORS_ORIGINS).
  const { id, loginUrl } = await broker.start({ returnTo: `${location.origin}${location.pathname}` });
  // Listening before the link is shown: the other tab cannot come back before that.
  const confirmation = confirmations();
  // A link the person clicks (a new tab from a click is never blocked as a pop-up); noopener: Monzo's
  // page gets no handle on this one.
  const link = document.createElement("a");
  link.id = "login-link";
  link.href = loginUrl;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  link.textContent = "Continue to Monzo's login (opens a new tab)";
  byId("login-step").replaceChildren(link);
  say("Log in at Monzo in the new tab, then come back here.");
  const tokens = await broker.waitForTokens(id, { confirmation: confirmation.next }).finally(() => {
    confirmation.close();
    byId("login-step").replaceChildren();
  });
  // Refreshes go through the broker's /refresh, which adds the client secret on its side.
  const manager = new TokenManager({
    store: new MemoryTokenStore(tokens),
    refresh: broker.refreshFunction(),
  });
  const client = new MonzoClient({ tokens: manager, apiUrl: config.apiUrl });
  session = { manager, client };
  say("Now approve this login in the Monzo app (Strong Customer Authentication).");
  await waitForApproval(() => client.accounts.list(), {
    onTick: ({ remainingMs }) =>
      say(`Approve this login in the Monzo app… ${Math.ceil(remainingMs / 1000)} s left.`),
  });
  await showAccounts();
  byId("refresh").hidden = false;
}

async function showAccounts(): Promise<void> {
  if (!session) return;
  const { client } = session;
  const accounts = await client.accounts.list();
  const rows = await Promise.all(
    accounts.map(async (account: Account) => {
      const hasBalance = account.type === "uk_retail" || account.type === "uk_retail_joint";
      const balance = hasBalance ? await client.balance.retrieve(account.id) : undefined;
      return [
        account.description,
        account.type ?? "",
        balance ? formatMoney(balance.balance, balance.currency) : "",
      ];
    }),
  );
  const body = byId<HTMLTableElement>("accounts").tBodies[0]!;
  // Text from the bank goes in as text (textContent), never as HTML.
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement("tr");
      for (const cell of cells) {
        const td = document.createElement("td");
        td.textContent = cell;
        tr.append(td);
      }
      return tr;
    }),
  );
  byId("accounts").hidden = false;
  say(`${accounts.length} accounts.`);
}

async function refresh(): Promise<void> {
  if (!session) return;
  const current = await session.manager.tokens();
  if (current) await session.manager.refreshFrom(current);
  await showAccounts();
  say("Token refreshed through the broker; accounts read again with the new one.");
}

function run(action: () => Promise<void>) {
  return () => {
    byId("error").textContent = "";
    action().catch(fail);
  };
}

try {
  const config = readConfig();
  if (!handOverConfirmation()) {
    byId("login").addEventListener(
      "click",
      run(() => logIn(config)),
    );
    byId("refresh").addEventListener("click", run(refresh));
  }
} catch (error) {
  fail(error);
}
