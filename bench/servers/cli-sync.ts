// Runs `monzo sync` in this process (the code the bin runs) and reports its time and peak RSS.
import { main, processIo } from "@monzokit/cli";

const started = performance.now();
const io = { ...processIo(), out: () => {}, err: (t: string) => void process.stderr.write(t) };
const code = await main(process.argv.slice(2), io);
process.stdout.write(
  `${JSON.stringify({ code, ms: performance.now() - started, rssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
