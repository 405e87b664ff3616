export type { NewTransaction, TransactionEdit } from "./data/live.js";
export { LiveError } from "./data/live.js";
export type { AccountJson, TransactionJson } from "./data/types.js";
export type { Emulator, EmulatorControl } from "./emulator.js";
export { createEmulator, isLoopback } from "./emulator.js";
export type { ConnectionDetails, EmulatorFlag, EmulatorFlagValues, EmulatorSettings } from "./flags.js";
export {
  connectionDetails,
  EMULATOR_FLAGS,
  EmulatorUsageError,
  emulatorHelp,
  emulatorSettings,
  formatConnectionDetails,
  parseEmulatorArgs,
  parseFault,
  startEmulatorFromFlags,
} from "./flags.js";
export type { EmulatorOptions, FaultOptions, FaultRule, OAuthClient, QuirkOptions } from "./options.js";
export { DEFAULT_QUIRKS, DEMO_CLIENT, DEMO_PUBLIC_CLIENT } from "./options.js";
export type { RunningEmulator, ServeOptions } from "./server.js";
export { EmulatorStartError, serveEmulator } from "./server.js";
export type { EmulatorState } from "./state.js";
