#!/usr/bin/env node
// After `tsc -b`: bundle the `monzo` command (start-up time: one file and a few lazily loaded chunks instead
// of dozens of modules). The bins themselves are small committed files under each package's bin/.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * commander requires `node:child_process` at its top for executable subcommands, which `monzo` does not
 * use; loading it (net, streams, …) costs about 15 ms of every run's start-up (bench/cli.ts). In the bundle,
 * commander gets a stand-in (CommonJS, as commander 14 is) that loads the real module only if `spawn` is
 * ever called. `process.getBuiltinModule` exists on every Node the packages support (20.16+, 22.3+).
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
      contents: `module.exports = {
  spawn: (...args) => process.getBuiltinModule("node:child_process").spawn(...args),
};
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
    target: "node20.19",
    outdir: join(cli, "bundle"),
    // The emulator is only loaded by `monzo emulator` and the demo, from its own package. `open`
    // stays in node_modules beside the `xdg-open` script it falls back to where the system has none.
    // `@napi-rs/keyring` loads a prebuilt native binary for the platform, so it cannot be bundled.
    external: ["@monzokit/emulator", "open", "@napi-rs/keyring"],
    // commander 14 is CommonJS and requires Node's modules (`node:events`, `node:fs`, …); in an ES module
    // bundle those calls need a real `require`, which each chunk makes for itself.
    banner: {
      js: 'import { createRequire as __monzokitCreateRequire } from "node:module";\nconst require = __monzokitCreateRequire(import.meta.url);',
    },
    logLevel: "warning",
    plugins: [lazyChildProcessForCommander],
  });
}
