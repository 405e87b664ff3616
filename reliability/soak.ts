/** `npm run soak`: the reliability suites at full size, bounded in time, loopback only. Prints figures. */
import { SOAK as BROKER_SOAK, runBrokerSuite } from "./broker.ts";
import { runCrashSuite, runLoginCrashSuite } from "./crash.ts";
import { runFaultSuite, SOAK } from "./faults.ts";
import { SOAK as MIRROR_SOAK, runMirrorCrashSuite } from "./mirror.ts";

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
const loginCrash = await runLoginCrashSuite(200);
process.stdout.write(`crashes during login: ${JSON.stringify(loginCrash)}\n`);
const loginCrashOk =
  loginCrash.fileAlwaysWhole &&
  loginCrash.fileAlways0600 &&
  loginCrash.leftoverTempFiles === 0 &&
  loginCrash.otherOutcomes.length === 0;
process.stdout.write(loginCrashOk ? "crashes during login: holds\n" : "crashes during login: FAILED\n");
const mirror = await runMirrorCrashSuite(MIRROR_SOAK);
process.stdout.write(`crashes during sync: ${JSON.stringify(mirror)}\n`);
const mirrorOk =
  mirror.alwaysIntact &&
  mirror.otherOutcomes.length === 0 &&
  mirror.differences.length === 0 &&
  mirror.kills > 0;
process.stdout.write(mirrorOk ? "crashes during sync: holds\n" : "crashes during sync: FAILED\n");
const b = await runBrokerSuite(BROKER_SOAK);
process.stdout.write(`broker under load and faults: ${JSON.stringify(b)}\n`);
const brokerOk =
  b.steady5xx === 0 &&
  b.unexpected5xx === 0 &&
  b.outage503WithoutRetryAfter === 0 &&
  b.servedTwice === 0 &&
  b.lostOutsideOutage === 0 &&
  b.notFoundBeforeKill === 0 &&
  b.connectionErrors === 0 &&
  b.crashed === 0 &&
  b.firstLoginAfterRestartMs !== null &&
  b.secretHits === 0 &&
  b.unhandled === 0;
process.stdout.write(
  brokerOk ? "broker under load and faults: holds\n" : "broker under load and faults: FAILED\n",
);
process.exitCode = ok && crashOk && loginCrashOk && mirrorOk && brokerOk ? 0 : 1;
