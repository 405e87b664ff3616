import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * A real redis-server on a free loopback port, in a fresh directory, with no persistence; with `password`,
 * it requires it (`url` then carries it).
 */
export class RedisServer {
  port = 0;
  #child: ChildProcess | undefined;
  #dir = "";
  readonly #password: string | undefined;

  constructor(options: { password?: string } = {}) {
    this.#password = options.password;
  }

  get url(): string {
    return `redis://${this.#password ? `:${encodeURIComponent(this.#password)}@` : ""}127.0.0.1:${this.port}`;
  }

  /** The running server's process id (for CPU pinning in benchmarks). */
  get pid(): number | undefined {
    return this.#child?.exitCode === null ? this.#child.pid : undefined;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.#dir ||= await mkdtemp(join(tmpdir(), "monzokit-redis-"));
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        this.#dir,
        ...(this.#password ? ["--requirepass", this.#password] : []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d;
        if (out.includes("Ready to accept connections")) resolve();
      });
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}
