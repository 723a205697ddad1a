/**
 * Child processes of `pnpm start`: each in its own process group (so a signal reaches the
 * whole tree under it and nothing is left behind), output forwarded through the logger,
 * stopped in reverse start order with SIGTERM, then SIGKILL after a grace period.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from './logs.js';

export interface ChildSpec {
  name: string;
  /** Arguments to `node` (the same Node binary as the orchestrator). */
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** A line on stdout/stderr that means "ready" (otherwise the caller polls). */
  readyLine?: string;
  /** The child is expected to exit on its own (a migration); otherwise an exit is a failure. */
  oneShot?: boolean;
}

export interface Child {
  spec: ChildSpec;
  process: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when `readyLine` was printed; rejects if the child exits first. */
  ready: Promise<void>;
}

const NODE_FLAGS = ['--conditions=@waiaas/source', '--import=@swc-node/register/esm-register'];

/** True while any process of group `pgid` is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is gone already.
  }
}

export class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;
  /** Called once when a long-running child exits while the supervisor is not stopping. */
  onUnexpectedExit: (child: Child, code: number | null, signal: NodeJS.Signals | null) => void =
    () => undefined;
  /** Called after each child is spawned (the orchestrator records the pids). */
  onStart: (child: Child) => void = () => undefined;

  constructor(private readonly log: Logger) {}

  get pids(): Record<string, number> {
    return Object.fromEntries(this.children.map((c) => [c.spec.name, c.pid]));
  }

  start(spec: ChildSpec): Child {
    const proc = spawn(process.execPath, [...NODE_FLAGS, ...spec.args], {
      cwd: spec.cwd,
      env: Object.fromEntries(Object.entries(spec.env).filter(([, v]) => v !== undefined)),
      // A new process group (and session): terminal Ctrl-C reaches only the orchestrator,
      // which stops the children in order; kill(-pid) reaches the child's whole tree.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (proc.pid === undefined) throw new Error(`${spec.name}: could not spawn`);
    const pid = proc.pid;
    this.log.pipe(spec.name, proc.stdout, false);
    this.log.pipe(spec.name, proc.stderr, true);
    const exited = once(proc, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    const ready = new Promise<void>((resolve, reject) => {
      if (spec.readyLine === undefined) {
        resolve();
        return;
      }
      const marker = spec.readyLine;
      const watch = (chunk: Buffer) => {
        if (chunk.toString('utf8').includes(marker)) resolve();
      };
      proc.stdout.on('data', watch);
      proc.stderr.on('data', watch);
      void exited.then(({ code, signal }) =>
        reject(
          new Error(`${spec.name} exited (code ${code}, signal ${signal}) before it was ready`),
        ),
      );
    });
    ready.catch(() => undefined);
    const child: Child = { spec, process: proc, pid, exited, ready };
    this.children.push(child);
    this.onStart(child);
    void exited.then(({ code, signal }) => {
      if (!this.stopping && spec.oneShot !== true) this.onUnexpectedExit(child, code, signal);
    });
    return child;
  }

  /** Runs a one-shot child to completion; throws unless it exits 0. */
  async run(spec: ChildSpec): Promise<void> {
    const child = this.start({ ...spec, oneShot: true });
    const { code, signal } = await child.exited;
    await this.reap(child, 5_000);
    if (code !== 0) throw new Error(`${spec.name} failed (code ${code}, signal ${signal})`);
  }

  /** Stops every child, last started first; resolves when no process of any group is left. */
  async stopAll(graceMs = 15_000): Promise<void> {
    this.stopping = true;
    for (const child of [...this.children].reverse()) {
      if (!groupAlive(child.pid)) continue;
      this.log.info(`stopping ${child.spec.name}`, { pid: child.pid });
      signalGroup(child.pid, 'SIGTERM');
      await this.reap(child, graceMs);
    }
  }

  /** Immediately SIGKILLs every child group (second Ctrl-C). */
  killAll(): void {
    this.stopping = true;
    for (const child of this.children) signalGroup(child.pid, 'SIGKILL');
  }

  /** Waits until the child's whole process group is gone, SIGKILLing it after `graceMs`. */
  private async reap(child: Child, graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (groupAlive(child.pid)) {
      if (Date.now() >= deadline) {
        this.log.warn(`${child.spec.name} did not stop within ${graceMs} ms: SIGKILL`, {
          pid: child.pid,
        });
        signalGroup(child.pid, 'SIGKILL');
        await Promise.race([child.exited, sleep(2_000)]);
        // The kernel reaps the group's orphans itself once they are killed.
        const killDeadline = Date.now() + 5_000;
        while (groupAlive(child.pid) && Date.now() < killDeadline) await sleep(50);
        return;
      }
      await sleep(50);
    }
  }
}
