import { startup } from "./cli.ts";

for (const r of await startup({ runs: Number(process.argv[2] ?? 15), exportTransactions: 0 }))
  console.log(r.name, r.figure, r.baseline, r.ratio.toFixed(2));
