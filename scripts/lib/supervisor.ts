/**
 * Child processes of `pnpm start`.
 *
 * - Each child runs compiled JavaScript (`node --import=lifeline.js <script>`) in its own
 *   process group, so a terminal's Ctrl-C reaches only the supervisor, which stops them in
 *   reverse start order (SIGTERM to the group, SIGKILL after a grace period).
 * - Each child holds one end of a socket whose other end only the supervisor has (the
 *   lifeline, see lifeline.ts): if the supervisor dies in any way, even kill -9, every child
 *   sees end-of-file and stops itself.
 * - Readiness is a line the child prints or a URL that answers 200.
 * - Once the stack is up ({@link Supervisor.supervise}), a child that exits on its own is
 *   restarted with exponential backoff while the others stay up; {@link MAX_CRASHES} crashes
 *   of one child within {@link CRASH_WINDOW_MS} give up and stop the stack.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { Logger } from './logs.js';

/** Compiled next to this file; every child loads it first. */
const LIFELINE = pathToFileURL(join(import.meta.dirname, 'lifeline.js')).href;
/** The lifeline's descriptor number in the child: stdio slot 3, after stdin/out/err. */
const LIFELINE_FD = 3;

export const MAX_CRASHES = 5;
export const CRASH_WINDOW_MS = 60_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 8_000;

export interface ChildSpec {
  name: string;
  /** The JavaScript file `node` runs, and its arguments. */
  script: string;
  args?: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Ready when the child prints this line, or when this URL answers 200. */
  ready?: { line: string } | { url: string };
  /**
   * Start held back: the child loads these modules, then waits for {@link Child.openGate}
   * before running its entry point (it needs something that is still starting).
   */
  warmWhileHeld?: string[];
  /** Expected to exit by itself (a migration): an exit is neither a crash nor restarted. */
  oneShot?: boolean;
  /** Called after a restarted child is ready again (the ledger re-funds the demo wallet). */
  afterRestart?: () => Promise<void>;
}

export interface Child {
  spec: ChildSpec;
  process: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the child is ready; rejects if it exits first. */
  ready: Promise<void>;
  /** Lets a child started with `warmWhileHeld` run its entry point. */
  openGate(): void;
}

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

