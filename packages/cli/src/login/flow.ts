import {
  authorizationUrl,
  BrokerLogin,
  exchangeCode,
  isLoopbackUrl,
  type MonzoClient,
  type TokenSet,
  validateCallback,
  waitForApproval,
} from "@monzokit/core";
import { showUrl } from "../browser.js";
import { type EndpointName, endpointNote, noteOnce, requireEndpoints } from "../config/endpoints.js";
import { apiOrigin, withRoute } from "../config/login-route.js";
import { type ProfileConfig, readProfile, type Settings, writeProfile } from "../config/settings.js";
import { ConfigError, InterruptedError, UsageError } from "../errors.js";
import { nodeHttpFetch } from "../http-fetch.js";
import type { Io } from "../io.js";
import { paint } from "../output/format.js";
import { printable } from "../output/printable.js";
import { startProgress } from "../progress.js";
import { type Session, whereTokensWent } from "../session.js";
import { recordApproval, recordLogin } from "../store/approvals.js";
import { startBrokerReturnServer } from "./broker-return.js";
import { startCallbackServer } from "./loopback.js";

export interface LoginOptions {
  manual: boolean;
  openBrowser: boolean;
  /** Overrides the redirect URI's port. */
  port: number | undefined;
  timeoutMs: number;
  approvalTimeoutMs: number;
  /** Wait for in-app approval after the exchange. */
  wait: boolean;
  /** Read the pasted redirect from here (tests, pipes) instead of prompting; `signal` gives the read up. */
  pasted?: (signal?: AbortSignal) => Promise<string>;
  quiet: boolean;
}

/** Client id and secret from settings, asking for missing ones (secret hidden) when a person is there. */
export async function ensureCredentials(
  io: Io,
  settings: Settings,
): Promise<{ clientId: string; clientSecret: string; asked: boolean }> {
  let { clientId, clientSecret } = settings;
  let asked = false;
  if (!clientId || !clientSecret) {
    if (!io.interactive) {
      const missing = [
        !clientId && "MONZO_CLIENT_ID (or --client-id)",
        !clientSecret && "MONZO_CLIENT_SECRET (or --client-secret)",
      ]
        .filter(Boolean)
        .join(" and ");
      const saveSecret = 'printf %s "$SECRET" | monzo config set clientSecret';
      throw new ConfigError(
        `Missing ${missing}, and there is no terminal to ask on`,
        !clientId && !clientSecret
          ? `Set them in the environment, or save them once: monzo config set clientId ID, then ${saveSecret}.`
          : !clientId
            ? "Set it in the environment, or save it once: monzo config set clientId ID."
            : `Set it in the environment, or save it once: ${saveSecret}.`,
      );
    }
    io.err(
      "Monzo OAuth client (create one at https://developers.monzo.com → Clients; use the redirect URL below):\n",
    );
    if (!clientId) clientId = (await io.prompt("  Client ID: ")).trim();
    if (!clientSecret)
      clientSecret = (await io.prompt("  Client secret (hidden): ", { secret: true })).trim();
    asked = true;
    if (!clientId || !clientSecret)
      throw new UsageError(
        "A client id and secret are needed to log in",
        "Copy them from Monzo's developer portal.",
      );
  }
  return { clientId, clientSecret, asked };
}

function redirectFor(settings: Settings, port: number | undefined): string {
  const url = new URL(settings.redirectUri);
  if (port !== undefined) url.port = String(port);
  return url.toString();
}

/**
 * Login through a Monzokit broker: no client secret on this machine. The broker hands out the login URL,
 * catches Monzo's redirect, and gives us the tokens once; refreshes then go through it too. The login is
 * bound to this process: the broker sends the browser back to our own loopback address with a one-time
 * confirmation, and releases the tokens only for it (with --manual, the person pastes that address).
 */
