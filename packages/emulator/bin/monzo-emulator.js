#!/usr/bin/env node
// What npm links as `monzo-emulator`. npm links a package's bins as it installs, before a checkout's `prepare` has
// built dist/, and skips a bin whose file does not exist yet; so the bin is this committed file, which loads
// the build.
const target = new URL("../dist/bin.js", import.meta.url);
try {
  await import(target.href);
} catch (error) {
  const { existsSync } = await import("node:fs");
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || existsSync(target)) throw error;
  const { fileURLToPath } = await import("node:url");
  process.stderr.write(
    `monzo-emulator: the build is missing (${fileURLToPath(target)}).\n` +
      "In a Monzokit checkout run `npm run build`; an installed package is damaged: install it again.\n",
  );
  process.exitCode = 2;
}
