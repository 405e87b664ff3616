import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = new URL("../src/", import.meta.url).pathname;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

// Node built-ins, by their `node:` name or by a bare name Node also resolves.
const BUILTIN =
  /(?:from\s+|import\s*\(\s*|require\s*\(\s*)["'](node:[^"']+|fs|path|os|crypto|http|https|net|url|util|stream|buffer|events|child_process|worker_threads)(?:\/[^"']*)?["']/;

describe("core is runtime-agnostic", () => {
  it("no source file imports a Node built-in module", async () => {
    const files = await sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(0);
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(file, "utf8");
      for (const [i, line] of text.split("\n").entries()) {
        if (BUILTIN.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("the detector itself catches the import forms it claims to", () => {
    expect(BUILTIN.test(`import { readFile } from "node:fs/promises";`)).toBe(true);
    expect(BUILTIN.test(`const c = await import('crypto')`)).toBe(true);
    expect(BUILTIN.test(`import { x } from "./crypto.js";`)).toBe(false);
    expect(BUILTIN.test(`import * as v from "valibot";`)).toBe(false);
  });
});
