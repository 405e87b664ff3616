import { rememberSecret } from "./errors/redact.js";
import type { WhoAmI } from "./models/schemas.js";
import { checkBaseUrl, MONZO_API_URL } from "./oauth/urls.js";
import { Accounts, Balances, Identity } from "./resources/accounts.js";
import { Attachments } from "./resources/attachments.js";
import { Feed } from "./resources/feed.js";
import { Pots } from "./resources/pots.js";
import { Receipts } from "./resources/receipts.js";
import { Transactions } from "./resources/transactions.js";
import { Webhooks } from "./resources/webhooks.js";
import {
  type AccessTokenProvider,
  type CallOptions,
  Transport,
  type TransportConfig,
} from "./transport/transport.js";

export interface MonzoClientOptions {
  /** A token manager (refreshes for you) or any provider of access tokens. */
  tokens?: AccessTokenProvider;
  /** A fixed access token (e.g. from Monzo's API playground); it cannot be refreshed. */
  accessToken?: string;
  /** Default: the global `fetch`. Pass the emulator's to test offline. */
  fetch?: typeof globalThis.fetch;
  /** Default `https://api.monzo.com`; plain http only for localhost unless `allowInsecure`. */
  apiUrl?: string;
  allowInsecure?: boolean;
  /** Per attempt, in ms. Default 30,000. */
  timeoutMs?: number;
  /** Extra attempts for replay-safe calls. Default 2. */
  maxRetries?: number;
  userAgent?: string;
  /** For tests: how retries wait, and the jitter source. */
  sleep?: TransportConfig["sleep"];
  random?: () => number;
}

/**
 * The typed Monzo API client: one property per API area, each method one endpoint (see `api.md`).
 *
 * @example
 * ```ts
 * const client = new MonzoClient({ tokens });
 * const [account] = await client.accounts.list({ accountType: "uk_retail" });
 * const { balance } = await client.balance.retrieve(account.id);
 * ```
 */
export class MonzoClient {
  readonly accounts: Accounts;
  readonly balance: Balances;
  readonly pots: Pots;
  readonly transactions: Transactions;
  readonly feed: Feed;
  readonly attachments: Attachments;
  readonly receipts: Receipts;
  readonly webhooks: Webhooks;
  readonly transport: Transport;
  readonly #identity: Identity;

  constructor(options: MonzoClientOptions) {
    let tokens = options.tokens;
    if (!tokens && options.accessToken) {
      const token = options.accessToken;
      rememberSecret(token);
      tokens = { accessToken: async () => token };
    }
    const apiUrl = checkBaseUrl(options.apiUrl ?? MONZO_API_URL, "apiUrl", options.allowInsecure).toString();
    this.transport = new Transport({
      fetch: options.fetch ?? ((...args) => globalThis.fetch(...args)),
      apiUrl,
      userAgent: options.userAgent ?? "monzokit/0.1 (+https://www.npmjs.com/package/@monzokit/core)",
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 2,
      tokens,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
    this.accounts = new Accounts(this.transport);
    this.balance = new Balances(this.transport);
    this.pots = new Pots(this.transport);
    this.transactions = new Transactions(this.transport);
    this.feed = new Feed(this.transport);
    this.attachments = new Attachments(this.transport);
    this.receipts = new Receipts(this.transport);
    this.webhooks = new Webhooks(this.transport);
    this.#identity = new Identity(this.transport);
  }

  /**
   * Who the token belongs to (`GET /ping/whoami`). Works before in-app approval.
   *
   * @see https://docs.monzo.com/#authenticating-requests
   */
  whoami(options?: CallOptions): Promise<WhoAmI> {
    return this.#identity.retrieve(options);
  }
}
