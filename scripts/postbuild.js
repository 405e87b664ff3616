#!/usr/bin/env node
// After `tsc -b`: bundle the `monzo` command (start-up time: one file and a few lazily loaded chunks instead
// of dozens of modules), then make every package's `bin` entry executable.
import { chmodSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;

/**
 * commander imports `node:child_process` at its top for executable subcommands, which `monzo` does not
 * use; loading it (net, streams, …) costs about 15 ms of every run's start-up (bench/cli.ts). In the bundle,
 * commander gets a stand-in that requires the real module only if `spawn` is ever called.
 */
const lazyChildProcessForCommander = {
  name: "lazy-child-process-for-commander",
  setup(build) {
    build.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /[\\/]commander[\\/]/.test(args.importer)
        ? { path: "child_process", namespace: "lazy-builtin" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, () => ({
      contents: `import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
export default { spawn: (...args) => require("node:child_process").spawn(...args) };
`,
      loader: "js",
    }));
  },
};
const cli = join(root, "packages", "cli", "dist");
if (existsSync(join(cli, "bin.js"))) {
  rmSync(join(cli, "bundle"), { recursive: true, force: true });
  await build({
    entryPoints: [join(cli, "bin.js")],
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    outdir: join(cli, "bundle"),
    // The emulator is only loaded by `monzo emulator`, and the demo; it stays a normal dependency. `open`
    // stays in node_modules beside the `xdg-open` script it falls back to where the system has none.
    // `@napi-rs/keyring` loads a prebuilt native binary for the platform, so it cannot be bundled.
    external: ["@monzokit/emulator", "open", "@napi-rs/keyring"],
    logLevel: "warning",
    plugins: [lazyChildProcessForCommander],
  });
}

const { workspaces } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const dir of workspaces) {
  const pkg = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
  for (const file of Object.values(pkg.bin ?? {})) {
    const path = join(root, dir, file);
    if (existsSync(path)) chmodSync(path, 0o755);
  }
}
