/**
 * The profile's data directory holds what `monzo` trusts about earlier runs: the pot-move journal (which dedupe
 * ids moved money), interrupted exports (`--resume` appends their rows to the person's file) and the last
 * login seen. Another local user who can put files there decides what `monzo` says happened to the money, or
 * what lands in an export. As root, the other user is real: a shell running as uid 65534 plants the files.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, chown, mkdir, readFile, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePrivateDir } from "../../src/config/trust.js";
import { ConfigError, EXIT } from "../../src/errors.js";
import { journalPath, type MoveRecord } from "../../src/money/journal.js";
import { ensureDataDir, profileDataDir, readDataFile } from "../../src/store/data-dir.js";
import { loggedIn, tempHome } from "../helpers.js";

const ROOT = process.getuid?.() === 0;
const NOBODY = 65534;

/** Writes `text` to `path` as uid 65534 (a real other user), through a shell that user can run. */
function plantAsOtherUser(path: string, text: string): void {
  const r = spawnSync("/bin/sh", ["-c", 'cat > "$1"', "sh", path], {
    uid: NOBODY,
    gid: NOBODY,
    input: text,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`planting ${path} as uid ${NOBODY} failed: ${r.stderr}`);
}

async function refusal(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe("ensurePrivateDir", () => {
  it("creates a missing directory 0700 under any umask", async () => {
    const dir = join(await tempHome(), "a", "b");
    const old = process.umask(0);
    try {
      await ensurePrivateDir(dir);
    } finally {
      process.umask(old);
    }
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, ".."))).mode & 0o777).toBe(0o700);
  });

  it("refuses an existing directory others can write, and leaves it as it was (never chmods it quietly)", async () => {
    for (const mode of [0o777, 0o775, 0o1777, 0o720]) {
      const dir = await tempHome();
      await chmod(dir, mode);
      const error = await refusal(ensurePrivateDir(dir));
      expect(error.message).toContain(dir);
      expect(error.message).toContain("other users can write it");
      expect(error.hint).toContain(`chmod 700 ${dir}`);
      expect((await stat(dir)).mode & 0o7777).toBe(mode);
    }
  });

  it.runIf(ROOT)(
    "refuses an existing directory of another user's, even a 0700 one root could chmod",
    async () => {
      const dir = await tempHome();
      await chown(dir, NOBODY, NOBODY);
      const error = await refusal(ensurePrivateDir(dir));
      expect(error.message).toContain(`belongs to another user (uid ${NOBODY})`);
      expect((await stat(dir)).uid).toBe(NOBODY);
    },
  );

  it("tightens the person's own directory that others may only read (nothing can have been put there)", async () => {
    const dir = await tempHome();
    await chmod(dir, 0o755);
    await ensurePrivateDir(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });
});

describe("readDataFile", () => {
  it("reads the person's own 0600 file, says a missing one is missing, refuses links, odd modes and others' files", async () => {
    const dir = await tempHome();
    const mine = join(dir, "mine.json");
    await writeFile(mine, '{"mine":1}', { mode: 0o600 });
    expect(await readDataFile(mine, "the pot-move journal")).toBe('{"mine":1}');
    expect(await readDataFile(join(dir, "none.json"), "the pot-move journal")).toBeUndefined();
    const link = join(dir, "link.json");
    await symlink(mine, link);
    expect((await refusal(readDataFile(link, "the pot-move journal"))).message).toContain(
      `The pot-move journal ${link} is a symbolic link`,
    );
    const open = join(dir, "open.json");
    await writeFile(open, "{}", { mode: 0o600 });
    await chmod(open, 0o666);
    expect((await refusal(readDataFile(open, "the pot-move journal"))).hint).toContain(`chmod 600 ${open}`);
    if (ROOT) {
      const theirs = join(dir, "theirs.json");
      await writeFile(theirs, "{}", { mode: 0o600 });
      await chown(theirs, NOBODY, NOBODY);
      expect((await refusal(readDataFile(theirs, "the pot-move journal"))).message).toContain(
        `belongs to another user (uid ${NOBODY})`,
      );
    }
  });

  it("a FIFO in the journal's place is refused at once, never waited on (what is checked is the open handle)", async () => {
    const dir = await tempHome();
    const fifo = join(dir, "pot-moves.json");
    expect(spawnSync("mkfifo", ["-m", "600", fifo]).status).toBe(0);
    expect((await refusal(readDataFile(fifo, "the pot-move journal"))).message).toContain(
      `The pot-move journal ${fifo} is not a plain file`,
    );
  });
});

