#!/usr/bin/env node
// After `tsc -b`: bundle the `monzo` command (start-up time: one file and a few lazily loaded chunks instead
// of dozens of modules). The bins themselves are small committed files under each package's bin/.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
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
    // The emulator is loaded only by `monzo emulator` and the demo, from its own package (an optional peer).
    external: ["@monzokit/emulator"],
    logLevel: "warning",
  });
}
