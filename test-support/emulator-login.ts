/**
 * A whole authorization-code login against an auto-consenting emulator over HTTP, without a browser: the
 * token set a `monzo login` would get. For suites that need real, refreshable tokens as a starting point.
 */
export interface EmulatorClient {
  id: string;
  secret: string;
  redirectUri: string;
}

export interface LoginTokens {
  accessToken: string;
  refreshToken: string;
  userId: string;
  clientId: string;
  expiresIn: number;
}

export async function emulatorLogin(
  emu: { url: string; authUrl: string },
  client: EmulatorClient,
): Promise<LoginTokens> {
  const q = new URLSearchParams({
    client_id: client.id,
    redirect_uri: client.redirectUri,
    response_type: "code",
    state: "emulator-login-state",
  });
  const consent = await fetch(`${emu.authUrl}?${q}`, { redirect: "manual" });
  const location = consent.headers.get("location");
  const code = location ? new URL(location).searchParams.get("code") : null;
  if (!code) throw new Error("the emulator did not consent on its own: start it with autoConsent");
  const res = await fetch(`${emu.url}/oauth2/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: client.id,
      client_secret: client.secret,
      redirect_uri: client.redirectUri,
      code,
    }),
  });
  const t = (await res.json()) as Record<string, string | number>;
  if (!res.ok) throw new Error(`the code exchange failed: ${res.status}`);
  return {
    accessToken: String(t["access_token"]),
    refreshToken: String(t["refresh_token"]),
    userId: String(t["user_id"]),
    clientId: String(t["client_id"]),
    expiresIn: Number(t["expires_in"]),
  };
}
