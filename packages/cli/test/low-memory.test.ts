import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { globalOptions } from "../src/commands/define.js";
import { GLOBAL_VALUE_OPTIONS, LOW_MEMORY_NODE_FLAGS, wantsLowMemory } from "../src/low-memory.js";
import { tempHome } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));

describe("which runs get the memory-bounding flags", () => {
  it("transactions export and sync, wherever the options every command takes put them", () => {
    for (const argv of [
      ["transactions", "export", "out.csv"],
      ["--json", "transactions", "export", "out.csv"],
      ["--profile", "work", "transactions", "export", "out.csv"],
      ["--profile=work", "--quiet", "transactions", "export", "out.csv"],
      ["-q", "--debug", "--api-url", "http://127.0.0.1:6601", "transactions", "export", "out.csv"],
      ["transactions", "--json", "export", "out.csv"],
      ["transactions", "--allow-host", "api.example.com", "export", "out.csv"],
      ["transactions", "export", "--profile", "work", "out.csv"],
      ["sync"],
      ["--profile", "work", "sync", "--full-history"],
      ["--json", "sync"],
    ])
      expect(wantsLowMemory(argv), argv.join(" ")).toBe(true);
  });

  it("not other commands, not help, and not a profile or URL that happens to be called sync", () => {
    for (const argv of [
      [],
      ["transactions", "list"],
      ["transactions", "list", "export"],
      ["--profile", "sync", "balance"],
      ["--profile", "transactions", "export"],
      ["--allow-host", "sync", "accounts"],
      ["transactions", "export", "--help"],
      ["-h", "sync"],
      ["help", "sync"],
      ["sql", "SELECT 1"],
    ])
      expect(wantsLowMemory(argv), argv.join(" ")).toBe(false);
  });

  it("knows exactly the options every command takes that have a value", () => {
    // low-memory.ts cannot import them (that would load commander before `monzo --version`).
    const withValue = globalOptions()
      .filter((o) => o.required || o.optional)
      .map((o) => o.long);
    expect([...GLOBAL_VALUE_OPTIONS].sort()).toEqual(withValue.sort());
  });

  it("the monzo binary re-runs an export given after --json and --profile in a child with those flags", async () => {
    const home = await tempHome();
    // Each process of the run writes its V8 flags here: the monzo parent, then the child it starts.
    const log = join(home, "processes.ndjson");
    const preload = join(home, "preload.mjs");
    await writeFile(
      preload,
      `import { appendFileSync } from "node:fs";\nappendFileSync(${JSON.stringify(log)}, JSON.stringify(process.execArgv) + "\\n");\n`,
    );
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [BIN, "--json", "--profile", "work", "transactions", "export", "out.csv"],
        {
          env: {
            PATH: process.env["PATH"] ?? "",
            MONZOKIT_HOME: home,
            MONZO_TOKEN_STORE: "file",
            NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`,
          },
          stdio: "ignore",
        },
      );
      child.once("exit", (c) => resolve(c));
    });
    // Not logged in (exit 3): what matters is which process said so.
    expect(code).toBe(3);
    const runs = (await readFile(log, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as string[]);
    expect(runs).toHaveLength(2);
    expect(runs[1]).toEqual(expect.arrayContaining(LOW_MEMORY_NODE_FLAGS));
  });
});