export async function loginThroughBroker(
  session: Session,
  options: LoginOptions & { brokerUrl: string },
): Promise<TokenSet> {
  const { io, settings } = session;
  const c = paint(io.color);
  requireEndpoints(settings.endpoints, ["brokerUrl", "apiUrl"]);
  const broker = new BrokerLogin({ brokerUrl: options.brokerUrl, fetch: session.fetch });
  const back = await startBrokerReturnServer();
  // Ctrl+C until the tokens are saved: while the person is on the login page it ends the wait with nothing
  // saved; once the broker has released the tokens they are saved first (never half-written), then it stops.
  const interrupt = watchInterrupt();
  try {
    const { id, loginUrl, bound } = await broker
      .start({ returnTo: back.returnTo, signal: interrupt.signal })
      .catch((error: unknown) => {
        throw interrupt.signal.aborted ? loginCancelled(settings, options.brokerUrl) : error;
      });
    if (!bound)
      io.err(
        `${c.yellow("warning:")} the broker at ${options.brokerUrl} does not bind its logins to the app that starts them (an older broker, or one run with BROKER_UNBOUND_LOGINS=1): a login link from it that someone sends you would give them your tokens. Only open the link this terminal prints.\n`,
      );
    await showUrl(io, loginUrl, {
      intro: `Open this page to log in to Monzo (through the broker at ${options.brokerUrl})`,
      open: options.openBrowser && !options.manual,
      from: "the broker (--broker or MONZO_BROKER_URL)",
    });
    if (options.manual)
      io.err(
        "After you allow access, your browser goes to an address on 127.0.0.1 that may not load on that computer. Copy that whole address.\n",
      );
    let pastes = 0;
    const pasted = async (): Promise<string> => {
      if (pastes++ > 0)
        io.err("The broker refused that confirmation: paste the address from this login's browser.\n");
      const text = await readPasted(io, options.pasted, interrupt.signal);
      return confirmationFromPaste(text);
    };
    const tokens = await broker
      .waitForTokens(id, {
        timeoutMs: options.timeoutMs,
        signal: interrupt.signal,
        confirmation: options.manual ? pasted : (signal) => back.next(signal),
      })
      .catch((error: unknown) => {
        throw interrupt.signal.aborted ? loginCancelled(settings, options.brokerUrl) : error;
      });
    back.finish({ ok: true });
    // Saved with the tokens: they refresh only through this broker, whatever client is configured later.
    // And with the API they are used at here: they are sent to no other.
    await session.manager.setTokens(
      withRoute(tokens, {
        kind: "broker",
        brokerUrl: options.brokerUrl,
        apiOrigin: apiOrigin(settings.apiUrl),
      }),
    );
    interrupt.dispose();
    if (interrupt.signal.aborted) throw stoppedAfterSave(session);
    // Remember the broker so refreshes go through it (only what the person chose: see rememberBroker).
    await rememberBroker(session, options.brokerUrl);
    if (!options.quiet)
      io.err(
        `${c.green("✓")} ${printable(`Logged in as ${tokens.userId} through the broker. Tokens saved to ${whereTokensWent(session)}.`)}\n`,
      );
    if (options.wait) await waitForAppApproval(session, options);
    return tokens;
  } catch (error) {
    back.finish({ ok: false, message: "The login did not complete: see the terminal." });
    throw error;
  } finally {
    interrupt.dispose();
    await back.close();
  }
}

/**
 * Ctrl+C for the part of a login that waits on the person: `signal` aborts at the first one, which is all
 * it does (no exit), so what the wait leaves can be said and closed in order. `dispose` gives Ctrl+C back.
 */
function watchInterrupt(): { signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on("SIGINT", onSignal);
  return { signal: stop.signal, dispose: () => process.off("SIGINT", onSignal) };
}

/**
 * The address the person pastes: from the caller's reader, else at a terminal's prompt, else nothing (no
 * terminal to ask); Ctrl+C (`signal`) gives it up.
 */
function readPasted(io: Io, pasted: LoginOptions["pasted"], signal: AbortSignal): Promise<string> {
  const text = pasted
    ? pasted(signal)
    : io.interactive
      ? io.prompt("Paste the address here: ")
      : Promise.resolve("");
  return untilAborted(text, signal);
}

