import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { loggedIn } from "../helpers.js";

let bank: Awaited<ReturnType<typeof loggedIn>>;

beforeAll(async () => {
  bank = await loggedIn("cli-mistakes");
}, 60_000);
afterAll(() => bank?.emu.close());

/** What a mistake must look like: its exit code, one line saying what, one line with the fix, no stack. */
function mistake(r: { code: number; err: string }, code: number, said: RegExp, fix: RegExp) {
  expect({ code: r.code, err: r.err }).toEqual({
    code,
    err: expect.stringMatching(/^error: .+\n {2}→ .+\n$/),
  });
  expect(r.err).toMatch(said);
  expect(r.err.split("\n")[1]).toMatch(fix);
  expect(r.err).not.toContain("bug in Monzokit");
}

describe("Monzo's answers to a person's mistakes are the person's, with the fix", () => {
  it("an unknown transaction id in --since, and ids that are not ids", async () => {
    mistake(
      await bank.run(["transactions", "list", "--since", "tx_nope"]),
      EXIT.usage,
      /unknown transaction 'tx_nope'/,
      /Transaction ids look like tx_0000/,
    );
    mistake(
      await bank.run(["transactions", "get", "nope"]),
      EXIT.usage,
      /not a valid tx id/,
      /ids look like tx_/,
    );
    mistake(
      await bank.run(["transactions", "get", "tx_00009ZZZZZZZZZZZZZZZZZZZ"]),
      EXIT.notFound,
      /404/,
      /No such transaction for this login/,
    );
    mistake(
      await bank.run(["balance", "--account", "acc_nope"]),
      EXIT.usage,
      /No account acc_nope/,
      /Choose one of/,
    );
  });

  it("feed push checks its URLs and colour before sending anything", async () => {
    const before = bank.emu.emulator.state.feed.length;
    mistake(
      await bank.run(["feed", "push", "Hi", "--url", "not a url"]),
      EXIT.usage,
      /--url "not a url" is not an http\(s\) URL/,
      /--url https:\/\/example\.com/,
    );
    mistake(
      await bank.run(["feed", "push", "Hi", "--image", "ftp://x/y.png"]),
      EXIT.usage,
      /--image/,
      /https:/,
    );
    mistake(
      await bank.run(["feed", "push", "Hi", "--background-color", "red"]),
      EXIT.usage,
      /#RRGGBB/,
      /#FF4F40/,
    );
    mistake(await bank.run(["feed", "push", " "]), EXIT.usage, /needs a title/, /feed push "Rent paid"/);
    expect(bank.emu.emulator.state.feed.length).toBe(before);
    expect((await bank.run(["feed", "push", "Hi", "--url", "https://example.com/x", "--quiet"])).code).toBe(
      EXIT.ok,
    );
  });

  it("receipts put names what a receipt lacks; Monzo's refusal of a field is named too", async () => {
    const file = join(bank.home, "receipt.json");
    await writeFile(file, "{}");
    mistake(
      await bank.run(["receipts", "put", file]),
      EXIT.usage,
      /has no external_id/,
      /A receipt needs external_id/,
    );
    const tx = bank.account.transactions.at(-1)!.json.id;
    await writeFile(
      file,
      JSON.stringify({
        external_id: "r-1",
        transaction_id: tx,
        total: 100,
        currency: "GBP",
        items: [{ description: "x", amount: 1.5, currency: "GBP" }],
      }),
    );
    mistake(
      await bank.run(["receipts", "put", file]),
      EXIT.usage,
      /items\[0\]\.amount/,
      /Monzo refused the value given for items\[0\]\.amount/,
    );
  });

  it("a pot Monzo will not take money from, and money that is not there, are refusals (exit 12)", async () => {
    mistake(
      await bank.run(["pots", "withdraw", "Holiday ✈️", "1"]),
      EXIT.refused,
      /locked/,
      /[Uu]nlock it in the Monzo app/,
    );
    mistake(
      await bank.run(["pots", "withdraw", "Rainy day", "1"]),
      EXIT.refused,
      /added security/,
      /only in the Monzo app/,
    );
    mistake(
      await bank.run(["pots", "deposit", "Savings", "99999999"]),
      EXIT.refused,
      /not enough money in the account \(balance £[\d,.]+\)/,
      /Deposit at most your balance/,
    );
  });

  it("monzo emulator on a busy port says so (exit 2), not that it is a bug", async () => {
    const busy: Server = await new Promise((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => resolve(s));
    });
    const port = (busy.address() as { port: number }).port;
    try {
      mistake(
        await bank.run(["emulator", "--port", String(port)]),
        EXIT.usage,
        new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`),
        /--port 0 for any free port/,
      );
    } finally {
      busy.close();
    }
  });

  it("config set refuses a URL that is not one; --csv with --json is a usage error", async () => {
    mistake(
      await bank.run(["config", "set", "apiUrl", "notaurl"]),
      EXIT.usage,
      /apiUrl must be an http\(s\) URL, not "notaurl"/,
      /config set apiUrl https:/,
    );
    mistake(
      await bank.run(["config", "set", "redirectUri", "localhost:6600"]),
      EXIT.usage,
      /redirectUri must be/,
      /callback/,
    );
    mistake(
      await bank.run(["transactions", "list", "--csv", "--json"]),
      EXIT.usage,
      /--csv and --json both choose the output of monzo transactions list/,
      /Give one of them/,
    );
  });
});
