/**
 * Broker under load and faults: two `monzo-broker` processes (the real bin, configured by its environment)
 * share one real redis-server, with the emulator as Monzo over HTTP. Simulated desktop apps run whole logins
 * for a fixed time — `/new`, the person at the login page, Monzo's redirect to `/callback`, two pollers racing
 * on `/token` — and a load balancer picks an instance at random for every request. Midway, Redis is SIGKILLed
 * and restarted (empty: it runs without persistence). Counted: every status, 5xx outside the outage, sessions
 * served twice, broker processes that died, secrets in the brokers' logs, and how long recovery took.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { generateKey } from "@monzokit/broker";
import { serveEmulator } from "@monzokit/emulator";
import { RedisServer } from "../test-support/redis.ts";

export interface BrokerSuiteOptions {
  /** How long the apps run, in seconds. */
  seconds: number;
  /** Desktop apps logging in concurrently, each one login after another. */
  apps: number;
  /** When Redis is killed, seconds from the start. */
  downAt: number;
  /** How long Redis stays down, in seconds. */
  downFor: number;
}

export const SOAK: BrokerSuiteOptions = { seconds: 40, apps: 24, downAt: 15, downFor: 5 };
export const CI: BrokerSuiteOptions = { seconds: 6, apps: 6, downAt: 2, downFor: 1.5 };

/** 503s are expected from the kill until the brokers' Redis clients have reconnected (backoff ≤ 2 s). */
const RECOVERY_GRACE_MS = 5_000;

export interface BrokerSuiteResult {
  requests: number;
  requestsPerSecond: number;
  statuses: Record<string, number>;
  /** Logins whose tokens were collected. */
  logins: number;
  /** Logins collected before the kill, per second: the steady rate. */
  steadyLoginsPerSecond: number;
  /** 5xx before the kill or after the recovery grace, and any 5xx but 503. */
  unexpected5xx: number;
  /** 503s during the outage (with `Retry-After`). */
  outage503: number;
  outage503WithoutRetryAfter: number;
  /** 5xx before the kill: the steady phase must have none. */
  steady5xx: number;
  /** Sessions whose tokens were handed out more than once. */
  servedTwice: number;
  /** Logins in flight when Redis restarted empty: their callback or poll found nothing (400 page or 404). */
  lostInOutage: number;
  /** Logins that found nothing (400 page or 404) while Redis was up all along: must be none. */
  lostOutsideOutage: number;
  /** 400 and 404 answers before the kill: the apps only ever ask for what exists, so none. */
  notFoundBeforeKill: number;
  /** From the restart to the last 503 any app saw. */
  last503AfterRestartMs: number | null;
  /** From the restart to the first login collected after it. */
  firstLoginAfterRestartMs: number | null;
  /** Requests that got no HTTP answer at all (connection refused or reset). */
  connectionErrors: number;
  /** Broker processes that exited before the end. */
  crashed: number;
  /** Occurrences of the client secret, any auth code or any token in the brokers' output. */
  secretHits: number;
  logBytes: number;
  unhandled: number;
  ms: number;
}

const BIN = fileURLToPath(new URL("../packages/broker/dist/bin.js", import.meta.url));
const CLIENT_ID = "oauth2client_0000ReliabilityBroker01";
const CLIENT_SECRET = "mnzconf.reliability-broker-secret-value";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.once("error", reject);
  });
}

interface Instance {
  url: string;
  child: ChildProcess;
  output: string[];
  exitedEarly: boolean;
}

