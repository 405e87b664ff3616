import { expect } from "vitest";
import {
  createEmulator,
  DEMO_CLIENT,
  type Emulator,
  type EmulatorOptions,
  type OAuthClient,
} from "../src/index.js";

export const REDIRECT = DEMO_CLIENT.redirectUris[0]!;

/** A small emulator on a frozen clock so every test controls time. */
export function emulator(options: EmulatorOptions = {}): Emulator {
  return createEmulator({
    seed: "tests",
    transactions: 600,
    clock: { start: "2026-06-01T12:00:00Z", frozen: true },
    ...options,
  });
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  scope: string;
  user_id: string;
  client_id: string;
  token_type: string;
}

export function form(values: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(values).toString(),
  };
}

/** Walks the real consent page: GET the page, POST Allow as `userIndex`, return the redirect's code and state. */
export async function authorize(
  e: Emulator,
  opts: {
    client?: OAuthClient;
    redirectUri?: string;
    state?: string;
    userIndex?: number;
    decision?: "allow" | "deny";
  } = {},
): Promise<URL> {
  const client = opts.client ?? DEMO_CLIENT;
  const redirectUri = opts.redirectUri ?? client.redirectUris[0]!;
  const q = new URLSearchParams({
    client_id: client.id,
    redirect_uri: redirectUri,
    response_type: "code",
    state: opts.state ?? "s-123",
  });
  const page = await e.app.request(`/auth/?${q}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1];
  const users = [...html.matchAll(/name="user_id" value="([^"]+)"/g)].map((m) => m[1]!);
  const res = await e.app.request(
    "/auth/authorize",
    form({ consent: consent!, user_id: users[opts.userIndex ?? 0]!, decision: opts.decision ?? "allow" }),
  );
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location")!);
}

export async function exchange(
  e: Emulator,
  code: string,
  client: OAuthClient = DEMO_CLIENT,
  redirectUri = client.redirectUris[0]!,
) {
  return e.app.request(
    "/oauth2/token",
    form({
      grant_type: "authorization_code",
      client_id: client.id,
      client_secret: client.secret,
      redirect_uri: redirectUri,
      code,
    }),
  );
}

/** Logs in through the consent page and exchanges the code. Approves in the app unless told not to. */
export async function login(
  e: Emulator,
  opts: { client?: OAuthClient; userIndex?: number; approve?: boolean } = {},
): Promise<Tokens> {
  const client = opts.client ?? DEMO_CLIENT;
  const callback = await authorize(e, {
    client,
    ...(opts.userIndex === undefined ? {} : { userIndex: opts.userIndex }),
  });
  const res = await exchange(e, callback.searchParams.get("code")!, client);
  expect(res.status).toBe(200);
  const tokens = (await res.json()) as Tokens;
  if (opts.approve !== false) e.control.approve({ userId: tokens.user_id, clientId: client.id });
  return tokens;
}

export async function refresh(e: Emulator, refreshToken: string, client: OAuthClient = DEMO_CLIENT) {
  return e.app.request(
    "/oauth2/token",
    form({
      grant_type: "refresh_token",
      client_id: client.id,
      client_secret: client.secret,
      refresh_token: refreshToken,
    }),
  );
}

/** A request with the bearer token. */
export function api(e: Emulator, token: string, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return e.app.request(path, { ...init, headers });
}

export async function json<T = Record<string, unknown>>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

interface UserInfo {
  id: string;
  name: string;
  accounts: {
    id: string;
    type: string;
    closed: boolean;
    balance: number;
    transactions: number;
    pots: {
      id: string;
      name: string;
      balance: number;
      deleted: boolean;
      locked: boolean;
      added_security: boolean;
    }[];
  }[];
}

export async function users(e: Emulator): Promise<UserInfo[]> {
  return (await json<{ users: UserInfo[] }>(e.app.request("/_emulator/users"))).users;
}

/** The main user's current account id. */
export async function mainAccount(e: Emulator): Promise<string> {
  return (await users(e))[0]!.accounts.find((a) => a.type === "uk_retail")!.id;
}

export async function expectError(res: Response | Promise<Response>, status: number, code: string) {
  const r = await res;
  const body = (await r.json()) as { code: string; message: string };
  expect({ status: r.status, code: body.code }).toEqual({ status, code });
  expect(typeof body.message).toBe("string");
  return body as Record<string, unknown>;
}
