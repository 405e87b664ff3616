import { readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type RunningEmulator, serveEmulator } from "@monzokit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/errors.js";
import { main } from "../src/main.js";
import { fakeIo, tempHome } from "./helpers.js";

let emu: RunningEmulator;
let home: string;
const env = () => ({ MONZOKIT_HOME: home, MONZO_API_URL: emu.url });

beforeAll(async () => {
  emu = await serveEmulator({ seed: "export-test", transactions: 300 }, { port: 0 });
  home = await tempHome();
  const token = emu.emulator.control.token({ ttlSeconds: 3600 });
  const login = fakeIo({ ...env(), MONZO_ACCESS_TOKEN: token });
  expect(await main(["login"], login.io), login.stderr()).toBe(EXIT.ok);
}, 30_000);
afterAll(() => emu?.close());

describe("transactions export", () => {
  it("writes the file 0600 through an exclusive random temporary, leaving nothing beside it", async () => {
    const dir = await tempHome();
    const file = join(dir, "history.csv");
    const f = fakeIo(env());
    expect(await main(["transactions", "export", file], f.io)).toBe(EXIT.ok);
    expect((await readFile(file, "utf8")).split("\r\n")[0]).toMatch(/^id,created,/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["history.csv"]);
  });

  it("never writes through a symlink planted at the old predictable temporary name (F9)", async () => {
    const dir = await tempHome();
    const victim = join(await tempHome(), "victim.txt");
    await writeFile(victim, "untouched");
    const file = join(dir, "history.csv");
    // Before, the export wrote to `.history.csv.<pid>.partial`, following whatever was there.
    await symlink(victim, join(dir, `.history.csv.${process.pid}.partial`));
    expect(await main(["transactions", "export", file], fakeIo(env()).io)).toBe(EXIT.ok);
    expect(await readFile(victim, "utf8")).toBe("untouched");
    expect(await readFile(file, "utf8")).toMatch(/^id,created,/);
  });
});
