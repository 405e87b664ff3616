import type { Bank } from "./data/bank.js";
import { seedBank } from "./data/seed.js";
import type { AttachmentJson } from "./data/types.js";
import { RequestLog } from "./http/request-log.js";
import { Authority } from "./oauth/authority.js";
import {
  DEFAULT_QUIRKS,
  DEMO_CLIENT,
  DEMO_PUBLIC_CLIENT,
  type EmulatorOptions,
  type FaultOptions,
  type QuirkOptions,
} from "./options.js";
import { Clock } from "./util/clock.js";
import { IdGenerator } from "./util/ids.js";
import { Rng } from "./util/rng.js";
import { DAY, MINUTE, SECOND } from "./util/time.js";

export interface WebhookRecord {
  id: string;
  accountId: string;
  clientId: string;
  url: string;
}

export interface FeedItem {
  account_id: string;
  client_id: string;
  type: string;
  url?: string;
  params: Record<string, string>;
  created: string;
}

export interface StoredFile {
  userId: string;
  fileName: string;
  fileType: string;
  contentLength: number;
  bytes: Uint8Array | undefined;
}

export interface WebhookDelivery {
  webhook_id: string;
  url: string;
  transaction_id: string;
  attempt: number;
  status: number | null;
  error?: string;
  delivered: boolean;
  at: string;
}

/** Everything the emulator knows at one time; `reset` rebuilds it from the same options. */
export class EmulatorState {
  readonly options: EmulatorOptions;
  readonly quirks: QuirkOptions;
  clock: Clock;
  rng!: Rng;
  /** Draws for things made at run time (settlement delays of new card payments). */
  liveRng!: Rng;
  ids!: IdGenerator;
  bank!: Bank;
  authority!: Authority;
  faults: FaultOptions = {};
  faultRng!: Rng;
  /** How many times each fault rule has fired, by index. */
  faultFired: number[] = [];
  readonly webhooks = new Map<string, WebhookRecord>();
  readonly feed: FeedItem[] = [];
  /** Receipts by client, then by external id (REFERENCE §10: each client sees only its own). */
  readonly receipts = new Map<string, Map<string, Record<string, unknown>>>();
  readonly attachments = new Map<string, AttachmentJson>();
  readonly files = new Map<string, StoredFile>();
  /** Pot moves already made, by their idempotency key (REFERENCE §6.5). */
  readonly potMoves = new Set<string>();
  readonly requestLog: RequestLog;
  readonly deliveries: WebhookDelivery[] = [];
  readonly routeCounts = new Map<string, number>();
  readonly webhookCounters = { deliveries: 0, failures: 0, abandoned: 0 };
  readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: EmulatorOptions) {
    this.options = options;
    this.quirks = { ...DEFAULT_QUIRKS, ...options.quirks };
    this.requestLog = new RequestLog(options.requestLogSize ?? 1000);
    this.clock = new Clock(options.clock);
    this.reseed(options.seed ?? "monzokit", options.transactions ?? 2000);
  }

  /** Rebuilds the bank and forgets tokens, webhooks, receipts and logs; the clock keeps its time. */
  reseed(seed: number | string, transactions: number): void {
    const o = this.options;
    this.rng = new Rng(seed);
    this.ids = new IdGenerator(this.rng.fork("ids"));
    this.faultRng = this.rng.fork("faults");
    this.liveRng = this.rng.fork("live");
    this.bank = seedBank(this.ids, this.rng.fork("bank"), {
      transactions,
      years: o.years ?? 3,
      now: this.clock.now(),
      settleAfterMs: this.settleAfterMs,
    });
    const autoApprove = o.autoApprove === true ? 0 : o.autoApprove === false ? undefined : o.autoApprove;
    this.authority = new Authority(this.clock, this.ids, {
      accessTtlMs: (o.accessTokenTtlSeconds ?? 107999) * SECOND,
      refreshTtlMs: (o.refreshTokenTtlSeconds ?? 90 * 24 * 3600) * SECOND,
      codeTtlMs: (o.codeTtlSeconds ?? 600) * SECOND,
      autoApproveAfterMs: autoApprove,
      quirks: this.quirks,
    });
    if (o.includeDemoClients !== false) {
      this.authority.registerClient(DEMO_CLIENT);
      this.authority.registerClient(DEMO_PUBLIC_CLIENT);
    }
    for (const client of o.clients ?? []) this.authority.registerClient(client);
    this.faults = structuredClone(o.faults ?? {});
    this.faultFired = [];
    for (const store of [
      this.webhooks,
      this.receipts,
      this.attachments,
      this.files,
      this.routeCounts,
      this.buckets,
    ])
      store.clear();
    this.potMoves.clear();
    this.feed.length = 0;
    this.requestLog.clear();
    this.deliveries.length = 0;
    Object.assign(this.webhookCounters, { deliveries: 0, failures: 0, abandoned: 0 });
    this.seedInfo = { seed, transactions };
  }

  seedInfo!: { seed: number | string; transactions: number };

  /** The settlement delay range in ms (REFERENCE §7.1: usually 24–48 h after `created`). */
  get settleAfterMs(): readonly [number, number] {
    const o = this.options.settleAfterMs;
    if (o === undefined) return [DAY, 2 * DAY];
    const range: [number, number] = typeof o === "number" ? [o, o] : [o[0], o[1]];
    if (!range.every((v) => Number.isSafeInteger(v) && v >= 0) || range[0] > range[1])
      throw new Error("settleAfterMs must be a whole number of ms ≥ 0, or a [min, max] range of them");
    return range;
  }

  /**
   * Settles whatever became due as the clock moved. Called before every request is handled, so a client
   * never reads a transaction that should have settled by now (one comparison when nothing is due).
   */
  settleDue(): void {
    const bank = this.bank;
    if (bank.nextSettlementMs === Number.POSITIVE_INFINITY) return;
    const now = this.clock.now();
    if (now >= bank.nextSettlementMs) bank.settleDue(now);
  }

  get historyWindowMs(): number {
    return this.options.historyWindowMs ?? 5 * MINUTE;
  }

  get historyLimitMs(): number {
    return (this.options.historyLimitDays ?? 90) * DAY;
  }
}
