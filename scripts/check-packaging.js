#!/usr/bin/env node
// Packaging check for every workspace package: publint (package.json vs files) and
// @arethetypeswrong/cli (types resolve for ESM consumers). Run after `npm run build`.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const { workspaces } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const bin = (name) => join(root, "node_modules", ".bin", name);
let failed = 0;

for (const dir of workspaces) {
  const cwd = join(root, dir);
  const { name } = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8"));
  if (!existsSync(join(cwd, "src", "index.ts"))) {
    console.log(`${name}: no code yet, nothing to pack`);
    continue;
  }
  if (!existsSync(join(cwd, "dist", "index.js"))) {
    console.error(`${name}: no dist/index.js — run \`npm run build\` first`);
    failed++;
    continue;
  }
  for (const [tool, args] of [
    ["publint", ["--strict"]],
    ["attw", ["--pack", ".", "--profile", "esm-only", "--format", "table-flipped"]],
  ]) {
    const r = spawnSync(bin(tool), args, { cwd, stdio: "inherit" });
    if (r.status !== 0) {
      console.error(`${name}: ${tool} failed`);
      failed++;
    }
  }
}
if (failed) {
  console.error(`check:packaging: ${failed} problem(s)`);
  process.exit(1);
}
console.log("check:packaging: every package passes publint and attw");
