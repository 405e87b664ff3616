// Build Monzo's login URL and check the redirect it sends back (REFERENCE §2.2–2.4).
import { authorizationUrl, exchangeCode, validateCallback } from "@monzokit/core";

const clientId = process.env["MONZO_CLIENT_ID"] ?? "oauth2client_0000MonzokitDemo000001";
const clientSecret = process.env["MONZO_CLIENT_SECRET"] ?? "mnzconf.monzokit-demo-secret";
const redirectUri = "http://localhost:6600/callback";

const { url, state } = authorizationUrl({
  clientId,
  redirectUri,
  authUrl: process.env["MONZO_AUTH_URL"] ?? "https://auth.monzo.com/",
});
console.log(`Open this in a browser, then paste the address you are sent back to:\n${url}`);

export async function finish(pastedRedirect: string) {
  // Throws StateMismatchError (never exchanging the code) if the state is not ours.
  const callback = validateCallback(pastedRedirect, state);
  return exchangeCode(callback, {
    clientId,
    clientSecret,
    redirectUri,
    apiUrl: process.env["MONZO_API_URL"] ?? "https://api.monzo.com",
  });
}
