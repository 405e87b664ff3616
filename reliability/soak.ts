/** `npm run soak`: the reliability suites at full size, bounded in time, loopback only. Prints figures. */
import { runCrashSuite } from "./crash.ts";
import { runFaultSuite, SOAK } from "./faults.ts";

const r = await runFaultSuite(SOAK);
process.stdout.write(`faulty network: ${JSON.stringify(r)}\n`);
const ok =
  r.readUntyped === 0 &&
  r.readSuccesses + r.readTypedErrors === r.reads &&
  r.movements === r.deposits &&
  r.movedPence === r.expectedPence &&
  r.unhandled === 0;
process.stdout.write(ok ? "faulty network: holds\n" : "faulty network: FAILED\n");
const crash = await runCrashSuite(200);
process.stdout.write(`crashes: ${JSON.stringify(crash)}\n`);
const crashOk = crash.fileAlwaysWhole && crash.fileAlways0600 && crash.otherOutcomes.length === 0;
process.stdout.write(crashOk ? "crashes: holds\n" : "crashes: FAILED\n");
process.exitCode = ok && crashOk ? 0 : 1;