describe("ensureDataDir", () => {
  it("refuses a symbolic link as the directory, even the person's own to a private directory of theirs", async () => {
    const home = await tempHome();
    const real = join(home, "real");
    await mkdir(real, { mode: 0o700 });
    await symlink(real, join(home, "default"));
    const error = await refusal(ensureDataDir(join(home, "default")));
    expect(error.message).toContain(`The data directory ${join(home, "default")} is a symbolic link`);
  });

  it("refuses a directory inside a data/ others can write, and leaves both as they were", async () => {
    const home = await tempHome();
    const data = join(home, "data");
    await mkdir(join(data, "default"), { recursive: true, mode: 0o700 });
    await chmod(data, 0o777);
    const error = await refusal(ensureDataDir(join(data, "default")));
    expect(error.message).toContain(`inside ${data}, which is writable by other users (mode 0777)`);
    expect((await stat(data)).mode & 0o777).toBe(0o777);
    // Not made yet: the same.
    await expect(ensureDataDir(join(data, "other"))).rejects.toBeInstanceOf(ConfigError);
    await expect(stat(join(data, "other"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe.runIf(ROOT)(
  "files another user planted in the data directory are refused, and nothing in them is used",
  () => {
    let bank: Awaited<ReturnType<typeof loggedIn>>;
    beforeAll(async () => {
      bank = await loggedIn("cli-data-dir");
      // The other user must be able to reach the profile's data directory to plant anything there.
      await mkdir(profileDataDir(bank.env, "default"), { recursive: true, mode: 0o700 });
      await chmod(bank.home, 0o711);
      await chmod(join(bank.home, "data"), 0o711);
    }, 60_000);
    afterAll(async () => {
      await bank?.emu.close();
    });
    const savings = () =>
      [...bank.emu.emulator.state.bank.pots.values()].find((p) => p.json.name === "Savings")!;
    const dataDir = () => profileDataDir(bank.env, "default");
    /** The account's newest transaction: a resume after it asks Monzo for nothing new, so only the planted rows differ. */
    const lastTransaction = () => bank.account.transactions.at(-1)!.json;

    /** A journal saying the dedupe id `planted-1` already moved £1.00 into Savings. */
    async function plantedJournal(): Promise<string> {
      // A real move first, for the person's user id as the journal records it.
      expect((await bank.run(["pots", "deposit", "Savings", "0.01", "--dedupe-id", "real-1"])).code).toBe(
        EXIT.ok,
      );
      const path = journalPath(bank.env, "default");
      const real = JSON.parse(await readFile(path, "utf8")).moves as MoveRecord[];
      const forged: MoveRecord = {
        ...real[0]!,
        dedupe_id: "planted-1",
        amount: 100,
        moved_at: real[0]!.started_at,
      };
      await rm(path);
      return JSON.stringify({ version: 1, moves: [forged] });
    }

    it("a pot-move journal planted in a data directory others can write: refused (exit 3), no 'Already done', nothing moved", async () => {
      const forged = await plantedJournal();
      await chmod(dataDir(), 0o777);
      plantAsOtherUser(journalPath(bank.env, "default"), forged);
      try {
        const before = savings().json.balance;
        const r = await bank.run(["pots", "deposit", "Savings", "1", "--dedupe-id", "planted-1"]);
        expect(r.out).not.toContain("Already done");
        expect(r.code).toBe(EXIT.config);
        expect(r.err).toContain(`${dataDir()} is not private`);
        expect(r.err).toContain(`chmod 700 ${dataDir()}`);
        expect(savings().json.balance).toBe(before);
        expect((await stat(dataDir())).mode & 0o777).toBe(0o777);
      } finally {
        await rm(journalPath(bank.env, "default"), { force: true });
        await chmod(dataDir(), 0o700);
      }
    });

    it("another user's link as the profile's data directory, in a data/ they can write: refused (exit 3), nothing moved", async () => {
      await plantedJournal();
      const data = join(bank.home, "data");
      const real = `${dataDir()}.real`;
      await rename(dataDir(), real);
      await chmod(data, 0o777);
      // The link points at the person's own directory now; its owner can repoint it between check and read.
      const ln = spawnSync("ln", ["-s", real, dataDir()], { uid: NOBODY, gid: NOBODY, encoding: "utf8" });
      expect(ln.status, ln.stderr).toBe(0);
      try {
        const before = savings().json.balance;
        const r = await bank.run(["pots", "deposit", "Savings", "1", "--dedupe-id", "via-link-1"]);
        expect(r.code).toBe(EXIT.config);
        expect(r.err).toContain(
          `${dataDir()} is reached through ${dataDir()}, a symbolic link of another user's (uid ${NOBODY})`,
        );
        expect(savings().json.balance).toBe(before);
        const status = await bank.run(["status"]);
        expect(status.code).toBe(EXIT.config);
        expect(status.err).toContain(`a symbolic link of another user's (uid ${NOBODY})`);
      } finally {
        await rm(dataDir(), { force: true });
        await chmod(data, 0o711);
        await rename(real, dataDir());
      }
    });

    it("a symbolic link as the profile's data directory, even one of the person's own: refused (exit 3)", async () => {
      await plantedJournal();
      const real = `${dataDir()}.real`;
      await rename(dataDir(), real);
      await symlink(real, dataDir());
      try {
        const before = savings().json.balance;
        const r = await bank.run(["pots", "deposit", "Savings", "1", "--dedupe-id", "via-link-2"]);
        expect(r.code).toBe(EXIT.config);
        expect(r.err).toContain(`The data directory ${dataDir()} is a symbolic link`);
        expect(savings().json.balance).toBe(before);
      } finally {
        await rm(dataDir(), { force: true });
        await rename(real, dataDir());
      }
    });

    it("a pot-move journal of another user's in the person's own 0700 directory: refused (exit 3), nothing moved", async () => {
      const forged = await plantedJournal();
      const path = journalPath(bank.env, "default");
      await writeFile(path, forged, { mode: 0o600 });
      await chown(path, NOBODY, NOBODY);
      try {
        const before = savings().json.balance;
        const r = await bank.run(["pots", "deposit", "Savings", "1", "--dedupe-id", "planted-1"]);
        expect(r.out).not.toContain("Already done");
        expect(r.code).toBe(EXIT.config);
        expect(r.err).toContain(`The pot-move journal ${path} belongs to another user (uid ${NOBODY})`);
        expect(savings().json.balance).toBe(before);
      } finally {
        await rm(path, { force: true });
      }
    });

    it("an interrupted export planted for --resume: refused (exit 3), its rows never reach the person's file", async () => {
      const dir = await tempHome();
      const file = join(dir, "history.csv");
      const exports = join(dataDir(), "exports");
      await mkdir(exports, { recursive: true, mode: 0o700 });
      await chmod(exports, 0o777);
      await chmod(dataDir(), 0o711);
      const key = createHash("sha256").update(resolve(file)).digest("hex").slice(0, 24);
      const checkpoint = {
        version: 1,
        path: resolve(file),
        format: "csv",
        account_id: bank.account.json.id,
        before: null,
        cursor: lastTransaction().id,
        last_created: lastTransaction().created,
        count: 1,
        saved_at: new Date().toISOString(),
      };
      plantAsOtherUser(join(exports, `${key}.json`), JSON.stringify(checkpoint));
      plantAsOtherUser(join(exports, `${key}.part`), "id,created\r\nPLANTED-ROW,2026-01-01\r\n");
      try {
        const r = await bank.run(["transactions", "export", file, "--resume"]);
        expect(r.code).toBe(EXIT.config);
        expect(r.err).toContain(`${exports} is not private`);
        await expect(stat(file)).rejects.toMatchObject({ code: "ENOENT" });
      } finally {
        await rm(exports, { recursive: true, force: true });
        await chmod(dataDir(), 0o700);
      }
    });

    it("an interrupted export whose files belong to another user, in the person's own directory: refused (exit 3)", async () => {
      const dir = await tempHome();
      const file = join(dir, "history.csv");
      const exports = join(dataDir(), "exports");
      await mkdir(exports, { recursive: true, mode: 0o700 });
      const key = createHash("sha256").update(resolve(file)).digest("hex").slice(0, 24);
      const meta = join(exports, `${key}.json`);
      await writeFile(
        meta,
        JSON.stringify({
          version: 1,
          path: resolve(file),
          format: "csv",
          account_id: bank.account.json.id,
          before: null,
          cursor: lastTransaction().id,
          last_created: lastTransaction().created,
          count: 1,
          saved_at: new Date().toISOString(),
        }),
        { mode: 0o600 },
      );
      await writeFile(join(exports, `${key}.part`), "id,created\r\nPLANTED-ROW,2026-01-01\r\n", {
        mode: 0o600,
      });
      await chown(meta, NOBODY, NOBODY);
      try {
        const r = await bank.run(["transactions", "export", file, "--resume"]);
        expect(r.code).toBe(EXIT.config);
        expect(r.err).toContain(`The saved export ${meta} belongs to another user (uid ${NOBODY})`);
        await expect(stat(file)).rejects.toMatchObject({ code: "ENOENT" });
      } finally {
        await rm(exports, { recursive: true, force: true });
      }
    });

    it("the last login seen, planted by another user: monzo status refuses it (exit 3)", async () => {
      const path = join(dataDir(), "login.json");
      const userId = (
        JSON.parse(await readFile(join(bank.home, "tokens", "default.json"), "utf8")) as { userId: string }
      ).userId;
      const now = new Date().toISOString();
      await writeFile(path, JSON.stringify({ user_id: userId, login_at: now, approved_at: now }), {
        mode: 0o600,
      });
      await chown(path, NOBODY, NOBODY);
      try {
        const r = await bank.run(["status"]);
        expect(r.code).toBe(EXIT.config);
        expect(r.err).toContain(`belongs to another user (uid ${NOBODY})`);
      } finally {
        await rm(path, { force: true });
      }
    });
  },
);