/** Polls `url` until it answers 200; rejects when `exited` settles first. */
async function pollHttp(url: string, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`exited before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
}

export class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;
  private supervising = false;
  private readonly crashes = new Map<string, number[]>();
  /** A child died before the stack was up, or crashed too often: the stack must stop. */
  onFatal: (reason: string) => void = () => undefined;
  /** Called after each child is spawned (the orchestrator records the pids). */
  onStart: (child: Child) => void = () => undefined;

  constructor(private readonly log: Logger) {}

  get pids(): Record<string, number> {
    return Object.fromEntries(this.children.map((c) => [c.spec.name, c.pid]));
  }

  /** From now on a child that exits by itself is restarted rather than ending the stack. */
  supervise(): void {
    this.supervising = true;
  }

  start(spec: ChildSpec): Child {
    const held = spec.warmWhileHeld !== undefined;
    const proc = spawn(
      process.execPath,
      [`--import=${LIFELINE}`, spec.script, ...(spec.args ?? [])],
      {
        cwd: spec.cwd,
        env: Object.fromEntries(
          Object.entries({
            ...spec.env,
            WAIAAS_LIFELINE_FD: String(LIFELINE_FD),
            WAIAAS_START_GATE: held ? '1' : undefined,
            WAIAAS_WARM_IMPORTS: held ? spec.warmWhileHeld?.join(',') : undefined,
          }).filter(([, v]) => v !== undefined),
        ),
        // A new process group (and session): terminal Ctrl-C reaches only the supervisor,
        // which stops the children in order; kill(-pid) reaches the child's whole tree.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      },
    );
    if (proc.pid === undefined) {
      proc.on('error', () => undefined);
      throw new Error(`${spec.name}: could not spawn ${spec.script} in ${spec.cwd}`);
    }
    const pid = proc.pid;
    const lifeline = proc.stdio[LIFELINE_FD] as Socket;
    // Nothing is read from it; it must not keep the supervisor alive on its own.
    lifeline.on('error', () => undefined);
    lifeline.unref();
    this.log.pipe(spec.name, proc.stdout!, false);
    this.log.pipe(spec.name, proc.stderr!, true);
    const exited = once(proc, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    const ready = this.readiness(spec, proc, exited);
    ready.catch(() => undefined);
    const child: Child = {
      spec,
      process: proc,
      pid,
      exited,
      ready,
      openGate: () => {
        if (held && !lifeline.destroyed) lifeline.write('go');
      },
    };
    const slot = this.children.findIndex((c) => c.spec.name === spec.name);
    if (slot === -1) this.children.push(child);
    else this.children[slot] = child;
    this.onStart(child);
    void exited.then(({ code, signal }) => {
      if (this.stopping || spec.oneShot === true) return;
      const how = `code ${code}, signal ${signal}`;
      if (!this.supervising) this.onFatal(`${spec.name} exited (${how})`);
      else void this.restart(child, how);
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

  private readiness(spec: ChildSpec, proc: ChildProcess, exited: Child['exited']): Promise<void> {
    const check = spec.ready;
    if (check === undefined) return Promise.resolve();
    const died = exited.then(({ code, signal }) => {
      throw new Error(`${spec.name} exited (code ${code}, signal ${signal}) before it was ready`);
    });
    if ('url' in check) {
      return Promise.race([pollHttp(check.url, exited).catch(() => died), died]);
    }
    const seen = new Promise<void>((resolve) => {
      const watch = (chunk: Buffer) => {
        if (chunk.toString('utf8').includes(check.line)) resolve();
      };
      proc.stdout?.on('data', watch);
      proc.stderr?.on('data', watch);
    });
    return Promise.race([seen, died]);
  }

  /** Restarts a crashed child after a backoff, or gives up on too many crashes. */
  private async restart(crashed: Child, how: string): Promise<void> {
    const { name } = crashed.spec;
    const now = Date.now();
    const recent = [...(this.crashes.get(name) ?? []), now].filter(
      (t) => now - t < CRASH_WINDOW_MS,
    );
    this.crashes.set(name, recent);
    if (recent.length >= MAX_CRASHES) {
      this.onFatal(
        `${name} crashed ${recent.length} times within ${CRASH_WINDOW_MS / 1000} s (last: ${how})`,
      );
      return;
    }
    const delay = Math.min(BACKOFF_FIRST_MS * 2 ** (recent.length - 1), BACKOFF_MAX_MS);
    this.log.warn(
      `${name} exited unexpectedly (${how}): restarting in ${(delay / 1000).toFixed(1)} s ` +
        `(crash ${recent.length}; ${MAX_CRASHES} within ${CRASH_WINDOW_MS / 1000} s stop everything)`,
    );
    // Whatever the crashed child left in its group (PostgreSQL under its wrapper) goes first.
    signalGroup(crashed.pid, 'SIGTERM');
    await Promise.all([this.reap(crashed, 5_000), sleep(delay)]);
    if (this.stopping) return;
    const started = performance.now();
    const child = this.start({ ...crashed.spec, warmWhileHeld: undefined });
    try {
      await child.ready;
    } catch {
      return; // its exit is already counted as the next crash
    }
    if (this.stopping) return;
    this.log.info(`${name} ready again (${seconds(performance.now() - started)})`, {
      pid: child.pid,
    });
    await crashed.spec.afterRestart?.().catch((e: unknown) => {
      this.log.warn(`${name}: after restart: ${e instanceof Error ? e.message : String(e)}`);
    });
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

/** `1.2 s`: how phases and restarts report their duration. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
