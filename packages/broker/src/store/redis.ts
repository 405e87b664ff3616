import { createHash, createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { constantTimeEqual } from "@monzokit/core";
import { createClient } from "@redis/client";
import type {
  CreateOutcome,
  NewSession,
  PendingSession,
  RateLimit,
  SessionStore,
  SessionUpdate,
} from "./types.js";

const TOMBSTONE_MS = 3_600_000;

const CONNECT_TIMEOUT_MS = 2000;

// Until the first connection succeeds a failure ends the attempt (the broker refuses to start and says why:
// a wrong host, port or password is a configuration mistake, not an outage to wait out); once running, the
// client reconnects with backoff and the broker answers 503 meanwhile.
function makeClient(url: string, running: () => boolean) {
  return createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries: number, cause: Error) =>
        running() ? Math.min(100 * 2 ** retries, 2000) : cause,
    },
  });
}

/** Redis could not be used at start: `reason` says why in words, without the URL's password. */
export class RedisUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

function whyNot(url: string, error: unknown): string {
  let where = "Redis";
  try {
    const u = new URL(url);
    where = `Redis at ${u.protocol}//${u.host}`;
  } catch {}
  const text = String((error as Error)?.message ?? error);
  const code = (error as { code?: string })?.code ?? /\b(E[A-Z]{3,})\b/.exec(text)?.[1];
  if (/WRONGPASS|invalid password/i.test(text)) return `${where} refused the password (or user) in REDIS_URL`;
  if (/NOAUTH|Authentication required/i.test(text))
    return `${where} needs a password: put it in REDIS_URL as redis://:PASSWORD@host:port`;
  if (code === "ECONNREFUSED")
    return `${where} refused the connection: is Redis running there, and are REDIS_URL's host and port right?`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `${where}: no such host`;
  if (/timeout/i.test(text)) return `${where} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s`;
  // Whatever else Redis or the socket said, without anything that could be the URL's credentials.
  return `${where} could not be used: ${text.replace(/\/\/[^@\s]*@/g, "//")}`;
}
type Client = ReturnType<typeof makeClient>;

/** A Lua script, run by its SHA1 (EVALSHA) and sent whole only when Redis has not seen it yet. */
interface Script {
  body: string;
  sha: string;
}
function script(body: string): Script {
  return { body, sha: createHash("sha1").update(body).digest("hex") };
}

// Counts one request against a rate limit (KEYS[1]; ARGV[1] window in ms, ARGV[2] capacity) and sets `allowed`.
// The window starts with the first request, in the same atomic step, so a crash can never leave a counter
// that does not expire; a counter left without expiry by anything else gets one here.
const COUNT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local allowed = n <= tonumber(ARGV[2])`;

const HIT = script(`${COUNT}
if allowed then return 1 end
return 0`);

// Creates a session and its state index only if the rate limit allows it and fewer than the cap are live.
// The live sessions are a sorted set scored by expiry, pruned here, so the count is exact across instances.
// KEYS: limit, session, state index, live set; ARGV: window, capacity, session JSON, session id, lifetime in
// ms, cap. Answers 1 created, 0 limited, 2 full.
const CREATE_IF_ALLOWED = script(`${COUNT}
if not allowed then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[6]) then return 2 end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5])
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5])
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[5]), ARGV[4])
redis.call('PEXPIRE', KEYS[4], ARGV[5])
return 1`);

// Counts against the limit and reads the session either way. KEYS: limit, session; ARGV: window, capacity.
const GET_COUNTING = script(`${COUNT}
return {allowed and 1 or 0, redis.call('GET', KEYS[2]) or ''}`);

// The scripts below never read a record's fields: Lua cannot check a record's MAC, so they only compare the
// whole value with the one the broker read and checked (compare-and-set), and take every other input from it.

// Parks a code (or a denial) only if the session is still the pending record the broker checked, keeping its
// expiry: one round trip, atomic on the server, so two callbacks for one state cannot both win.
// KEYS: session; ARGV: new record, the record it replaces.
const SETTLE = script(`
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
return 1`);

// Takes a session for good in one atomic step, if it is still the record the broker checked: the session and
// its state index go, and a tombstone stays, so a collector racing on another instance is told 410 (already
// collected) and never 404 (no such login) in the moment between the two. KEYS: session, tombstone, live set,
// state index; ARGV: the checked record, tombstone lifetime in ms, session ref.
const TAKE = script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[4])
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return 1`);