async function startBroker(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN], {
    env: { PATH: process.env["PATH"] ?? "", ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const instance: Instance = { url: `http://127.0.0.1:${port}`, child, output: [], exitedEarly: false };
  child.stdout!.on("data", (d: Buffer) => instance.output.push(String(d)));
  child.stderr!.on("data", (d: Buffer) => instance.output.push(String(d)));
  child.once("exit", () => {
    instance.exitedEarly = true;
  });
  for (let i = 0; i < 200; i++) {
    if (instance.exitedEarly) throw new Error(`monzo-broker exited at start: ${instance.output.join("")}`);
    try {
      if ((await fetch(`${instance.url}/healthz`)).ok) return instance;
    } catch {
      // not listening yet
    }
    await sleep(25);
  }
  throw new Error(`monzo-broker did not start: ${instance.output.join("")}`);
}

export async function runBrokerSuite(o: BrokerSuiteOptions): Promise<BrokerSuiteResult> {
  let unhandled = 0;
  const onUnhandled = () => {
    unhandled++;
  };
  process.on("unhandledRejection", onUnhandled);
  const redis = new RedisServer();
  await redis.start();
  const emu = await serveEmulator({ seed: "reliability-broker", transactions: 50 }, { port: 0 });
  const brokers: Instance[] = [];
  try {
    const publicUrl = "http://127.0.0.1:7801";
    emu.emulator.control.addClient({
      id: CLIENT_ID,
      secret: CLIENT_SECRET,
      redirectUris: [`${publicUrl}/callback`],
      confidential: true,
      name: "Reliability broker",
    });
    const env = {
      MONZO_CLIENT_ID: CLIENT_ID,
      MONZO_CLIENT_SECRET: CLIENT_SECRET,
      BROKER_PUBLIC_URL: publicUrl,
      MONZO_AUTH_URL: emu.authUrl,
      MONZO_API_URL: emu.url,
      BROKER_STORE: "redis",
      REDIS_URL: redis.url,
      BROKER_KEY: generateKey(),
      BROKER_RATE_NEW: "100000",
      BROKER_RATE_TOKEN: "100000",
      LOG_LEVEL: "info",
    };
    brokers.push(await startBroker(env), await startBroker(env));

    const statuses: Record<string, number> = {};
    const secrets = new Set<string>([CLIENT_SECRET]);
    const collected = new Map<string, number>();
    const collectedAt: number[] = [];
    const fiveXX: { at: number; status: number; retryAfter: boolean }[] = [];
    let requests = 0;
    let connectionErrors = 0;
    let lostInOutage = 0;
    let lostOutsideOutage = 0;
    let notFoundBeforeKill = 0;
    let killedAt = Number.POSITIVE_INFINITY;
    let restartedAt = Number.POSITIVE_INFINITY;
    const started = performance.now();
    const end = started + o.seconds * 1000;
    const pick = () => brokers[Math.floor(Math.random() * brokers.length)]!;

    // One request through the "load balancer": counted, and retried while the brokers answer 503.
    const call = async (
      path: string,
      init?: RequestInit,
      instance = pick(),
    ): Promise<Response | undefined> => {
      for (;;) {
        requests++;
        let res: Response;
        try {
          // The callback answers a redirect to the app's loopback address: read, never followed.
          res = await fetch(`${instance.url}${path}`, { ...init, redirect: "manual" });
        } catch {
          connectionErrors++;
          return undefined;
        }
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if ((res.status === 404 || res.status === 400) && performance.now() < killedAt) notFoundBeforeKill++;
        if (res.status < 500) return res;
        fiveXX.push({
          at: performance.now(),
          status: res.status,
          retryAfter: res.headers.get("retry-after") !== null,
        });
        await res.body?.cancel();
        if (res.status !== 503 || performance.now() > end + 10_000) return res;
        await sleep(50);
        instance = pick();
      }
    };

    const login = async (): Promise<void> => {
      // Each app names its own loopback address; the browser is sent back there with the confirmation.
      const returnTo = "http://127.0.0.1:45999/monzokit-broker/soak";
      const created = await call(`/new?${new URLSearchParams({ return_to: returnTo })}`, { method: "POST" });
      if (created?.status !== 201) return;
      const { id, login_url } = (await created.json()) as { id: string; login_url: string };
      // The person at Monzo's login page, pressing Allow.
      const html = await (await fetch(login_url)).text();
      const nonce = /name="consent" value="([^"]+)"/.exec(html)?.[1];
      const user = /name="user_id" value="([^"]+)"/.exec(html)?.[1];
      if (!nonce || !user) throw new Error("the emulator's login page changed shape");
      const allowed = await fetch(`${emu.authUrl}authorize`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ consent: nonce, user_id: user, decision: "allow" }).toString(),
        redirect: "manual",
      });
      const location = new URL(allowed.headers.get("location")!);
      const code = location.searchParams.get("code");
      if (code) secrets.add(code);
      const page = await call(`${location.pathname}${location.search}`);
      if (!page) return;
      await page.body?.cancel();
      const back = page.status === 303 ? page.headers.get("location") : null;
      const confirm = back ? new URL(back).searchParams.get("confirm") : null;
      if (confirm) secrets.add(confirm);
      if (!confirm) {
        if (performance.now() >= killedAt) lostInOutage++;
        else lostOutsideOutage++;
        return;
      }
      // Two pollers racing, as a desktop app retrying on two connections would; each goes to any instance.
      const poll = async (): Promise<number | undefined> => {
        for (;;) {
          const res = await call(`/token?${new URLSearchParams({ id, confirm })}`);
          if (!res) return undefined;
          if (res.status === 202) {
            await res.body?.cancel();
            await sleep(20);
            continue;
          }
          if (res.status === 200) {
            const tokens = (await res.json()) as { access_token: string; refresh_token?: string };
            secrets.add(tokens.access_token);
            if (tokens.refresh_token) secrets.add(tokens.refresh_token);
            collected.set(id, (collected.get(id) ?? 0) + 1);
            collectedAt.push(performance.now());
            return 200;
          }
          await res.body?.cancel();
          return res.status;
        }
      };
      const outcomes = await Promise.all([poll(), poll()]);
      // One poller collects and the other is told 410; a login lost with Redis's data finds nothing (404).
      if (!outcomes.includes(200) && outcomes.includes(404)) {
        if (performance.now() >= killedAt) lostInOutage++;
        else lostOutsideOutage++;
      }
    };

    const outage = (async () => {
      await sleep(o.downAt * 1000);
      killedAt = performance.now();
      await redis.stop();
      await sleep(o.downFor * 1000);
      await redis.start();
      restartedAt = performance.now();
    })();
    await Promise.all([
      outage,
      ...Array.from({ length: o.apps }, async () => {
        while (performance.now() < end) await login();
      }),
    ]);
    const elapsed = performance.now() - started;

    const inOutage = (at: number) => at >= killedAt && at <= restartedAt + RECOVERY_GRACE_MS;
    const outage503 = fiveXX.filter((f) => f.status === 503 && inOutage(f.at));
    const last503 = Math.max(...fiveXX.filter((f) => f.status === 503).map((f) => f.at), -Infinity);
    const afterRestart = collectedAt.filter((t) => t >= restartedAt);
    const crashed = brokers.filter((b) => b.exitedEarly).length;
    const logs = brokers.flatMap((b) => b.output).join("");
    let secretHits = 0;
    for (const s of secrets) secretHits += logs.split(s).length - 1;
    return {
      requests,
      requestsPerSecond: Math.round(requests / (elapsed / 1000)),
      statuses,
      logins: collected.size,
      steadyLoginsPerSecond:
        Math.round((collectedAt.filter((t) => t < killedAt).length / ((killedAt - started) / 1000)) * 10) /
        10,
      unexpected5xx: fiveXX.length - outage503.length,
      outage503: outage503.length,
      outage503WithoutRetryAfter: outage503.filter((f) => !f.retryAfter).length,
      steady5xx: fiveXX.filter((f) => f.at < killedAt).length,
      servedTwice: [...collected.values()].filter((n) => n > 1).length,
      lostInOutage,
      lostOutsideOutage,
      notFoundBeforeKill,
      last503AfterRestartMs: Number.isFinite(last503) ? Math.max(0, Math.round(last503 - restartedAt)) : null,
      firstLoginAfterRestartMs: afterRestart.length > 0 ? Math.round(afterRestart[0]! - restartedAt) : null,
      connectionErrors,
      crashed,
      secretHits,
      logBytes: logs.length,
      unhandled,
      ms: Math.round(elapsed),
    };
  } finally {
    process.off("unhandledRejection", onUnhandled);
    await Promise.all(
      brokers.map(
        (b) =>
          new Promise<void>((resolve) => {
            if (b.child.exitCode !== null || b.child.signalCode !== null) return resolve();
            b.child.once("exit", () => resolve());
            b.child.kill("SIGTERM");
          }),
      ),
    );
    await emu.close();
    await redis.dispose();
  }
}
