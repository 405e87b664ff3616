import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MirrorBusyError } from "../../src/mirror/errors.js";
import { acquireSyncLock } from "../../src/mirror/lock.js";
import { tempHome } from "../helpers.js";

const options = (waitMs: number) => ({ waitMs, displayPath: "mirror.db" });

describe("the sync lock", () => {
  it("one holder at a time: the second is told at once, or waits and gets it when the first lets go", async () => {
    const path = join(await tempHome(), "mirror.db.sync-lock");
    const first = await acquireSyncLock(path, options(0));
    await expect(acquireSyncLock(path, options(0))).rejects.toBeInstanceOf(MirrorBusyError);
    const waiting = acquireSyncLock(path, options(5000));
    setTimeout(() => first.release(), 150);
    const second = await waiting;
    second.release();
    second.release();
  });

  it("a holder killed with SIGKILL leaves no stale lock", async () => {
    const path = join(await tempHome(), "mirror.db.sync-lock");
    const child = spawn(
      process.execPath,
      [
        "-e",
        `const { DatabaseSync } = require("node:sqlite"); const db = new DatabaseSync(${JSON.stringify(path)}); db.exec("BEGIN EXCLUSIVE"); console.log("held"); setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    await expect(acquireSyncLock(path, options(0))).rejects.toBeInstanceOf(MirrorBusyError);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    (await acquireSyncLock(path, options(0))).release();
  });
});