/** `promise`, or a rejection as soon as `signal` aborts (a prompt or a read that cannot be called off). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Ctrl+C before any token reached this machine: nothing was saved, and the way to start again. */
function loginCancelled(settings: Settings, brokerUrl?: string): InterruptedError {
  const profile = settings.profile === "default" ? "" : ` --profile ${settings.profile}`;
  // A --broker is saved only with a finished login: it is named again; one from the environment is still there.
  const broker =
    brokerUrl !== undefined && settings.sources["brokerUrl"] === "flag"
      ? ` --broker ${printable(brokerUrl)}`
      : "";
  return new InterruptedError(
    "Login cancelled: no tokens reached this machine, and nothing was saved",
    `Run monzo login${profile}${broker} again when you are ready; a login finished in the page already opened is not used.`,
  );
}

/** Ctrl+C while the tokens were being saved: they were saved whole first; the approval is still to come. */
function stoppedAfterSave(session: Session): InterruptedError {
  const profile = session.settings.profile === "default" ? "" : ` --profile ${session.settings.profile}`;
  return new InterruptedError(
    `Stopped after the login. You are logged in: the tokens are saved in ${whereTokensWent(session)}`,
    `Approve in the Monzo app whenever you like (Allow access to your data); monzo status${profile} says whether it is approved.`,
  );
}

/** The confirmation from a pasted return address (`http://127.0.0.1:…?confirm=…`), its query, or itself. */
export function confirmationFromPaste(text: string): string {
  const t = text.trim();
  if (/^[A-Za-z0-9_-]{43}$/.test(t)) return t;
  const query = t.includes("?") ? t.slice(t.indexOf("?") + 1) : t;
  const confirm = new URLSearchParams(query.split("#")[0]).get("confirm");
  if (confirm && /^[A-Za-z0-9_-]{43}$/.test(confirm)) return confirm;
  throw new UsageError(
    t ? "That is not the address the broker sent the browser to" : "Nothing was pasted",
    "Paste the whole address the browser went to after Allow (it starts with http://127.0.0.1 and contains confirm=).",
  );
}

/** URLs named on this command line, and hosts allowed by `--allow-host`: what the person chose just now. */
function chosenNow(settings: Settings): { values: ProfileConfig; hosts: string[] } {
  const values: ProfileConfig = {};
  const hosts = [...settings.runAllowHosts];
  for (const name of ["apiUrl", "brokerUrl"] as const) {
    const value = settings[name];
    if (value && settings.sources[name] === "flag") {
      values[name] = value;
      hosts.push(new URL(value).hostname);
    }
  }
  return { values, hosts };
}

/**
 * After a broker login, keep the broker for later refreshes — but save only what the person chose: a
 * `--broker` (and `--api-url`) on this command line is saved; a broker URL found in the
 * environment or a `.env` is saved only if they say so at the prompt, never without a terminal.
 */
async function rememberBroker(session: Session, brokerUrl: string): Promise<void> {
  const { io, settings } = session;
  const { values, hosts } = chosenNow(settings);
  const source = settings.sources["brokerUrl"];
  if (source !== "flag" && source !== "profile") {
    const from = source === ".env" ? `MONZO_BROKER_URL in ${settings.dotenv.path}` : "MONZO_BROKER_URL";
    const save =
      io.interactive &&
      /^(|y|yes)$/i.test(
        (
          await io.prompt(
            `Save the broker ${brokerUrl} (from ${from}) in ${settings.profilePath}, so later refreshes go through it? [Y/n] `,
          )
        ).trim(),
      );
    if (save) {
      values.brokerUrl = brokerUrl;
      hosts.push(new URL(brokerUrl).hostname);
    } else
      io.err(
        `The broker URL came from ${from} and is not saved in the profile: refreshes go through it while it is set. To keep it: monzo config set brokerUrl ${brokerUrl}\n`,
      );
  }
  if (Object.keys(values).length === 0) return;
  const existing = await readProfile(io, settings.profile);
  await writeProfile(io, settings.profile, { ...existing, ...values }, { confirmHosts: hosts });
}

