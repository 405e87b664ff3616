/**
 * The READMEs as a newcomer follows them in a fresh clone. Every `npx` of the checkout's own commands
 * (`monzo`, `monzo-emulator`, `monzo-broker`) says `--no-install`: outside the checkout npx does not find
 * them and would otherwise fetch and run whatever the registry has under that name (our packages are
 * `@monzokit/…`). And what the READMEs' commands write in the working directory — exports, the broker's key —
 * is ignored by git, so a walkthrough in the checkout leaves nothing a `git add -A` would commit.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function git(args: string[], cwd = ROOT) {
  return spawnSync("git", args, { cwd, encoding: "utf8" });
}

/** The documentation a newcomer reads (decision records are history, not instructions). */
const DOCS = git(["ls-files", "*.md"])
  .stdout.split("\n")
  .filter((path) => path !== "" && !path.startsWith("docs/adr/"));

const readJson = (path: string) =>
  JSON.parse(readFileSync(join(ROOT, path), "utf8")) as {
    workspaces?: string[];
    bin?: Record<string, string>;
  };
/** The commands the workspace packages install (`npm ci` links them into the checkout's node_modules/.bin). */
const OWN_BINS = new Set(
  readJson("package.json").workspaces!.flatMap((dir) =>
    Object.keys(readJson(`${dir}/package.json`).bin ?? {}),
  ),
);

/** Each `npx …` in `text`: its options and the command it runs. */
function npxCalls(text: string): { options: string[]; command: string; line: string }[] {
  const calls = [];
  for (const found of text.matchAll(/\bnpx((?:[ \t]+[^\s`|;&)]+)+)/g)) {
    const words = found[1]!.trim().split(/\s+/);
    const options: string[] = [];
    let i = 0;
    for (; i < words.length && words[i]!.startsWith("-"); i++) {
      options.push(words[i]!);
      if ((words[i] === "-p" || words[i] === "--package") && i + 1 < words.length) options.push(words[++i]!);
    }
    if (i < words.length) calls.push({ options, command: words[i]!, line: found[0] });
  }
  return calls;
}

describe("the READMEs, followed from a checkout", () => {
  it("finds the documentation and the checkout's own commands", () => {
    expect(DOCS).toEqual(expect.arrayContaining(["README.md", "packages/cli/README.md"]));
    expect([...OWN_BINS].sort()).toEqual(["monzo", "monzo-broker", "monzo-emulator"]);
  });

  it("runs the checkout's own commands with npx --no-install, never a package of that name from the registry", () => {
    const unsafe: string[] = [];
    let own = 0;
    for (const path of DOCS) {
      for (const call of npxCalls(readFileSync(join(ROOT, path), "utf8"))) {
        // `npx -p @monzokit/broker … monzo-broker` names the package to fetch: the published one, on purpose.
        if (!OWN_BINS.has(call.command) || call.options.some((o) => o.startsWith("@monzokit/"))) continue;
        own++;
        if (!call.options.includes("--no-install")) unsafe.push(`${path}: ${call.line}`);
      }
    }
    expect(own).toBeGreaterThan(5);
    expect(unsafe).toEqual([]);
  });

  it("leaves nothing git would add: every file the READMEs' commands write in the working directory is ignored", () => {
    const written = new Set<string>();
    for (const path of DOCS) {
      const text = readFileSync(join(ROOT, path), "utf8");
      for (const line of text.split("\n")) {
        const command = line.replace(/\s#\s.*$/, "");
        for (const m of command.matchAll(
          /(?:transactions export|--export-history)\b[^`|]*?\s([a-z][\w.-]*\.(?:csv|ndjson|json))\b/g,
        ))
          written.add(m[1]!);
        for (const m of command.matchAll(/(?:gen-key --out|BROKER_KEY_FILE=)\s*([a-z][\w.-]*)/g))
          written.add(m[1]!);
      }
    }
    // What a walkthrough left behind (full.ndjson from an earlier edition), and that the search finds them.
    written.add("full.ndjson");
    expect([...written]).toEqual(
      expect.arrayContaining(["history.ndjson", "history.csv", "everything.csv", "broker.key"]),
    );
    for (const dir of [".", "packages/cli", "packages/broker"]) {
      const notIgnored = [...written].filter(
        (name) => git(["check-ignore", "-q", "--no-index", join(dir, name)]).status !== 0,
      );
      expect({ dir, notIgnored }).toEqual({ dir, notIgnored: [] });
    }
  });
});
