/**
 * What a user installing from the registry gets. Every workspace package is packed with `npm pack`, the
 * tarballs are installed into empty directories outside the repository (as `npm install` from the registry
 * would lay them out), and the installed packages are used there: an ESM script drives core against the
 * installed `monzo-emulator`, the bins answer, a Node-only TypeScript consumer compiles, a minified bundle
 * keeps the error names, the broker works without `@redis/client` until the Redis store is asked for, and the
 * CLI's install (the emulator with it) stays the size its README states. The smoke runs use the Node the npm
 * scripts run on and the system's Node (when it is another version the packages claim to support).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import semver from "semver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

interface PackageJson {
  name: string;
  version: string;
  bin?: Record<string, string>;
  engines?: { node?: string };
  workspaces?: string[];
  devDependencies?: Record<string, string>;
}
interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
const ROOT_PKG = readJson<PackageJson>(join(ROOT, "package.json"));
const PACKAGES = ROOT_PKG.workspaces!.map((dir) => readJson<PackageJson>(join(ROOT, dir, "package.json")));
const ENGINES = PACKAGES[0]!.engines?.node ?? "";

/** The environment a user's shell would have: nothing npm set for the script running this test. */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^npm_/i.test(k) && k !== "NODE_OPTIONS") env[k] = v;
  return { ...env, NO_COLOR: "1", ...extra };
}

/** The first `node` on PATH outside any node_modules (the system's), or undefined. */
function systemNode(): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir || dir.includes("node_modules")) continue;
    const candidate = join(dir, "node");
    try {
      if (statSync(candidate).isFile()) return realpathSync(candidate);
    } catch {}
  }
  return undefined;
}

const nodeVersion = (bin: string) =>
  spawnSync(bin, ["-p", "process.version"], { encoding: "utf8" }).stdout.trim();

/** The Nodes the smoke runs use: this one, and the system's when it is another supported version. */
const NODES = (() => {
  const nodes = [{ bin: process.execPath, version: process.version }];
  const system = systemNode();
  if (system) {
    const version = nodeVersion(system);
    if (version !== process.version && semver.satisfies(version, ENGINES))
      nodes.push({ bin: system, version });
  }
  return nodes;
})();

function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
) {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? userEnv(),
    encoding: "utf8",
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", error: r.error };
}