/** The whole login: URL → browser or paste → state check → exchange → save → wait for approval. */
export async function login(session: Session, options: LoginOptions): Promise<TokenSet> {
  const { io, settings } = session;
  const c = paint(io.color);
  // The login page gets the person's Monzo login, the redirect URI the code: both must be chosen on purpose.
  requireEndpoints(settings.endpoints, ["authUrl", "redirectUri", "apiUrl"] satisfies EndpointName[]);
  const creds = await ensureCredentials(io, settings);
  const redirectUri = redirectFor(settings, options.port);
  const redirect = new URL(redirectUri);
  if (redirect.protocol === "http:" && !isLoopbackUrl(redirect)) {
    io.err(
      `${c.yellow("warning:")} the redirect URI ${redirectUri} uses plain http on another host; Monzo sends the login code there unencrypted. Use https in production.\n`,
    );
  }

  const { url, state } = authorizationUrl({
    clientId: creds.clientId,
    redirectUri,
    authUrl: settings.authUrl,
  });
  let callbackUrl: string | URL;
  let server: Awaited<ReturnType<typeof startCallbackServer>> | undefined;
  // Ctrl+C while the person is on the login page ends the wait with nothing saved; once the browser has
  // brought the code back, the exchange and the save finish first (a code is spent once), then it stops.
  const interrupt = watchInterrupt();
  const cancelled = (error: unknown) => {
    throw interrupt.signal.aborted ? loginCancelled(settings) : error;
  };
  if (!options.manual)
    server = await startCallbackServer({
      redirectUri,
      state,
      timeoutMs: options.timeoutMs,
      signal: interrupt.signal,
    }).catch((error: unknown) => {
      interrupt.dispose();
      throw error;
    });
  try {
    const page = settings.endpoints.authUrl;
    if (page && page.kind !== "monzo" && !(options.quiet && page.kind === "loopback"))
      noteOnce(
        io,
        "endpoint login page",
        endpointNote(page, {
          profile: settings.profile,
          profilePath: settings.profilePath,
          dotenvPath: settings.dotenv.path,
        }),
      );
    await showUrl(io, url, {
      intro: `Open this page to log in to Monzo${options.manual ? "" : ` (waiting for it on ${redirectUri})`}`,
      open: !options.manual && options.openBrowser,
      from: `the login page's URL (--auth-url or MONZO_AUTH_URL; this one came from ${settings.sources["authUrl"] ?? "the defaults"})`,
    });
    if (options.manual) {
      io.err(
        "After you allow access, your browser goes to an address that may not load. Copy that whole address.\n",
      );
      const text = await readPasted(io, options.pasted, interrupt.signal).catch(cancelled);
      if (!text.trim())
        throw new UsageError(
          "Nothing was pasted",
          "Paste the whole address the browser was sent to after Allow (it contains code= and state=).",
        );
      callbackUrl = parsePasted(text);
    } else {
      callbackUrl = await server!.callback.catch(cancelled);
    }
    const callback = validateCallback(callbackUrl, state);
    const tokens = await exchangeCode(callback, {
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      redirectUri,
      apiUrl: settings.apiUrl,
      fetch: session.fetch,
    });
    // Saved with the tokens: they refresh only at Monzo with this client, never through a broker.
    await session.manager.setTokens(
      withRoute(tokens, { kind: "client", apiOrigin: apiOrigin(settings.apiUrl) }),
    );
    await recordLogin(io.env, settings.profile, tokens.userId, io.now()).catch(() => {});
    server?.finish({ ok: true });
    interrupt.dispose();
    if (interrupt.signal.aborted) throw stoppedAfterSave(session);
    if (creds.asked && io.interactive) await offerToSave(io, settings, creds);
    if (!options.quiet)
      io.err(
        `${c.green("✓")} ${printable(`Logged in as ${tokens.userId}. Tokens saved to ${whereTokensWent(session)}.`)}\n`,
      );
    if (options.wait) await waitForAppApproval(session, options);
    return tokens;
  } catch (error) {
    server?.finish({ ok: false, error });
    throw error;
  } finally {
    interrupt.dispose();
    await server?.close();
  }
}

/** Accepts the pasted redirect URL, its query, or "CODE STATE". */
export function parsePasted(text: string): string {
  const t = text.trim();
  const pair = /^([^\s?&=]+)\s+([^\s?&=]+)$/.exec(t);
  if (pair) return `?code=${encodeURIComponent(pair[1]!)}&state=${encodeURIComponent(pair[2]!)}`;
  return t;
}

