import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's Chromium; the tests never download a browser. */
export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/**
 * Launches headless Chromium with a fresh profile and without the background connections a closed
 * network refuses. `close` shuts it and deletes the profile.
 */
export async function launchChromium(
  options: {
    /** Send every request through this HTTP proxy, loopback ones too (a test's stand-in for another machine). */
    proxy?: string;
  } = {},
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), "monzokit-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // Playwright proxies loopback addresses too when a proxy is set (it adds <-loopback> for Chromium).
    ...(options.proxy ? { proxy: { server: options.proxy } } : {}),
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