/** What is stored under a session's key: no id and no state, only the keyed hash of the state. */
type Stored = Omit<PendingSession, "ref"> & { st: string };

/**
 * A stored record: `r1.` + MAC + `.` + the record's JSON, where MAC is base64url HMAC-SHA256, under a key of
 * its own derived from `BROKER_KEY`, of `session:` + ref + `:` + the JSON exactly as stored. The ref (always
 * 43 characters) names the key the record belongs under, so a record moved to another key does not check.
 */
const RECORD = "r1.";
const MAC_END = RECORD.length + 43;
const REF = /^[A-Za-z0-9_-]{43}$/;

/** Why a record was refused: not made with this key (tampered, older format, another key), or found by another state. */
export type RejectedRecord = "unauthenticated" | "wrong_state";

/** How to open a Redis store. */
export interface RedisStoreOptions {
  /**
   * The 32-byte key every instance shares (`BROKER_KEY`). Keys are named by HMACs under a key derived from
   * it, so whoever can read Redis sees neither poll ids nor states.
   */
  key: Uint8Array;
  /** Prefix of every key. Default `monzokit:broker:`. */
  prefix?: string;
  /**
   * Told (at most once a minute, with the count so far) when a session record fails its check and is treated
   * as absent. Never given a key, a ref or a value.
   */
  logger?: { warn(fields: Record<string, unknown>, message: string): void };
}

