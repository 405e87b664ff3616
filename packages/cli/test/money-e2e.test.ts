/**
 * Ctrl+C during a pot move, for real: the built `monzo` as a subprocess, a real SIGINT while its request is
 * with "Monzo" (held by a proxy in front of the emulator), then the re-run that finishes it.
 */
import { spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/errors.js";
import { journalPath, type MoveRecord } from "../src/money/journal.js";
import { loggedIn, type lossyProxy } from "./helpers.js";

const BIN = fileURLToPath(new URL("../dist/bundle/bin.js", import.meta.url));
let bank: Awaited<ReturnType<typeof loggedIn>>;
let proxy: Awaited<ReturnType<typeof lossyProxy>>;

beforeAll(async () => {
  bank = await loggedIn("cli-money-e2e", { viaProxy: true });
  proxy = bank.proxy!;
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await bank?.emu.close();
});

describe("Ctrl+C during a pot move", () => {
  it("says the money may have moved and how to finish it; the re-run with that dedupe id moves it once", async () => {
    const savings = [...bank.emu.emulator.state.bank.pots.values()].find((p) => p.json.name === "Savings")!;
    const balance = savings.json.balance;
    proxy.state.hold = /^PUT \/pots\//;
    const child = spawn(process.execPath, [BIN, "pots", "deposit", "Savings", "2.50"], {
      env: { PATH: process.env["PATH"] ?? "", ...bank.env, MONZO_API_URL: proxy.url, NO_COLOR: "1" },
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d;
    });
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await proxy.held();
    child.kill("SIGINT");
    expect(await exit).toBe(EXIT.interrupted);
    const dedupe = /--dedupe-id (monzo-[\w-]+)/.exec(err)?.[1];
    expect(err).toContain("Stopped while Monzo was moving £2.50 into Savings: it may or may not have moved.");
    expect(err).toContain(
      `Finish it safely: monzo pots deposit ${savings.json.id} 2.50 --dedupe-id ${dedupe}`,
    );
    const path = journalPath(bank.env, "default");
    const moves = JSON.parse(await readFile(path, "utf8")).moves as MoveRecord[];
    expect(moves.find((m) => m.dedupe_id === dedupe)).toMatchObject({ outcome: "pending", amount: 250 });
    await expect(stat(`${path}.lock`)).rejects.toThrow();
    expect(savings.json.balance).toBe(balance);

    proxy.state.hold = undefined;
    const finish = await bank.run(["pots", "deposit", savings.json.id, "2.50", "--dedupe-id", dedupe!]);
    expect(finish.code).toBe(EXIT.ok);
    expect(finish.out).toMatch(/^Moved £2\.50 into Savings \(the attempt of .* had not gone through\)/);
    expect(savings.json.balance).toBe(balance + 250);
  });
});
