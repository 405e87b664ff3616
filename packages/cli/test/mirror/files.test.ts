import { chmod, mkdir, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prepareMirrorFile } from "../../src/mirror/files.js";
import { tempHome } from "../helpers.js";

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe("the mirror's directory and files", () => {
  it("the default location is created private: directories 0700, the database and lock 0600", async () => {
    const path = join(await tempHome(), "data", "default", "mirror.db");
    await prepareMirrorFile(path, { createDir: true });
    expect(await mode(join(path, ".."))).toBe(0o700);
    expect(await mode(path)).toBe(0o600);
    expect(await mode(`${path}.sync-lock`)).toBe(0o600);
  });

  it("an existing database readable by others is made 0600", async () => {
    const home = await tempHome();
    const path = join(home, "mirror.db");
    await writeFile(path, "", { mode: 0o644 });
    await chmod(path, 0o644);
    await prepareMirrorFile(path, { createDir: false });
    expect(await mode(path)).toBe(0o600);
  });

  it("refuses a directory others can write to, a missing directory, and symbolic links", async () => {
    const home = await tempHome();
    const open = join(home, "shared");
    await mkdir(open);
    await chmod(open, 0o777);
    await expect(prepareMirrorFile(join(open, "m.db"), { createDir: false })).rejects.toMatchObject({
      code: "mirror.unsafe_path",
      hint: expect.stringMatching(/chmod go-w/),
    });
    await expect(prepareMirrorFile(join(home, "nope", "m.db"), { createDir: false })).rejects.toMatchObject({
      code: "mirror.no_directory",
    });
    const target = join(home, "elsewhere.db");
    await writeFile(target, "");
    await symlink(target, join(home, "link.db"));
    await expect(prepareMirrorFile(join(home, "link.db"), { createDir: false })).rejects.toMatchObject({
      code: "mirror.unsafe_path",
      message: expect.stringMatching(/symbolic link/),
    });
    // A journal planted as a link, where SQLite would follow it.
    await symlink(target, join(home, "m2.db-wal"));
    await expect(prepareMirrorFile(join(home, "m2.db"), { createDir: false })).rejects.toMatchObject({
      code: "mirror.unsafe_path",
    });
  });
});
