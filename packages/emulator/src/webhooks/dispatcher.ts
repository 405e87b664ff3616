import type { TransactionRecord } from "../data/record.js";
import { render } from "../routes/transactions.js";
import type { EmulatorState, WebhookRecord } from "../state.js";
import { formatTime } from "../util/time.js";

/**
 * Delivers `transaction.created` to every webhook on the transaction's account over real HTTP, with up to
 * 5 attempts and exponential backoff (REFERENCE §11.4, §13.27). Unsigned, as Monzo's are.
 */
export class WebhookDispatcher {
  readonly #state: EmulatorState;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(state: EmulatorState) {
    this.#state = state;
  }

  onTransaction(record: TransactionRecord): void {
    const state = this.#state;
    const payload = JSON.stringify({ type: "transaction.created", data: render(state, record.json, true) });
    for (const webhook of state.webhooks.values()) {
      if (webhook.accountId === record.json.account_id) this.#attempt(webhook, record.json.id, payload, 1);
    }
  }

  /** Resolves when no delivery is in flight or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0 || this.#timers.size > 0) {
      await Promise.race([...this.#inFlight, new Promise((r) => setTimeout(r, 5))]);
    }
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #attempt(webhook: WebhookRecord, transactionId: string, payload: string, attempt: number): void {
    if (this.#closed) return;
    const state = this.#state;
    const { attempts = 5, backoffMs = 1000, timeoutMs = 5000 } = state.options.webhooks ?? {};
    const run = (async () => {
      let status: number | null = null;
      let error: string | undefined;
      try {
        const response = await fetch(webhook.url, {
          method: "POST",
          headers: { "content-type": "application/json", "user-agent": "monzokit-emulator-webhooks" },
          body: payload,
          signal: AbortSignal.timeout(timeoutMs),
        });
        status = response.status;
        await response.body?.cancel();
      } catch (e) {
        error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      const delivered = status !== null && status >= 200 && status < 300;
      state.deliveries.push({
        webhook_id: webhook.id,
        url: webhook.url,
        transaction_id: transactionId,
        attempt,
        status,
        delivered,
        at: formatTime(Date.now()),
        ...(error ? { error } : {}),
      });
      if (state.deliveries.length > 1000) state.deliveries.shift();
      if (delivered) {
        state.webhookCounters.deliveries++;
        return;
      }
      state.webhookCounters.failures++;
      if (attempt >= attempts || !state.webhooks.has(webhook.id)) {
        state.webhookCounters.abandoned++;
        return;
      }
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          this.#attempt(webhook, transactionId, payload, attempt + 1);
        },
        backoffMs * 2 ** (attempt - 1),
      );
      this.#timers.add(timer);
    })();
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }
}
