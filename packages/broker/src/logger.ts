import pino from "pino";
import type { BrokerLogger } from "./app.js";

/**
 * Structured JSON logs (pino). The app only ever logs method, path, status and timing; the redact list is
 * a second line of defence should a field with a secret's name ever reach a log call.
 */
export function createLogger(level = "info"): BrokerLogger {
  return pino({
    level,
    base: { service: "monzo-broker" },
    redact: {
      paths: [
        "access_token",
        "refresh_token",
        "code",
        "client_secret",
        "token",
        "*.access_token",
        "*.refresh_token",
        "*.code",
        "*.client_secret",
        "*.token",
        "headers.authorization",
      ],
      censor: "[redacted]",
    },
  });
}
