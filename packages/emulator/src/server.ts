import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createEmulator, type Emulator, isLoopback } from "./emulator.js";
import type { EmulatorOptions } from "./options.js";

export interface ServeOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Serve the control API on a non-loopback address anyway. Default false. */
  allowRemoteControl?: boolean;
}

export interface RunningEmulator {
  emulator: Emulator;
  /** `http://host:port`, the API base URL. */
  url: string;
  /** The login page, `<url>/auth/`. */
  authUrl: string;
  port: number;
  close(): Promise<void>;
}

/** Thrown for a setting the emulator cannot start with; the message (or `hint`) says what to change. */
export class EmulatorStartError extends Error {
  constructor(
    message: string,
    /** What to do about it, when the message does not already say. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * Serves an emulator over real HTTP on Node. Refuses to expose the control API beyond loopback
 * unless `allowRemoteControl` is set, because it can mint tokens and move money.
 */
export async function serveEmulator(
  options: EmulatorOptions = {},
  serveOptions: ServeOptions = {},
): Promise<RunningEmulator> {
  const host = serveOptions.host ?? "127.0.0.1";
  if (options.control !== false && !isLoopback(host) && !serveOptions.allowRemoteControl) {
    throw new EmulatorStartError(
      `refusing to serve the control API on ${host}: it can mint tokens and move money. Bind to 127.0.0.1, pass --no-control, or --allow-remote-control if you really mean it.`,
    );
  }
  const emulator = createEmulator(options);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: emulator.app.fetch, port: serveOptions.port ?? 0, hostname: host }, () =>
      resolve(s),
    );
    s.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new EmulatorStartError(
              `Port ${serveOptions.port} on ${host} is already in use (another emulator?)`,
              "Stop what uses it, pick another with --port N, or --port 0 for any free port.",
            )
          : error,
      );
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  const url = `http://${shown}:${port}`;
  if (!options.baseUrl) emulator.state.options.baseUrl = url;
  return {
    emulator,
    url,
    authUrl: `${url}${options.authPrefix ?? "/auth"}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        emulator.close();
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
