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

async function logIn(config: Config): Promise<void> {
  const broker = new BrokerLogin({ brokerUrl: config.brokerUrl });
  const { id, loginUrl } = await broker.start();
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
  const tokens = await broker.waitForTokens(id).finally(() => byId("login-step").replaceChildren());
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
  byId("login").addEventListener(
    "click",
    run(() => logIn(config)),
  );
  byId("refresh").addEventListener("click", run(refresh));
} catch (error) {
  fail(error);
}
