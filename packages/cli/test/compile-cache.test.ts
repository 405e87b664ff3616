/**
 * Node's compile cache holds compiled code that Node loads instead of compiling the source again: whoever can
 * write the cache directory runs code as the person holding the bank tokens. `monzo` must keep it in a
 * directory of its own that only the person can reach, and run without a cache when that directory is not
 * sound — never in `os.tmpdir()/node-compile-cache`, which Node picks by default and any local user can
 * create first. The built `monzo` runs for real; a preload reports where Node's compile cache was at exit.
 * When the tests run as root, directories "of another user" belong to uid 65534 for real.
 */
import { spawn } from "node:child_process";
import { chmod, chown, lchown, lstat, mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import envPaths from "env-paths";
import { describe, expect, it } from "vitest";
import { compileCacheDir } from "../src/compile-cache.js";
import { tempHome } from "./helpers.js";

const BIN = fileURLToPath(new URL("../bin/monzo.js", import.meta.url));
const ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

interface Run {
  code: number | null;
  stderr: string;
  /** `module.getCompileCacheDir()` as the process exits: undefined when it ran without a compile cache. */
  cacheDir: string | undefined;
}

/** A temporary directory standing for `os.tmpdir()`, with Node's default cache directory planted by another user. */
async function sharedTmp(): Promise<{ tmp: string; planted: string }> {
  const tmp = await tempHome();
  const planted = join(tmp, "node-compile-cache");
  await mkdir(planted);
  await chmod(planted, 0o777);
  if (ROOT) await chown(planted, NOBODY, NOBODY);
  return { tmp, planted };
}

async function runMonzo(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const scratch = await tempHome();
  const report = join(scratch, "cache-dir.txt");
  const preload = join(scratch, "preload.mjs");
  await writeFile(
    preload,
    `import { writeFileSync } from "node:fs";\nimport module from "node:module";\nprocess.on("exit", () => writeFileSync(${JSON.stringify(report)}, module.getCompileCacheDir?.() ?? ""));\n`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        PATH: process.env["PATH"] ?? "",
        NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`,
        ...env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.once("error", reject);
    child.once("close", async (code) => {
      const dir = await readFile(report, "utf8").catch(() => "");
      resolve({ code, stderr, cacheDir: dir || undefined });
    });
  });
}

/** Every file under `dir` (recursively), or [] when it is missing. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => !e.isDirectory()).map((e) => join(e.parentPath, e.name));
}

describe("where the compile cache lives", () => {
  it("is env-paths' cache directory (what the config and data directories come from), or under MONZOKIT_HOME", () => {
    const saved = process.env["XDG_CACHE_HOME"];
    try {
      for (const xdg of [undefined, "/srv/cache-of-mine"]) {
        if (xdg === undefined) delete process.env["XDG_CACHE_HOME"];
        else process.env["XDG_CACHE_HOME"] = xdg;
        expect(compileCacheDir({ ...process.env })).toBe(
          join(envPaths("monzokit", { suffix: "" }).cache, "node-compile"),
        );
      }
    } finally {
      if (saved === undefined) delete process.env["XDG_CACHE_HOME"];
      else process.env["XDG_CACHE_HOME"] = saved;
    }
    expect(compileCacheDir({}, "darwin", "/Users/sam")).toBe(
      "/Users/sam/Library/Caches/monzokit/node-compile",
    );
    expect(compileCacheDir({ MONZOKIT_HOME: "/opt/mk" })).toBe("/opt/mk/cache/node-compile");
  });
});

describe("Node's compile cache", () => {
  it("lives in the person's own 0700 cache directory, never in the shared one another user planted in TMPDIR", async () => {
    const { tmp, planted } = await sharedTmp();
    const home = await tempHome();
    const env = { MONZOKIT_HOME: home, TMPDIR: tmp };
    const own = compileCacheDir(env);
    expect(own).toBe(join(home, "cache", "node-compile"));
    const run = await runMonzo(["--help"], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(await readdir(planted)).toEqual([]);
    expect(run.cacheDir?.startsWith(`${own}/`)).toBe(true);
    expect((await filesUnder(own)).length).toBeGreaterThan(0);
    expect((await lstat(own)).mode & 0o777).toBe(0o700);
    expect((await lstat(join(home, "cache"))).mode & 0o777).toBe(0o700);
    // The second run uses what the first left.
    const again = await runMonzo(["--help"], env);
    expect(again.cacheDir).toBe(run.cacheDir);
    expect(await readdir(planted)).toEqual([]);
  });

  it("--version loads none of it: no cache directory is made", async () => {
    const home = await tempHome();
    const run = await runMonzo(["--version"], { MONZOKIT_HOME: home });
    expect(run.code).toBe(0);
    expect(run.cacheDir).toBeUndefined();
    await expect(lstat(join(home, "cache"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  const unsound: [string, (home: string, tmp: string) => Promise<string>][] = [
    [
      "open to everyone (0777)",
      async (home) => {
        const dir = join(home, "cache", "node-compile");
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await chmod(dir, 0o777);
        return dir;
      },
    ],
    [
      "readable by the group (0750)",
      async (home) => {
        const dir = join(home, "cache", "node-compile");
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await chmod(dir, 0o750);
        return dir;
      },
    ],
    [
      "a symbolic link to another user's directory",
      async (home, tmp) => {
        const theirs = join(tmp, "theirs");
        await mkdir(theirs);
        await chmod(theirs, 0o777);
        if (ROOT) await chown(theirs, NOBODY, NOBODY);
        await mkdir(join(home, "cache"), { mode: 0o700 });
        await symlink(theirs, join(home, "cache", "node-compile"));
        return theirs;
      },
    ],
    [
      "inside a parent others can write (cache/ 0777)",
      async (home) => {
        const dir = join(home, "cache", "node-compile");
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await chmod(join(home, "cache"), 0o777);
        return dir;
      },
    ],
    ...(ROOT
      ? ([
          [
            "another user's, even 0700",
            async (home: string) => {
              const dir = join(home, "cache", "node-compile");
              await mkdir(dir, { recursive: true, mode: 0o700 });
              await chown(dir, NOBODY, NOBODY);
              return dir;
            },
          ],
        ] as [string, (home: string, tmp: string) => Promise<string>][])
      : []),
  ];
  for (const [name, plant] of unsound)
    it(`runs without a cache when its directory is ${name}; the command still works`, async () => {
      const { tmp, planted } = await sharedTmp();
      const home = await tempHome();
      const dir = await plant(home, tmp);
      const run = await runMonzo(["--help"], { MONZOKIT_HOME: home, TMPDIR: tmp });
      expect(run.code).toBe(0);
      expect(run.cacheDir).toBeUndefined();
      expect(run.stderr).toContain("monzo runs without its compile cache");
      if (name.includes("parent")) expect(run.stderr).toContain("not writable by others");
      else expect(run.stderr).toContain(`rm -rf ${join(home, "cache", "node-compile")}`);
      expect(await filesUnder(dir)).toEqual([]);
      expect(await readdir(planted)).toEqual([]);
    });

  /** A sticky, world-writable directory standing for /tmp, where another user can make names. */
  async function stickyTmp(): Promise<string> {
    const tmp = await tempHome();
    await chmod(tmp, 0o1777);
    return tmp;
  }

  it.runIf(ROOT)(
    "a MONZOKIT_HOME that is another user's symbolic link in a sticky directory: no cache, wherever it points, and never their planted one",
    async () => {
      const tmp = await stickyTmp();
      // The person's own private home, and the other user's directory holding a cache of their own.
      const mine = await tempHome();
      const theirs = join(tmp, "theirs");
      await mkdir(join(theirs, "cache", "node-compile"), { recursive: true, mode: 0o700 });
      await chown(theirs, NOBODY, NOBODY);
      await chown(join(theirs, "cache"), NOBODY, NOBODY);
      await chown(join(theirs, "cache", "node-compile"), NOBODY, NOBODY);
      for (const target of [mine, theirs]) {
        const link = join(tmp, `home-${target === mine ? "mine" : "theirs"}`);
        await symlink(target, link);
        await lchown(link, NOBODY, NOBODY);
        const run = await runMonzo(["--help"], { MONZOKIT_HOME: link });
        expect(run.code).toBe(0);
        expect(run.cacheDir).toBeUndefined();
        expect(run.stderr).toContain("monzo runs without its compile cache");
        expect(run.stderr).toContain(`${link} is a symbolic link of another user's (uid ${NOBODY})`);
        expect(await filesUnder(join(target, "cache"))).toEqual([]);
      }
      // Nothing is even created where their link points (it could point anywhere root can write).
      expect(await readdir(mine)).toEqual([]);
    },
  );

  it.runIf(ROOT)("a cache path through a directory of another user's (symlinked to) is refused", async () => {
    const tmp = await stickyTmp();
    const theirs = join(tmp, "theirs");
    await mkdir(theirs, { mode: 0o755 });
    await chown(theirs, NOBODY, NOBODY);
    const home = join(theirs, "home");
    await mkdir(home, { mode: 0o700 });
    // The person's own link, to a home inside the other user's directory: they could rename it away.
    const mine = await tempHome();
    await symlink(home, join(mine, "home"));
    const run = await runMonzo(["--help"], { MONZOKIT_HOME: join(mine, "home") });
    expect(run.code).toBe(0);
    expect(run.cacheDir).toBeUndefined();
    expect(run.stderr).toContain(`${theirs} belongs to another user (uid ${NOBODY})`);
  });

  it("a symbolic link of the person's own to a private directory of theirs: cached, at the real path", async () => {
    const tmp = await stickyTmp();
    const real = await tempHome();
    const link = join(tmp, "my-home");
    await symlink(real, link);
    const run = await runMonzo(["--help"], { MONZOKIT_HOME: link });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.cacheDir?.startsWith(`${join(real, "cache", "node-compile")}/`)).toBe(true);
    expect((await filesUnder(join(real, "cache", "node-compile"))).length).toBeGreaterThan(0);
  });

  it("a cache under a group-writable directory higher up is refused (every component is checked)", async () => {
    const top = await tempHome();
    const mid = join(top, "shared");
    await mkdir(mid, { mode: 0o700 });
    await chmod(mid, 0o775);
    const home = join(mid, "home");
    await mkdir(home, { mode: 0o700 });
    const run = await runMonzo(["--help"], { MONZOKIT_HOME: home });
    expect(run.code).toBe(0);
    expect(run.cacheDir).toBeUndefined();
    expect(run.stderr).toContain(`${mid} is open to other users (mode 0775)`);
  });

  it("an inherited NODE_COMPILE_CACHE others can write is named on stderr (Node enabled it before monzo ran)", async () => {
    const { tmp, planted } = await sharedTmp();
    const home = await tempHome();
    const run = await runMonzo(["--help"], { MONZOKIT_HOME: home, TMPDIR: tmp, NODE_COMPILE_CACHE: planted });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`NODE_COMPILE_CACHE (${planted})`);
    expect(run.stderr).toContain("unset NODE_COMPILE_CACHE");
    // monzo adds nothing of its own to it, and makes no cache directory of its own either.
    await expect(lstat(join(home, "cache"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("an inherited NODE_COMPILE_CACHE under a directory others can write, higher up, is named on stderr too", async () => {
    const top = await tempHome();
    const shared = join(top, "shared");
    await mkdir(shared, { mode: 0o700 });
    await chmod(shared, 0o775);
    const theirs = join(shared, "node-cache");
    await mkdir(theirs, { mode: 0o700 });
    const run = await runMonzo(["--help"], { MONZOKIT_HOME: await tempHome(), NODE_COMPILE_CACHE: theirs });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      `NODE_COMPILE_CACHE (${theirs}) is not safe: ${shared} is open to other users (mode 0775)`,
    );
  });

  it("an inherited NODE_COMPILE_CACHE of the person's own, 0700, is left to Node without a word", async () => {
    const home = await tempHome();
    const theirs = join(home, "my-node-cache");
    await mkdir(theirs, { mode: 0o700 });
    const run = await runMonzo(["--help"], { MONZOKIT_HOME: home, NODE_COMPILE_CACHE: theirs });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.cacheDir?.startsWith(`${theirs}/`)).toBe(true);
  });

  it("NODE_DISABLE_COMPILE_CACHE=1 is obeyed", async () => {
    const home = await tempHome();
    const run = await runMonzo(["--help"], { MONZOKIT_HOME: home, NODE_DISABLE_COMPILE_CACHE: "1" });
    expect(run.code).toBe(0);
    expect(run.cacheDir).toBeUndefined();
    expect(await filesUnder(join(home, "cache"))).toEqual([]);
  });
});