async function offerToSave(io: Io, settings: Settings, creds: { clientId: string; clientSecret: string }) {
  // The question names everything that would be saved: nothing from the environment is saved unasked.
  const redirect =
    settings.sources["redirectUri"] === "default" || settings.sources["redirectUri"] === "profile"
      ? undefined
      : settings.redirectUri;
  const answer = (
    await io.prompt(
      `Save the client id (${creds.clientId}) and secret${redirect ? ` and the redirect URI ${redirect}` : ""} to ${settings.profilePath} (readable only by you)? [Y/n] `,
    )
  )
    .trim()
    .toLowerCase();
  if (answer === "" || answer === "y" || answer === "yes") {
    const existing = await readProfile(io, settings.profile);
    await writeProfile(
      io,
      settings.profile,
      {
        ...existing,
        clientId: creds.clientId,
        clientSecret: creds.clientSecret,
        ...(redirect ? { redirectUri: redirect } : {}),
      },
      { confirmHosts: chosenNow(settings).hosts },
    );
    io.err(`Saved to ${settings.profilePath}.\n`);
  }
}

/**
 * Where a person approves a login when the API is Monzokit's emulator: its stand-in for the Monzo app,
 * `<auth URL>app`. Asked of the login page's host only when it is this machine, with no credentials.
 */
async function emulatorApprovalPage(settings: Settings): Promise<string | undefined> {
  let page: URL;
  try {
    page = new URL("app", settings.authUrl.endsWith("/") ? settings.authUrl : `${settings.authUrl}/`);
  } catch {
    return undefined;
  }
  if (!isLoopbackUrl(page) || !isLoopbackUrl(new URL(settings.apiUrl))) return undefined;
  try {
    const answer = await nodeHttpFetch(page, { signal: AbortSignal.timeout(1500), redirect: "manual" });
    const type = answer.headers.get("content-type") ?? "";
    await answer.body?.cancel();
    return answer.status === 200 && type.startsWith("text/html") ? page.toString() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits for "Allow access to your data" in the Monzo app, with a countdown (or, against the emulator, its
 * approval page). Ctrl+C stops the wait, not the login: the tokens are saved, and `monzo status` says later
 * whether the app has approved it.
 */
export async function waitForAppApproval(
  session: Session,
  options: { approvalTimeoutMs: number; quiet: boolean },
): Promise<void> {
  const { io } = session;
  const client: MonzoClient = session.client;
  const c = paint(io.color);
  if (!options.quiet) {
    const emulator = await emulatorApprovalPage(session.settings);
    io.err(
      emulator
        ? `${c.bold("Now approve the login")} on the emulator's stand-in for the Monzo app: ${emulator}\n`
        : `${c.bold("Now open the Monzo app")} and tap ${c.bold("Allow access to your data")} (Monzo asks every new login to be approved there).\n`,
    );
  }
  // Under --json the countdown is noise for the script reading the output.
  const progress = await startProgress(io, "Waiting for approval in the Monzo app…", {
    quiet: options.quiet || session.flags.json === true,
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  try {
    await waitForApproval((signal) => client.accounts.list({}, signal ? { signal } : {}), {
      timeoutMs: options.approvalTimeoutMs,
      intervalMs: 2000,
      signal: stop.signal,
      onTick: ({ remainingMs }) => {
        const s = Math.ceil(remainingMs / 1000);
        progress.update(
          `Waiting for approval in the Monzo app… ${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")} left`,
        );
      },
    });
  } catch (error) {
    progress.fail();
    if (stop.signal.aborted) {
      const profile = session.settings.profile === "default" ? "" : ` --profile ${session.settings.profile}`;
      throw new InterruptedError(
        `Stopped waiting for approval. You are logged in: the tokens are saved in ${whereTokensWent(session)}`,
        `Approve in the Monzo app whenever you like (Allow access to your data); monzo status${profile} says whether it is approved. No new login is needed.`,
      );
    }
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
  }
  const tokens = await session.manager.tokens().catch(() => undefined);
  if (tokens) await recordApproval(io.env, session.settings.profile, tokens.userId, io.now()).catch(() => {});
  progress.done(`${io.live ? "" : `${c.green("✓")} `}Approved in the Monzo app.`);
}
