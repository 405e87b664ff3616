import { spawnSync } from "node:child_process";
import { readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sweepStaleTemps, writeFileAtomic } from "../../src/store/atomic.js";
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
});
