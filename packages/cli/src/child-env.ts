/**
 * The environment for a program that is not monzo — the browser, the keychain tool: the given one without
 * Monzokit's settings (`MONZO_*`), which hold the client secret and tokens (`MONZO_CLIENT_SECRET`,
 * `MONZO_ACCESS_TOKEN`). None of those programs needs them, and a browser keeps its environment for as long
 * as it runs, readable by everything it starts.
 *
 * @example spawn("secret-tool", args, { env: foreignEnv(io.env) })
 */
export function foreignEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^MONZO_/i.test(name)));
}
