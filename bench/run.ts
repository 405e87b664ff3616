/**
 * `npm run bench [-- NAME …]`: runs every benchmark (or the named ones), prints figure, baseline, ratio and
 * target for each, and exits 0 whether targets hold or not (benchmarks report; they do not gate). Traffic
 * goes to loopback only; each suite bounds its own duration.
 */
import * as broker from "./broker.ts";
import * as cli from "./cli.ts";
import * as core from "./core.ts";
import * as curves from "./curves.ts";
import * as emulator from "./emulator.ts";
import * as history from "./history.ts";
import { printResults, type Result } from "./lib/stats.ts";
import * as sync from "./sync.ts";

const SUITES: Record<string, () => Promise<Result[]>> = {
  emulator: () => emulator.run(emulator.FULL),
  core: () => core.run(core.FULL),
  history: () => history.run(history.FULL),
  cli: () => cli.run(cli.FULL),
  broker: () => broker.run(broker.FULL),
  sync: () => sync.run(sync.FULL),
  curves: async () => {
    await curves.run(curves.FULL);
    return [];
  },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = wanted.filter((w) => !(w in SUITES));
if (unknown.length > 0) {
  process.stderr.write(
    `bench: unknown benchmark ${unknown.join(", ")}; choose from ${Object.keys(SUITES).join(", ")}\n`,
  );
  process.exit(2);
}
const os = await import("node:os");
process.stdout.write(
  `Monzokit benchmarks — ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n\n`,
);
const started = performance.now();
for (const name of wanted.length ? wanted : Object.keys(SUITES)) {
  process.stdout.write(`== ${name}\n`);
  printResults(await SUITES[name]!());
  process.stdout.write("\n");
}
process.stdout.write(`done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
