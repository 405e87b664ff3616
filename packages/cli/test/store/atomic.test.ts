import { spawnSync } from "node:child_process";
import { lstat, readdir, readFile, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openAtomic, sweepStaleTemps, writeFileAtomic } from "../../src/store/atomic.js";
import { tempHome } from "../helpers.js";

describe("atomic writes", () => {
  it("create the file 0600 in a 0700 directory, replace it whole, and leave nothing beside it", async () => {
    const dir = join(await tempHome(), "tokens");
    const file = join(dir, "default.json");
    await writeFileAtomic(file, "one");
    await writeFileAtomic(file, "two");
    expect(await readFile(file, "utf8")).toBe("two");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readdir(dir)).toEqual(["default.json"]);
  });

  it("sweep the temporary files of killed writes, and only those", async () => {
    const dir = await tempHome();
    const file = join(dir, "default.json");
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const names = {
      dead: `.default.json.${dead}.abc123.tmp`,
      live: `.default.json.${process.ppid}.abc123.tmp`,
      oldLive: `.default.json.${process.ppid}.old999.tmp`,
      other: `.other.json.${dead}.abc123.tmp`,
      unrelated: "notes.txt",
    };
    for (const name of Object.values(names)) await writeFile(join(dir, name), "x", { mode: 0o600 });
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, names.oldLive), hourAgo, hourAgo);
    expect(await sweepStaleTemps(file)).toBe(2);
    expect((await readdir(dir)).sort()).toEqual([names.live, names.other, names.unrelated].sort());
    expect(await sweepStaleTemps(join(dir, "missing-dir", "x.json"))).toBe(0);
  });

  it("name each temporary at random and create it exclusively, 0600, beside the file", async () => {
    const dir = await tempHome();
    const file = join(dir, "history.csv");
    const a = await openAtomic(file, { privateDir: false });
    const b = await openAtomic(file, { privateDir: false });
    for (const f of [a, b]) {
      expect(f.tempPath).toMatch(new RegExp(`/\\.history\\.csv\\.${process.pid}\\.[0-9a-f]{16}\\.tmp$`));
      expect((await stat(f.tempPath)).mode & 0o777).toBe(0o600);
    }
    expect(a.tempPath).not.toBe(b.tempPath);
    await a.handle.write("a");
    await a.commit();
    await b.abort();
    expect(await readFile(file, "utf8")).toBe("a");
    expect(await readdir(dir)).toEqual(["history.csv"]);
  });

  it("never write through a file or symlink another user planted at the temporary's name", async () => {
    const dir = await tempHome();
    const victim = join(await tempHome(), "victim.txt");
    await writeFile(victim, "untouched");
    const file = join(dir, "tokens.json");
    await symlink(victim, join(dir, `.tokens.json.${process.pid}.planted.tmp`));
    await expect(openAtomic(file, { random: () => "planted" })).rejects.toMatchObject({ code: "EEXIST" });
    await expect(writeFileAtomic(file, "secret", { random: () => "planted" })).rejects.toMatchObject({
      code: "EEXIST",
    });
    expect(await readFile(victim, "utf8")).toBe("untouched");
    await expect(stat(file)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("replace a symlink at the file itself instead of writing through it", async () => {
    const dir = await tempHome();
    const victim = join(await tempHome(), "victim.txt");
    await writeFile(victim, "untouched");
    const file = join(dir, "default.json");
    await symlink(victim, file);
    await writeFileAtomic(file, "new");
    expect(await readFile(victim, "utf8")).toBe("untouched");
    expect((await lstat(file)).isSymbolicLink()).toBe(false);
    expect(await readFile(file, "utf8")).toBe("new");
  });

  it("leave the old file whole when a write is aborted, and no temporary behind", async () => {
    const dir = await tempHome();
    const file = join(dir, "default.json");
    await writeFileAtomic(file, "old");
    const f = await openAtomic(file);
    await f.handle.write("half of the ne");
    await f.abort();
    await f.abort();
    expect(await readFile(file, "utf8")).toBe("old");
    expect(await readdir(dir)).toEqual(["default.json"]);
  });

  it("leave an export's directory as the person made it (no chmod to 0700)", async () => {
    const dir = await tempHome();
    const { chmod } = await import("node:fs/promises");
    await chmod(dir, 0o755);
    await writeFileAtomic(join(dir, "export.json"), "[]", { privateDir: false });
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
    expect((await stat(join(dir, "export.json"))).mode & 0o777).toBe(0o600);
  });
});
