import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { found, plan, requirements, systemOf } from "./test-deps.ts";

const SCRIPT = fileURLToPath(new URL("./test-deps.ts", import.meta.url));
const all = requirements({});

describe("systemOf", () => {
  it("tells Debian, Ubuntu, Fedora-likes and macOS apart", () => {
    expect(systemOf("linux", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n')).toBe("debian");
    expect(systemOf("linux", "ID=ubuntu\nID_LIKE=debian\n")).toBe("ubuntu");
    expect(systemOf("linux", 'ID=linuxmint\nID_LIKE="ubuntu debian"\n')).toBe("debian");
    expect(systemOf("linux", 'ID="rocky"\nID_LIKE="rhel centos fedora"\n')).toBe("fedora");
    expect(systemOf("linux", "ID=arch\n")).toBe("other");
    expect(systemOf("linux", undefined)).toBe("other");
    expect(systemOf("darwin", undefined)).toBe("macos");
  });
});

describe("plan", () => {
  it("says nothing when nothing is missing", () => {
    expect(plan([], "debian")).toBeUndefined();
  });

  it("gives apt-get every package on Debian, with the command for a person", () => {
    const p = plan(all, "debian")!;
    expect(p.apt).toEqual(["redis-server", "chromium", "dbus", "gnome-keyring", "libsecret-tools"]);
    expect(p.message).toContain(
      "sudo apt-get update && sudo apt-get install -y redis-server chromium dbus gnome-keyring libsecret-tools",
    );
    expect(p.message).toContain("/usr/bin/chromium");
  });

  it("sends Chromium to the snap on Ubuntu, which has no .deb of it", () => {
    const p = plan(all, "ubuntu")!;
    expect(p.apt).not.toContain("chromium");
    expect(p.message).toContain("sudo snap install chromium");
    expect(p.message).toContain("CHROMIUM_PATH=/snap/bin/chromium");
  });

  it("names the dnf and brew commands, and what macOS cannot run", () => {
    expect(plan(all, "fedora")!.message).toContain(
      "sudo dnf install -y redis chromium dbus-daemon gnome-keyring libsecret",
    );
    const mac = plan(all, "macos")!;
    expect(mac.apt).toEqual([]);
    expect(mac.message).toContain("brew install redis dbus libsecret");
    expect(mac.message).toContain("brew install --cask chromium");
    expect(mac.message).toContain("Secret Service");
    expect(plan([all[0]!], "macos")!.message).not.toContain("Secret Service");
  });
});

describe("the pretest step", () => {
  it("finds what this machine has", () => {
    for (const r of requirements(process.env)) expect(found(r.program, process.env), r.program).toBe(true);
    const r = spawnSync(process.execPath, [SCRIPT], { encoding: "utf8" });
    expect(r).toMatchObject({ status: 0, stdout: "", stderr: "" });
  });

  it("stops with one message naming the packages and the command when it cannot install them", async () => {
    // A PATH with nothing on it but node: every program is missing, and there is no apt-get or sudo to use.
    const bin = await mkdtemp(join(tmpdir(), "monzokit-pretest-"));
    try {
      await symlink(process.execPath, join(bin, "node"));
      const r = spawnSync(join(bin, "node"), [SCRIPT], {
        encoding: "utf8",
        env: { PATH: bin, CHROMIUM_PATH: join(bin, "no-chromium") },
      });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^pretest: The tests start redis-server, Chromium \(.*no-chromium\), dbus-daemon, gnome-keyring-daemon, secret-tool /,
      );
      // The command for this machine's system (on Debian: the apt-get line).
      const system = systemOf(process.platform, readFileSync("/etc/os-release", "utf8"));
      const missing = requirements({ CHROMIUM_PATH: join(bin, "no-chromium") });
      expect(lines[0]).toBe(`pretest: ${plan(missing, system)!.message}`);
      if (system === "debian")
        expect(lines[0]).toContain(
          "apt-get install -y redis-server chromium dbus gnome-keyring libsecret-tools",
        );
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });
});
