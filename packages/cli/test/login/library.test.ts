import { createServer } from "node:net";
import { serveEmulator } from "@monzokit/emulator";
import { describe, expect, it } from "vitest";
import { loopbackLogin } from "../../src/index.js";

describe("loopbackLogin (library)", () => {
  it("hands out the URL, catches the redirect on loopback, checks the state and returns the tokens", async () => {
    const emu = await serveEmulator({ seed: "lib", transactions: 50, autoConsent: true }, { port: 0 });
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    emu.emulator.control.addClient({
      id: "oauth2client_0000LibLogin000000001",
      secret: "mnzconf.lib",
      redirectUris: [redirectUri],
      confidential: true,
    });
    try {
      const urls: string[] = [];
      const tokens = await loopbackLogin({
        clientId: "oauth2client_0000LibLogin000000001",
        clientSecret: "mnzconf.lib",
        redirectUri,
        authUrl: emu.authUrl,
        apiUrl: emu.url,
        onUrl: (url) => {
          urls.push(url);
          void fetch(url).then((r) => r.text());
        },
      });
      expect(urls).toHaveLength(1);
      expect(tokens.refreshToken).toBeTruthy();
      expect(tokens.clientId).toBe("oauth2client_0000LibLogin000000001");
    } finally {
      await emu.close();
    }
  });
});
