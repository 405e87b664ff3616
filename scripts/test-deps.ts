#!/usr/bin/env node
/**
 * `npm test`'s first step (pretest): the programs the tests start for real — redis-server (broker tests),
 * Chromium (browser tests) and a Secret Service (dbus-daemon, gnome-keyring-daemon, secret-tool: OS keychain
 * tests). On Debian or Ubuntu, as root or with passwordless sudo, it installs the missing ones with apt-get
 * (one line says which). Anywhere else it stops before any test with one message naming the packages and the
 * command for this system, and exits 1: a test never skips because something is missing.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A program the tests start, and the package that brings it on each system. */
export interface Requirement {
  /** What the tests run: a command on PATH, or an absolute path (Chromium). */
  program: string;
  apt: string;
  dnf: string;
  /** Homebrew's formula (or `--cask NAME`); null where Homebrew has none. */
  brew: string | null;
}

/** Chromium where test-support/chromium.ts launches it: CHROMIUM_PATH, else Debian's. */
export const chromiumPath = (env: NodeJS.ProcessEnv) => env["CHROMIUM_PATH"] || "/usr/bin/chromium";

export function requirements(env: NodeJS.ProcessEnv): Requirement[] {
  return [
    { program: "redis-server", apt: "redis-server", dnf: "redis", brew: "redis" },
    { program: chromiumPath(env), apt: "chromium", dnf: "chromium", brew: "--cask chromium" },
    { program: "dbus-daemon", apt: "dbus", dnf: "dbus-daemon", brew: "dbus" },
    { program: "gnome-keyring-daemon", apt: "gnome-keyring", dnf: "gnome-keyring", brew: null },
    { program: "secret-tool", apt: "libsecret-tools", dnf: "libsecret", brew: "libsecret" },
  ];
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether `program` (a name looked up on PATH, or a path) can be run. */
export function found(program: string, env: NodeJS.ProcessEnv): boolean {
  if (program.includes("/")) return executable(program);
  return (env["PATH"] ?? "").split(delimiter).some((dir) => dir !== "" && executable(join(dir, program)));
}

export type System = "debian" | "ubuntu" | "fedora" | "macos" | "other";

/** The package system to speak of, from `process.platform` and /etc/os-release. */
export function systemOf(platform: NodeJS.Platform, osRelease: string | undefined): System {
  if (platform === "darwin") return "macos";
  if (platform !== "linux" || osRelease === undefined) return "other";
  const field = (key: string) =>
    new RegExp(`^${key}=["']?([^"'\\n]*)`, "m").exec(osRelease)?.[1]?.toLowerCase().split(/\s+/) ?? [];
  const ids = [...field("ID"), ...field("ID_LIKE")];
  if (field("ID").includes("ubuntu")) return "ubuntu";
  if (ids.includes("debian") || ids.includes("ubuntu")) return "debian";
  if (ids.includes("fedora") || ids.includes("rhel")) return "fedora";
  return "other";
}

/**
 * How to get the missing programs on `system`: the packages apt-get may install by itself, and the message
 * for a person (the exact command), or undefined when nothing is missing.
 */
export function plan(missing: Requirement[], system: System): { apt: string[]; message: string } | undefined {
  if (missing.length === 0) return undefined;
  const programs = missing
    .map((r) => (r.apt === "chromium" ? `Chromium (${r.program})` : r.program))
    .join(", ");
  const chromium = missing.find((r) => r.apt === "chromium");
  const lead = `The tests start ${programs} for real, and this machine lacks ${missing.length === 1 ? "it" : "them"}.`;
  const again = "then run npm test again.";
  if (system === "debian" || system === "ubuntu") {
    // Ubuntu has no Chromium .deb (its chromium-browser package installs a snap).
    const apt = missing.filter((r) => !(system === "ubuntu" && r === chromium)).map((r) => r.apt);
    const steps = [
      ...(apt.length ? [`sudo apt-get update && sudo apt-get install -y ${apt.join(" ")}`] : []),
      ...(system === "ubuntu" && chromium
        ? ["sudo snap install chromium, and run the tests with CHROMIUM_PATH=/snap/bin/chromium"]
        : []),
    ];
    return { apt, message: `${lead} Install: ${steps.join("; ")}; ${again}` };
  }
  if (system === "fedora") {
    const hint = chromium ? " (Fedora's Chromium is /usr/bin/chromium-browser: set CHROMIUM_PATH to it)" : "";
    return {
      apt: [],
      message: `${lead} Install: sudo dnf install -y ${missing.map((r) => r.dnf).join(" ")}${hint}; ${again}`,
    };
  }
  if (system === "macos") {
    const formulae = missing.filter((r) => r.brew && !r.brew.startsWith("--cask")).map((r) => r.brew);
    const casks = missing
      .filter((r) => r.brew?.startsWith("--cask"))
      .map((r) => r.brew!.slice("--cask ".length));
    const steps = [
      ...(formulae.length ? [`brew install ${formulae.join(" ")}`] : []),
      ...(casks.length
        ? [
            `brew install --cask ${casks.join(" ")}, and run the tests with CHROMIUM_PATH=/Applications/Chromium.app/Contents/MacOS/Chromium`,
          ]
        : []),
    ];
    const keyring = missing.some((r) => r.brew === null)
      ? " The OS keychain tests drive a Linux Secret Service (GNOME Keyring), which macOS does not have: run the suite on Linux, e.g. in a Debian container."
      : "";
    return {
      apt: [],
      message: `${lead}${steps.length ? ` Install: ${steps.join("; ")}; ${again}` : ""}${keyring}`,
    };
  }
  return {
    apt: [],
    message: `${lead} Install them with your package manager (on Debian: ${missing.map((r) => r.apt).join(" ")}); ${again}`,
  };
}

/** The command prefix that runs apt-get as root here, or undefined when this process cannot. */
function asRoot(env: NodeJS.ProcessEnv): string[] | undefined {
  if (!found("apt-get", env)) return undefined;
  if (process.getuid?.() === 0) return [];
  if (found("sudo", env) && spawnSync("sudo", ["-n", "true"], { env, stdio: "ignore" }).status === 0)
    return ["sudo", "-n"];
  return undefined;
}

function aptGet(prefix: string[], args: string[], env: NodeJS.ProcessEnv) {
  const [command, ...rest] = [...prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", ...args];
  return spawnSync(command!, rest, { env, encoding: "utf8" });
}

/** Checks, installs what it can, and returns the exit code. */
export function main(env: NodeJS.ProcessEnv = process.env): number {
  const missingNow = () => requirements(env).filter((r) => !found(r.program, env));
  let missing = missingNow();
  if (missing.length === 0) return 0;
  const osRelease = (() => {
    try {
      return readFileSync("/etc/os-release", "utf8");
    } catch {
      return undefined;
    }
  })();
  const system = systemOf(process.platform, osRelease);
  const todo = plan(missing, system)!;
  const root = todo.apt.length > 0 ? asRoot(env) : undefined;
  if (root) {
    process.stderr.write(
      `pretest: installing ${todo.apt.join(" ")} with apt-get (the tests start them for real)\n`,
    );
    const update = aptGet(root, ["update", "-qq"], env);
    const install =
      update.status === 0
        ? aptGet(root, ["install", "-y", "-qq", "--no-install-recommends", ...todo.apt], env)
        : update;
    if (install.status !== 0)
      process.stderr.write(`pretest: apt-get failed:\n${`${install.stderr}${install.stdout}`.trim()}\n`);
    missing = missingNow();
    if (missing.length === 0) return 0;
  }
  process.stderr.write(`pretest: ${plan(missing, system)!.message}\n`);
  return 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