/**
 * Sessions in Redis, shared by every broker instance behind a load balancer: expiry by TTL, single use by
 * an atomic take (only one instance ever receives a session), rate limits by `INCR` with a window. Commands fail
 * fast while Redis is down (no offline queue), so the broker answers 503 and recovers by itself when the
 * client reconnects.
 *
 * Nothing stored names a session in plain text: its key is `s:` + HMAC(id), its state index `st:` + HMAC(state),
 * its tombstone `t:` + HMAC(id), and the value holds neither. A Redis reader cannot collect a login (that takes
 * the id). Every record carries a MAC over all of it and the ref it belongs to, checked on every read before
 * any field is used: a Redis writer without `BROKER_KEY` cannot change where the browser returns, the
 * confirmation's hash, the status or anything else, nor move a record to another key, nor point a state at
 * another session — such a record is treated as absent (and counted, `rejectedRecords`). What a writer can
 * still do is delete or spoil logins, or replay an earlier record of the same login: denial of service.
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: Client;
  readonly #prefix: string;
  readonly #names: KeyObject;
  readonly #records: KeyObject;
  readonly #logger: RedisStoreOptions["logger"];
  #rejected = 0;
  #warnedAt = Number.NEGATIVE_INFINITY;

  private constructor(
    client: Client,
    prefix: string,
    keys: { names: KeyObject; records: KeyObject },
    logger: RedisStoreOptions["logger"],
  ) {
    this.#client = client;
    this.#prefix = prefix;
    this.#names = keys.names;
    this.#records = keys.records;
    this.#logger = logger;
  }

  /** How many session records failed their check since this store connected (each was treated as absent). */
  get rejectedRecords(): number {
    return this.#rejected;
  }

  static async connect(url: string, options: RedisStoreOptions): Promise<RedisSessionStore> {
    if (options.key.length !== 32) throw new Error("the Redis store needs the 32-byte BROKER_KEY");
    // A key of its own for naming, so the names say nothing about the key that seals codes.
    // Imported once as a KeyObject: an HMAC keyed by a raw buffer imports the key on every call, which
    // cost more than the rest of a /token poll.
    const names = createSecretKey(
      createHmac("sha256", options.key).update("monzokit-broker redis key names v1").digest(),
    );
    // And one for the records' MACs, so neither use of the key says anything about the other.
    const records = createSecretKey(
      createHmac("sha256", options.key).update("monzokit-broker redis session records v1").digest(),
    );
    let running = false;
    const client = makeClient(url, () => running);
    // Errors surface on the commands themselves; the event only must not crash the process.
    client.on("error", () => {});
    try {
      await client.connect();
    } catch (error) {
      client.destroy();
      throw new RedisUnavailableError(whyNot(url, error));
    }
    running = true;
    return new RedisSessionStore(
      client,
      options.prefix ?? "monzokit:broker:",
      { names, records },
      options.logger,
    );
  }

  // A waiting app polls with the same id again and again, and reads back the same record each time: the same
  // bytes under the same ref are the record already checked (a reader sees them too, so comparing them says
  // nothing secret), so its MAC is computed once. Any other bytes are checked in full. Bounded by clearing.
  readonly #checked = new Map<string, { raw: string; stored: Stored }>();

  // Its ref, likewise, is computed once.
  readonly #refs = new Map<string, string>();

  /** The session's ref: HMAC-SHA256 of its id (43 base64url characters). */
  #ref(id: string): string {
    let ref = this.#refs.get(id);
    if (ref === undefined) {
      ref = createHmac("sha256", this.#names).update(`id:${id}`).digest("base64url");
      if (this.#refs.size >= 10_000) this.#refs.clear();
      this.#refs.set(id, ref);
    }
    return ref;
  }

  #stateRef(state: string): string {
    return createHmac("sha256", this.#names).update(`state:${state}`).digest("base64url");
  }

  #key(kind: string, ref: string): string {
    return `${this.#prefix}${kind}:${ref}`;
  }

  #stored(session: NewSession, ref: string, stateRef: string): string {
    return this.#seal(ref, {
      st: stateRef,
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
      status: "pending",
      ...(session.returnTo === undefined ? {} : { returnTo: session.returnTo }),
    });
  }

  #mac(ref: string, json: string): string {
    return createHmac("sha256", this.#records).update(`session:${ref}:${json}`).digest("base64url");
  }

  #seal(ref: string, value: Stored): string {
    const json = JSON.stringify(value);
    return `${RECORD}${this.#mac(ref, json)}.${json}`;
  }

  /**
   * The record under `ref`'s key, if it checks: made with this key, for this ref (and, found by a state, for
   * that state), not past its expiry. Anything else is absent; nothing of it is read before the MAC matched.
   */
  #open(ref: string, raw: string | null | undefined, stateRef?: string): Stored | undefined {
    if (!raw) return undefined;
    const checked = this.#checked.get(ref);
    let stored: Stored;
    if (checked?.raw === raw) stored = checked.stored;
    else {
      if (!raw.startsWith(RECORD) || raw.charCodeAt(MAC_END) !== 46 /* . */)
        return this.#reject("unauthenticated");
      const json = raw.slice(MAC_END + 1);
      if (!constantTimeEqual(raw.slice(RECORD.length, MAC_END), this.#mac(ref, json)))
        return this.#reject("unauthenticated");
      stored = JSON.parse(json) as Stored;
      if (this.#checked.size >= 10_000) this.#checked.clear();
      this.#checked.set(ref, { raw, stored });
    }
    if (stateRef !== undefined && stored.st !== stateRef) return this.#reject("wrong_state");
    // Redis expires it too; a record whose expiry was taken off (PERSIST) still ends on time.
    return stored.expiresAt > Date.now() ? stored : undefined;
  }

  #reject(reason: RejectedRecord): undefined {
    this.#rejected++;
    const now = Date.now();
    // Once a minute at most: a writer spoiling records must not also flood the logs.
    if (this.#logger && now - this.#warnedAt >= 60_000) {
      this.#warnedAt = now;
      this.#logger.warn(
        { store: "redis", reason, rejected_records: this.#rejected },
        "a session record in Redis failed its check and was treated as absent: it was changed by something other than this broker, written by a version before records were authenticated, or with another BROKER_KEY",
      );
    }
    return undefined;
  }

  #view(ref: string, stored: Stored | undefined): PendingSession | undefined {
    if (!stored) return undefined;
    const { st: _st, ...rest } = stored;
    return { ...rest, ref };
  }

  async create(session: NewSession): Promise<void> {
    const ttl = Math.max(1, session.expiresAt - Date.now());
    const ref = this.#ref(session.id);
    const stateRef = this.#stateRef(session.state);
    await this.#client
      .multi()
      .set(this.#key("s", ref), this.#stored(session, ref, stateRef), { PX: ttl })
      .set(this.#key("st", stateRef), ref, { PX: ttl })
      .zAdd(this.#key("live", ""), { score: session.expiresAt, value: ref })
      .pExpire(this.#key("live", ""), ttl)
      .exec();
  }

  /** Runs `s` by its SHA1; on NOSCRIPT (a restarted or flushed Redis) once more with its body. */
  async #run(s: Script, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.#client.sendCommand(["EVALSHA", s.sha, ...tail]);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
      return this.#client.sendCommand(["EVAL", s.body, ...tail]);
    }
  }

  async byState(state: string): Promise<PendingSession | undefined> {
    const stateRef = this.#stateRef(state);
    // The index is not authenticated: whatever ref it names, the record there must be this state's.
    const ref = await this.#client.get(this.#key("st", stateRef));
    if (!ref) return undefined;
    if (!REF.test(ref)) return this.#reject("wrong_state");
    return this.#view(ref, this.#open(ref, await this.#client.get(this.#key("s", ref)), stateRef));
  }

  async get(id: string): Promise<PendingSession | undefined> {
    const ref = this.#ref(id);
    return this.#view(ref, this.#open(ref, await this.#client.get(this.#key("s", ref))));
  }

  async settle(ref: string, update: SessionUpdate): Promise<boolean> {
    const raw = await this.#client.get(this.#key("s", ref));
    const current = this.#open(ref, raw);
    if (current?.status !== "pending") return false;
    // Only the record just checked is replaced, and the new one is made from it: nothing unchecked is ever
    // signed again.
    const result = await this.#run(
      SETTLE,
      [this.#key("s", ref)],
      [this.#seal(ref, { ...current, ...update }), raw!],
    );
    return result === 1;
  }

  async take(id: string): Promise<PendingSession | undefined> {
    const ref = this.#ref(id);
    // One round trip more than a blind take, on collection only: the record is checked before anything of it
    // (its state index, its expiry) is used, and taken only if it is still that record.
    const raw = await this.#client.get(this.#key("s", ref));
    const stored = this.#open(ref, raw);
    if (!stored) return undefined;
    const tombstoneMs = Math.max(1, stored.expiresAt - Date.now()) + TOMBSTONE_MS;
    const taken = await this.#run(
      TAKE,
      [this.#key("s", ref), this.#key("t", ref), this.#key("live", ""), this.#key("st", stored.st)],
      [raw!, String(Math.floor(tombstoneMs)), ref],
    );
    this.#checked.delete(ref);
    return taken === 1 ? this.#view(ref, stored) : undefined;
  }

  async wasTaken(id: string): Promise<boolean> {
    return (await this.#client.exists(this.#key("t", this.#ref(id)))) === 1;
  }

  async hit(key: string, capacity: number, windowMs: number): Promise<boolean> {
    return (await this.#run(HIT, [this.#key("rl", key)], [String(windowMs), String(capacity)])) === 1;
  }

  async createIfAllowed(session: NewSession, limit: RateLimit, maxSessions: number): Promise<CreateOutcome> {
    const ref = this.#ref(session.id);
    const stateRef = this.#stateRef(session.state);
    const outcome = await this.#run(
      CREATE_IF_ALLOWED,
      [this.#key("rl", limit.key), this.#key("s", ref), this.#key("st", stateRef), this.#key("live", "")],
      [
        String(limit.windowMs),
        String(limit.capacity),
        this.#stored(session, ref, stateRef),
        ref,
        String(Math.max(1, session.expiresAt - Date.now())),
        String(maxSessions),
      ],
    );
    return outcome === 1 ? "created" : outcome === 2 ? "full" : "limited";
  }

  async getCounting(
    id: string,
    limit: RateLimit,
  ): Promise<{ allowed: boolean; session: PendingSession | undefined }> {
    const ref = this.#ref(id);
    const [allowed, raw] = (await this.#run(
      GET_COUNTING,
      [this.#key("rl", limit.key), this.#key("s", ref)],
      [String(limit.windowMs), String(limit.capacity)],
    )) as [number, string];
    return { allowed: allowed === 1, session: this.#view(ref, this.#open(ref, raw)) };
  }

  async ping(): Promise<void> {
    await this.#client.ping();
  }

  async close(): Promise<void> {
    await this.#client.close().catch(() => this.#client.destroy());
  }
}