function npm(args: string[], cwd: string): string {
  const r = run("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd });
  if (r.status !== 0) throw new Error(`npm ${args.join(" ")} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

let work = "";
let packed: Packed[] = [];
/** Every package installed together. */
let full = "";

const tarball = (name: string) => join(work, packed.find((p) => p.name === name)!.filename);
const installed = (dir: string, name: string) => join(dir, "node_modules", ...name.split("/"));

async function consumer(name: string, specs: string[]): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir);
  await writeFile(join(dir, "package.json"), `${JSON.stringify({ name, private: true, type: "module" })}\n`);
  // --prefer-offline: what `npm ci` already downloaded comes from npm's cache; anything else from the registry.
  npm(["install", "--prefer-offline", ...specs], dir);
  return dir;
}

/** Size in bytes of everything under a directory. */
function sizeOf(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, entry) => sum + sizeOf(join(path, entry)), 0);
}

beforeAll(async () => {
  for (const dir of ROOT_PKG.workspaces!)
    if (!existsSync(join(ROOT, dir, "dist", "index.js")))
      throw new Error(`${dir} is not built: run npm run build (npm test does) before this test`);
  work = await mkdtemp(join(tmpdir(), "monzokit-packaging-"));
  packed = JSON.parse(
    npm(["pack", "--workspaces", "--json", "--ignore-scripts", "--pack-destination", work], ROOT),
  ) as Packed[];
  const typesNode = `@types/node@${ROOT_PKG.devDependencies!["@types/node"]}`;
  full = await consumer("full", [...PACKAGES.map((p) => tarball(p.name)), typesNode]);
}, 240_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

// Installing and checking every declaration (@types/node included) is CPU-bound: seconds on an idle machine,
// a minute or more on a busy one.
describe("packages as npm installs them", { timeout: 240_000 }, () => {
  it("every package claims the same Node versions, and the Nodes tested here satisfy them", () => {
    expect(ENGINES).not.toBe("");
    for (const pkg of [ROOT_PKG, ...PACKAGES]) expect(pkg.engines?.node, pkg.name).toBe(ENGINES);
    for (const node of NODES) expect(semver.satisfies(node.version, ENGINES), node.version).toBe(true);
  });

  it("the tarballs carry the committed bin entries, and no source map without its sources", () => {
    for (const pkg of PACKAGES) {
      const files = packed.find((p) => p.name === pkg.name)!.files.map((f) => f.path);
      for (const bin of Object.values(pkg.bin ?? {}))
        expect(files, pkg.name).toContain(bin.replace(/^\.\//, ""));
      const maps = files.filter((f) => f.endsWith(".map"));
      for (const map of maps) {
        const { sources, sourcesContent } = readJson<{ sources: string[]; sourcesContent?: unknown[] }>(
          join(installed(full, pkg.name), map),
        );
        expect(sourcesContent?.length, `${pkg.name}/${map}`).toBe(sources.length);
        for (const content of sourcesContent ?? [])
          expect(typeof content, `${pkg.name}/${map}`).toBe("string");
      }
    }
  });

  it.each(NODES)(
    "an ESM script logs in with core against the installed monzo-emulator, and the installed monzo works there (Node $version)",
    async ({ bin }) => {
      const emulator = await startEmulator(bin);
      try {
        await writeFile(
          join(full, "smoke.mjs"),
          `import { authorizationUrl, exchangeCode, MonzoClient, validateCallback, waitForApproval } from "@monzokit/core";
const e = JSON.parse(process.argv[2]);
const { url, state } = authorizationUrl({ clientId: e.client_id, redirectUri: e.redirect_uri, authUrl: e.auth_url });
const redirect = (await fetch(url, { redirect: "manual" })).headers.get("location");
const credentials = { clientId: e.client_id, clientSecret: e.client_secret, redirectUri: e.redirect_uri, apiUrl: e.api_url };
const tokens = await exchangeCode(validateCallback(redirect, state), credentials);
const client = new MonzoClient({ accessToken: tokens.accessToken, apiUrl: e.api_url });
await waitForApproval(() => client.accounts.list(), { intervalMs: 20 });
const [account] = await client.accounts.list();
const balance = await client.balance.retrieve(account.id);
const page = await client.transactions.list({ accountId: account.id, limit: 5 });
console.log(JSON.stringify({ node: process.version, currency: balance.currency, transactions: page.items.length }));
`,
        );
        const r = run(bin, ["smoke.mjs", JSON.stringify(emulator.info)], { cwd: full });
        expect(r.stderr).toBe("");
        expect(JSON.parse(r.stdout)).toEqual({ node: nodeVersion(bin), currency: "GBP", transactions: 5 });
        // The installed monzo on the same Node: a playground token from the emulator, then real commands.
        const minted = await fetch(`${emulator.info["control_url"]}/tokens`, { method: "POST" });
        const { access_token: token } = (await minted.json()) as { access_token: string };
        const env = userEnv({
          PATH: [join(full, "node_modules", ".bin"), dirname(bin), "/usr/bin", "/bin"].join(delimiter),
          MONZOKIT_HOME: await mkdtemp(join(work, "home-")),
          MONZO_API_URL: emulator.info["api_url"]!,
          MONZO_TOKEN_STORE: "file",
        });
        const monzo = (args: string[], input?: string) =>
          run(bin, [join(installed(full, "@monzokit/cli"), "bin", "monzo.js"), ...args], {
            cwd: full,
            env,
            ...(input === undefined ? {} : { input }),
          });
        const login = monzo(["login", "--access-token"], token);
        expect(login.status, login.stderr).toBe(0);
        const balance = monzo(["--json", "balance"]);
        expect(balance.status, balance.stderr).toBe(0);
        expect(JSON.parse(balance.stdout)).toMatchObject({ currency: "GBP" });
        const pots = monzo(["--json", "pots", "list"]);
        expect(pots.status, pots.stderr).toBe(0);
        expect(Array.isArray(JSON.parse(pots.stdout))).toBe(true);
      } finally {
        await emulator.stop();
      }
    },
  );

  it.each(NODES)(
    "monzo --version, monzo-emulator --help and monzo-broker --help answer, and require() loads every package (Node $version)",
    ({ bin }) => {
      const env = userEnv({
        PATH: [join(full, "node_modules", ".bin"), dirname(bin), "/usr/bin", "/bin"].join(delimiter),
      });
      const version = run(join(full, "node_modules", ".bin", "monzo"), ["--version"], { cwd: full, env });
      expect(version).toMatchObject({
        status: 0,
        stdout: `${PACKAGES.find((p) => p.name === "@monzokit/cli")!.version}\n`,
      });
      const emulatorHelp = run(join(full, "node_modules", ".bin", "monzo-emulator"), ["--help"], {
        cwd: full,
        env,
      });
      expect(emulatorHelp.status).toBe(0);
      expect(emulatorHelp.stdout).toContain("--auto-approve");
      const brokerHelp = run(join(full, "node_modules", ".bin", "monzo-broker"), ["--help"], {
        cwd: full,
        env,
      });
      expect(brokerHelp.status).toBe(0);
      expect(brokerHelp.stdout).toContain("gen-key");
      // The READMEs' `npx @monzokit/emulator` and `npx @monzokit/broker` run the packages' own bins.
      for (const [pkg, says] of [
        ["@monzokit/emulator", "--auto-approve"],
        ["@monzokit/broker", "gen-key"],
      ] as const) {
        const npx = run("npx", ["--no-install", pkg, "--help"], { cwd: full, env: userEnv() });
        expect(npx.status, npx.stderr).toBe(0);
        expect(npx.stdout).toContain(says);
      }
      // CommonJS consumers can require() every package: why the floor is 20.19 and 22.12.
      const required = run(
        bin,
        ["-e", `for (const p of ${JSON.stringify(PACKAGES.map((p) => p.name))}) require(p)`],
        { cwd: full, env },
      );
      expect(required.status, required.stderr).toBe(0);
      // With the emulator installed beside it, `monzo emulator` has every option of `monzo-emulator`.
      const cliEmulator = run(join(full, "node_modules", ".bin", "monzo"), ["emulator", "--help"], {
        cwd: full,
        env,
      });
      expect(cliEmulator.status).toBe(0);
      expect(cliEmulator.stdout).toContain("--auto-consent");
    },
  );

  it.each(NODES)(
    "the mirror commands work where Node has node:sqlite and say what they need where it has not (Node $version)",
    async ({ bin }) => {
      const hasSqlite = run(bin, ["-e", 'require("node:sqlite")'], { cwd: full }).status === 0;
      const notAMirror = join(await mkdtemp(join(work, "mirror-")), "mirror.db");
      await writeFile(notAMirror, "not a database\n");
      const r = run(
        bin,
        [join(installed(full, "@monzokit/cli"), "bin", "monzo.js"), "sql", "SELECT 1", "--db", notAMirror],
        { cwd: full, env: userEnv({ MONZOKIT_HOME: await mkdtemp(join(work, "home-")) }) },
      );
      // Exit 3 either way: a file that is not a mirror, or a Node without SQLite; never 1 (a bug).
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      if (hasSqlite) expect(r.stderr).toContain("is not a Monzokit mirror");
      else expect(r.stderr).toContain("needs Node's built-in SQLite, in Node 22.13 or newer");
      expect(readFileSync(notAMirror, "utf8")).toBe("not a database\n");
    },
  );

  it("the types compile for a Node-only consumer (lib es2022, @types/node, skipLibCheck false)", async () => {
    await writeFile(
      join(full, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2022",
          lib: ["es2022"],
          module: "nodenext",
          moduleResolution: "nodenext",
          types: ["node"],
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
        },
        include: ["types.ts"],
      }),
    );
    await writeFile(
      join(full, "types.ts"),
      `import * as broker from "@monzokit/broker";
import * as cli from "@monzokit/cli";
import { MonzoClient, type Transaction } from "@monzokit/core";
import * as emulator from "@monzokit/emulator";
export const client = new MonzoClient({ accessToken: "t" });
export const first = async (accountId: string): Promise<Transaction | undefined> =>
  (await client.transactions.list({ accountId, limit: 1 })).items[0];
export const modules = [broker, cli, emulator];
`,
    );
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = run(process.execPath, [tsc, "-p", "."], { cwd: full });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("error classes keep their names in a bundle minified by esbuild", async () => {
    await writeFile(
      join(full, "names.mjs"),
      `import * as core from "@monzokit/core";
const wrong = Object.entries(core)
  .filter(([, v]) => typeof v === "function" && v.prototype instanceof Error)
  .filter(([name, v]) => v.prototype.name !== name)
  .map(([name, v]) => name + " is called " + v.prototype.name);
const client = new core.MonzoClient({ accessToken: "t", apiUrl: "http://127.0.0.1:9", maxRetries: 0 });
const error = await client.accounts.list().catch((e) => e);
console.log(JSON.stringify({ wrong, name: error.name, isConnectionError: error instanceof core.ConnectionError }));
`,
    );
    await build({
      absWorkingDir: full,
      entryPoints: ["names.mjs"],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "node",
      outfile: join(full, "names.min.mjs"),
      logLevel: "silent",
    });
    expect(readFileSync(join(full, "names.min.mjs"), "utf8")).not.toContain("class ConnectionError");
    const r = run(process.execPath, ["names.min.mjs"], { cwd: full });
    expect(JSON.parse(r.stdout)).toEqual({ wrong: [], name: "ConnectionError", isConnectionError: true });
  });

  it("the broker installs without @redis/client, and BROKER_STORE=redis says how to add it", () => {
    expect(existsSync(installed(full, "@redis/client"))).toBe(false);
    const r = run(join(full, "node_modules", ".bin", "monzo-broker"), [], {
      cwd: full,
      env: userEnv({
        MONZO_CLIENT_ID: "oauth2client_x",
        MONZO_CLIENT_SECRET: "mnzconf.x",
        BROKER_PUBLIC_URL: "https://broker.example.com",
        BROKER_KEY: run(join(full, "node_modules", ".bin", "monzo-broker"), ["gen-key"], {
          cwd: full,
        }).stdout.trim(),
        BROKER_STORE: "redis",
        REDIS_URL: "redis://127.0.0.1:9",
        PORT: "0",
      }),
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("npm install @redis/client");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("the CLI installs with the emulator, and its install is the size the CLI's README states", async () => {
    // As `npm i -g @monzokit/cli` installs it: the CLI and its dependencies (core and the emulator are given
    // as tarballs, being unpublished; everything else comes as from the registry).
    const cliOnly = await consumer("cli-only", [
      tarball("@monzokit/core"),
      tarball("@monzokit/emulator"),
      tarball("@monzokit/cli"),
    ]);
    expect(readdirSync(join(cliOnly, "node_modules", "@monzokit")).sort()).toEqual([
      "cli",
      "core",
      "emulator",
    ]);
    // `webhooks listen` needs @hono/node-server, which brings Hono: the emulator adds only itself.
    expect(readdirSync(join(cliOnly, "node_modules"))).toContain("hono");
    const r = run(join(cliOnly, "node_modules", ".bin", "monzo"), ["emulator", "--help"], { cwd: cliOnly });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("--auto-approve");
    // The figures the CLI's README quotes (10.3 MB in all, 0.75 MB of it the emulator, on linux-x64 with
    // the keychain binding's 3.4 MB binary), with a margin: growth past it should be a decision.
    expect(sizeOf(join(cliOnly, "node_modules"))).toBeLessThan(12 * 10 ** 6);
    expect(sizeOf(installed(cliOnly, "@monzokit/emulator"))).toBeLessThan(10 ** 6);
  });
});

async function startEmulator(
  node: string,
): Promise<{ info: Record<string, string>; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    node,
    [
      join(installed(full, "@monzokit/emulator"), "bin", "monzo-emulator.js"),
      "--port",
      "0",
      "--json",
      "--auto-consent",
      "--auto-approve",
      "--transactions",
      "50",
    ],
    { cwd: full, env: userEnv(), stdio: ["ignore", "pipe", "pipe"] },
  );
  const info = await new Promise<Record<string, string>>((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d;
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!) as Record<string, string>);
    });
    child.stderr!.on("data", (d: Buffer) => {
      err += d;
    });
    child.once("exit", (code) => reject(new Error(`monzo-emulator exited with ${code}: ${err}`)));
  });
  return {
    info,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
