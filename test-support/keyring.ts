import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Whether this machine can run a private Secret Service (dbus-daemon, gnome-keyring-daemon, secret-tool). */
export function keyringToolsInstalled(): boolean {
  return ["dbus-daemon", "gnome-keyring-daemon", "secret-tool"].every(
    (tool) => spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0,
  );
}

/**
 * A real, private OS keychain for tests: a session D-Bus and an unlocked GNOME Keyring in a fresh home,
 * reached through `env` (pass it to the code under test). Nothing of the machine's own keyring is touched.
 */
export class Keyring {
  env: Record<string, string> = {};
  #dir = "";
  #bus: ChildProcess | undefined;
  #keyring: ChildProcess | undefined;

  async start(): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), "monzokit-keyring-"));
    const home = join(this.#dir, "home");
    const runtime = join(this.#dir, "run");
    await mkdir(home, { mode: 0o700 });
    await mkdir(runtime, { mode: 0o700 });
    const base = { PATH: process.env["PATH"] ?? "", HOME: home, XDG_RUNTIME_DIR: runtime };
    // A bus of our own with no service directories, so nothing is started on demand: the only Secret
    // Service on it is the keyring below.
    const config = join(this.#dir, "bus.conf");
    await writeFile(
      config,
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${runtime}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>
</busconfig>
`,
    );
    const bus = spawn(
      "dbus-daemon",
      [`--config-file=${config}`, "--nofork", "--nosyslog", "--print-address=1"],
      {
        env: base,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.#bus = bus;
    const address = await new Promise<string>((resolve, reject) => {
      let out = "";
      bus.stdout!.on("data", (d: Buffer) => {
        out += d;
        const line = out.split("\n")[0];
        if (out.includes("\n") && line) resolve(line.trim());
      });
      bus.once("error", reject);
      bus.once("exit", (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
    });
    this.env = { ...base, DBUS_SESSION_BUS_ADDRESS: address };
    await this.startService();
  }

  /**
   * Starts (again) the Secret Service on the bus: GNOME Keyring, unlocked, over the same keyring files, so
   * what was stored before a `stopService` is there again.
   */
  async startService(): Promise<void> {
    const keyring = spawn("gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"], {
      env: this.env,
      stdio: ["pipe", "ignore", "ignore"],
    });
    this.#keyring = keyring;
    // The login keyring's password, on stdin: the keyring is created and unlocked with it.
    keyring.stdin!.end("monzokit-test");
    for (let i = 0; i < 100; i++) {
      const probe = spawnSync("secret-tool", ["lookup", "service", "monzokit-keyring-probe"], {
        env: this.env,
        encoding: "utf8",
        timeout: 2000,
      });
      if ((probe.status === 0 || probe.status === 1) && !probe.stderr.trim()) {
        const stored = spawnSync(
          "secret-tool",
          ["store", "--label=probe", "service", "monzokit-keyring-probe", "k", "v"],
          { env: this.env, input: "ok", timeout: 2000 },
        );
        if (stored.status === 0) return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the test keyring did not come up");
  }

  /** Stops the Secret Service (the bus stays): what a crashed or stopped keyring daemon looks like. */
  async stopService(): Promise<void> {
    const child = this.#keyring;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    }
    // Until the bus notices the name is gone, a call may still be routed to it.
    for (let i = 0; i < 100; i++) {
      const probe = spawnSync("secret-tool", ["lookup", "service", "monzokit-keyring-probe"], {
        env: this.env,
        encoding: "utf8",
        timeout: 2000,
      });
      if (probe.stderr.trim()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** What the keyring holds for these attributes, or undefined. */
  lookup(attributes: Record<string, string>): string | undefined {
    const r = spawnSync("secret-tool", ["lookup", ...Object.entries(attributes).flat()], {
      env: this.env,
      encoding: "utf8",
      timeout: 5000,
    });
    return r.status === 0 ? r.stdout : undefined;
  }

  store(attributes: Record<string, string>, secret: string): void {
    const r = spawnSync("secret-tool", ["store", "--label=test", ...Object.entries(attributes).flat()], {
      env: this.env,
      input: secret,
      timeout: 5000,
    });
    if (r.status !== 0) throw new Error(`secret-tool store failed: ${r.stderr}`);
  }

  async dispose(): Promise<void> {
    for (const child of [this.#keyring, this.#bus]) {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGKILL");
        await exited;
      }
    }
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}
