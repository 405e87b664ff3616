import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TokenSet } from "@monzokit/core";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../src/store/atomic.js";
import { FileTokenStore } from "../../src/store/file-store.js";
import { tempHome } from "../helpers.js";

const tokens = (n: number): TokenSet => ({
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  expiresAt: 1_000 + n,
  userId: "user_1" as never,
  clientId: "oauth2client_1" as never,
});

describe("FileTokenStore", () => {
  it("saves 0600 in a 0700 directory and loads what it saved", async () => {
    const home = await tempHome();
    const store = new FileTokenStore(join(home, "tokens", "default.json"));
    expect(await store.load()).toBeUndefined();
    await store.save(tokens(1));
    expect(await store.load()).toEqual(tokens(1));
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, "tokens"))).mode & 0o777).toBe(0o700);
    await store.clear();
    expect(await store.load()).toBeUndefined();
  });

  it("replaces atomically: no temporary files remain, the file is always whole", async () => {
    const home = await tempHome();
    const store = new FileTokenStore(join(home, "t.json"));
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.save(tokens(i))));
    const loaded = await store.load();
    expect(loaded?.accessToken).toMatch(/^access-\d+$/);
    expect((await readdir(home)).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("a damaged file is a clear error naming monzo login", async () => {
    const home = await tempHome();
    const path = join(home, "t.json");
    await writeFile(path, "{not json");
    await expect(new FileTokenStore(path).load()).rejects.toThrow(/damaged/);
  });

  it("lock serialises work across stores on the same file and breaks a stale lock", async () => {
    const home = await tempHome();
    const path = join(home, "t.json");
    const a = new FileTokenStore(path);
    const b = new FileTokenStore(path);
    const order: string[] = [];
    await Promise.all([
      a.lock(async () => {
        order.push("a-in");
        await new Promise((r) => setTimeout(r, 50));
        order.push("a-out");
      }),
      b.lock(async () => {
        order.push("b-in");
        order.push("b-out");
      }),
    ]);
    // Never interleaved: one holder finishes before the other starts.
    expect([["a-in", "a-out", "b-in", "b-out"].join(), ["b-in", "b-out", "a-in", "a-out"].join()]).toContain(
      order.join(),
    );
    // A lock left by a process that no longer exists is broken, not waited on.
    await writeFile(`${path}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, at: Date.now() }));
    await expect(a.lock(async () => "ran")).resolves.toBe("ran");
  });
});

describe("writeFileAtomic", () => {
  it("creates the file 0600 from the first byte", async () => {
    const home = await tempHome();
    await mkdir(join(home, "d"));
    const path = join(home, "d", "f.json");
    await writeFileAtomic(path, "secret");
    expect(await readFile(path, "utf8")).toBe("secret");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
