#!/usr/bin/env node
import { processIo } from "./io.js";
import { main } from "./main.js";

const code = await main(process.argv.slice(2), processIo());
process.exitCode = code;
