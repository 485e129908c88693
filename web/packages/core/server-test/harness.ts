// A real Parley server for tests: builds (or takes $PARLEY_BIN) the Go
// binary, runs `parley serve` on a free loopback port with a temporary data
// directory, and mints tokens with `parley token`. Shared by the SDK's server
// tests and the browser end-to-end tests.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root (web/..). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

let built: Promise<string> | null = null;

/** parleyBinary returns $PARLEY_BIN or builds ./cmd/parley once per process. */
export function parleyBinary(): Promise<string> {
  if (process.env["PARLEY_BIN"]) return Promise.resolve(resolve(repoRoot, process.env["PARLEY_BIN"]));
  built ??= (async () => {
    const out = join(mkdtempSync(join(tmpdir(), "parley-bin-")), "parley");
    await run("go", ["build", "-o", out, "./cmd/parley"], { cwd: repoRoot, maxBuffer: 16 << 20 });
    return out;
  })();
  return built;
}

/** freePort asks the kernel for an unused loopback port. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? ok(addr.port) : fail(new Error("no port"))));
    });
  });
}

/** A running Parley server. */
export interface ParleyServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** ws://127.0.0.1:PORT */
  readonly wsUrl: string;
  readonly dataDir: string;
  /** token mints an access token with `parley token`. */
  token(tenant: string, user: string, name: string, ttl?: string): Promise<string>;
  /** restart stops the server gracefully (SIGTERM) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** stop ends the server and removes its data. */
  stop(): Promise<void>;
  /** output is what the server logged (never tokens or message text). */
  output(): string;
}

/** startServer runs `parley serve` and waits until /readyz answers 200. */
export async function startServer(opts: { args?: string[]; env?: Record<string, string> } = {}): Promise<ParleyServer> {
  const bin = await parleyBinary();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "parley-data-"));
  const url = `http://127.0.0.1:${port}`;
  let log = "";
  let proc: ChildProcess | null = null;

  const launch = async () => {
    const p = spawn(bin, ["serve", "--addr", `127.0.0.1:${port}`, "--data", dataDir, "--log-level", "warn", ...(opts.args ?? [])], {
      cwd: repoRoot,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    p.stdout!.on("data", (b: Buffer) => (log += b.toString()));
    p.stderr!.on("data", (b: Buffer) => (log += b.toString()));
    proc = p;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`parley serve exited with ${p.exitCode}:\n${log}`);
      try {
        const res = await fetch(`${url}/readyz`);
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`parley serve not ready within 30 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const halt = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    url,
    wsUrl: url.replace(/^http/, "ws"),
    dataDir,
    async token(tenant, user, name, ttl = "1h") {
      const { stdout } = await run(bin, ["token", "--data", dataDir, "--tenant", tenant, "--user", user, "--name", name, "--ttl", ttl], { cwd: repoRoot });
      return stdout.trim();
    },
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
    },
    output: () => log,
  };
}

/** waitFor polls cond until it holds or the deadline passes (no fixed sleeps). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
