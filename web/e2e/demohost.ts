// The reference host service (`parley demo-host`) as a process for the
// browser tests, wired to a Parley started by the harness: both on free
// loopback ports, seen by the browser as http://localhost:PORT like
// `make run` serves them.
import { spawn, type ChildProcess } from "node:child_process";
import { freePort, parleyBinary, repoRoot, startServer, type ParleyServer } from "../packages/core/server-test/harness.ts";

/** A running demo host and the Parley it signs users in to. */
export interface DemoSetup {
  /** Parley as the harness started it (http://127.0.0.1:PORT). */
  readonly parley: ParleyServer;
  /** Parley as the browser sees it: http://localhost:PORT. */
  readonly parleyUrl: string;
  /** The demo host as the browser sees it: http://localhost:PORT. */
  readonly hostUrl: string;
  /** output is what the demo host logged. */
  output(): string;
  /** stop ends both processes and removes Parley's data. */
  stop(): Promise<void>;
}

/** startDemo starts `parley serve` with its demo tenants pointing at a demo
 * host on a free port (PARLEY_DEMO_HOST_URL), then `parley demo-host`
 * pointing back at it, and waits until both answer. */
export async function startDemo(): Promise<DemoSetup> {
  const hostPort = await freePort();
  const hostUrl = `http://localhost:${hostPort}`;
  const parley = await startServer({ env: { PARLEY_DEMO_HOST_URL: hostUrl } });
  const parleyUrl = parley.url.replace("127.0.0.1", "localhost");
  const bin = await parleyBinary();
  let log = "";
  let proc: ChildProcess | null = spawn(
    bin,
    ["demo-host", "--addr", `127.0.0.1:${hostPort}`, "--public-url", hostUrl, "--parley-url", parleyUrl, "--parley-api-url", parley.url],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  proc.stdout!.on("data", (b: Buffer) => (log += b.toString()));
  proc.stderr!.on("data", (b: Buffer) => (log += b.toString()));

  const stopHost = async () => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGTERM");
    const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`parley demo-host exited with ${proc.exitCode}:\n${log}`);
      try {
        const res = await fetch(`http://127.0.0.1:${hostPort}/`);
        if (res.ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`parley demo-host not ready within 30 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stopHost();
    await parley.stop();
    throw err;
  }

  return {
    parley,
    parleyUrl,
    hostUrl,
    output: () => log,
    async stop() {
      await stopHost();
      await parley.stop();
    },
  };
}
