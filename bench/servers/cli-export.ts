// Runs `monzo transactions export` in this process (the code the bin runs, started with the same V8 flags)
// and reports its peak RSS.
import { main, processIo } from "@monzokit/cli";

const argv = process.argv.slice(2);
const io = { ...processIo(), err: () => {} };
const code = await main(argv, io);
process.stdout.write(`${JSON.stringify({ code, rssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
