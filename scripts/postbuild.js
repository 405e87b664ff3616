#!/usr/bin/env node
// Makes each package's built `bin` entry executable, so `npx monzo-emulator` works from a fresh build.
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const { workspaces } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const dir of workspaces) {
  const pkg = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
  for (const file of Object.values(pkg.bin ?? {})) {
    const path = join(root, dir, file);
    if (existsSync(path)) chmodSync(path, 0o755);
  }
}
