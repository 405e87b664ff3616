import { createClient } from "@redis/client";
import type { PendingSession, SessionStore } from "./types.js";

const TOMBSTONE_MS = 3_600_000;

function makeClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
    },
  });
}
type Client = ReturnType<typeof makeClient>;

// Parks a code (or a denial) only while the session is still pending, keeping its expiry: one round trip,
// atomic on the server, so two callbacks for one state cannot both win.
const SETTLE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local s = cjson.decode(raw)
if s.status ~= 'pending' then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
return 1`;

// Takes a session for good in one atomic step: the session and its state index go, and a tombstone stays, so a
// collector racing on another instance is told 410 (already collected) and never 404 (no such login) in the
// moment between the two. KEYS: session, tombstone; ARGV: state-key prefix, tombstone lifetime past expiry.
const TAKE = `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local s = cjson.decode(raw)
redis.call('DEL', KEYS[1], ARGV[1] .. s.state)
local ttl = math.max(1, s.expiresAt - tonumber(redis.call('TIME')[1]) * 1000) + tonumber(ARGV[2])
redis.call('SET', KEYS[2], '1', 'PX', math.floor(ttl))
return raw`;

/**
 * Sessions in Redis, shared by every broker instance behind a load balancer: expiry by TTL, single use by
 * an atomic take (only one instance ever receives a session), rate limits by `INCR` with a window. Commands fail
 * fast while Redis is down (no offline queue), so the broker answers 503 and recovers by itself when the
 * client reconnects.
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: Client;
  readonly #prefix: string;

  private constructor(client: Client, prefix: string) {
    this.#client = client;
    this.#prefix = prefix;
  }

  static async connect(url: string, prefix = "monzokit:broker:"): Promise<RedisSessionStore> {
    const client = makeClient(url);
    // Errors surface on the commands themselves; the event only must not crash the process.
    client.on("error", () => {});
    await client.connect();
    return new RedisSessionStore(client, prefix);
  }

  #key(kind: string, id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  async create(session: PendingSession): Promise<void> {
    const ttl = Math.max(1, session.expiresAt - Date.now());
    await this.#client
      .multi()
      .set(this.#key("s", session.id), JSON.stringify(session), { PX: ttl })
      .set(this.#key("st", session.state), session.id, { PX: ttl })
      .exec();
  }

  async byState(state: string): Promise<PendingSession | undefined> {
    const id = await this.#client.get(this.#key("st", state));
    return id ? this.get(id) : undefined;
  }

  async get(id: string): Promise<PendingSession | undefined> {
    const raw = await this.#client.get(this.#key("s", id));
    return raw ? (JSON.parse(raw) as PendingSession) : undefined;
  }

  async settle(
    id: string,
    update: Pick<PendingSession, "status" | "sealedCode" | "error">,
  ): Promise<boolean> {
    const current = await this.get(id);
    if (current?.status !== "pending") return false;
    const result = await this.#client.eval(SETTLE, {
      keys: [this.#key("s", id)],
      arguments: [JSON.stringify({ ...current, ...update })],
    });
    return result === 1;
  }

  async take(id: string): Promise<PendingSession | undefined> {
    const raw = await this.#client.eval(TAKE, {
      keys: [this.#key("s", id), this.#key("t", id)],
      arguments: [this.#key("st", ""), String(TOMBSTONE_MS)],
    });
    return typeof raw === "string" ? (JSON.parse(raw) as PendingSession) : undefined;
  }

  async wasTaken(id: string): Promise<boolean> {
    return (await this.#client.exists(this.#key("t", id))) === 1;
  }

  async hit(key: string, capacity: number, windowMs: number): Promise<boolean> {
    const k = this.#key("rl", key);
    const count = await this.#client.incr(k);
    if (count === 1) await this.#client.pExpire(k, windowMs);
    return count <= capacity;
  }

  async ping(): Promise<void> {
    await this.#client.ping();
  }

  async close(): Promise<void> {
    await this.#client.close().catch(() => this.#client.destroy());
  }
}
