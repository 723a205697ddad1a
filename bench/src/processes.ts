import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { processTree } from './cpu.js';

/**
 * How to start one process of the measured stack.
 *
 * @example
 * ```ts
 * const spec: ProcessSpec = { name: 'api', script: 'apps/api/dist/main.js', cwd: repo, env, readyUrl: 'http://127.0.0.1:27000/health/ready' };
 * ```
 */
export interface ProcessSpec {
  name: string;
  /** A built JavaScript entry point (relative to the repository root), run with `node`. */
  script: string;
  args?: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Ready once this answers 200 … */
  readyUrl?: string;
  /** … or once a line of its stdout contains this. */
  readyLine?: string;
}

/**
 * Where the processes of one run write their logs and (with `--profile`) their CPU profiles.
 *
 * @example
 * ```ts
 * const runner = new Runner({ logDir: 'bench/.runs/2026-12-02', profileDir: undefined });
 * const api = await runner.start(spec);
 * await api.stop();
 * ```
 */
/** The repository root (this file is bench/dist/processes.js once built). */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export class Runner {
  private readonly running = new Set<Managed>();

  constructor(private readonly options: { logDir: string; profileDir: string | undefined }) {}

  /** Starts a process and resolves once it is ready (rejects with its log tail if it dies first). */
  async start(spec: ProcessSpec, timeoutMs = 120_000): Promise<Managed> {
    const logFile = join(this.options.logDir, `${spec.name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const execArgv: string[] = [];
    const env: NodeJS.ProcessEnv = { ...spec.env };
    if (this.options.profileDir !== undefined) {
      execArgv.push(`--import=${fileURLToPath(new URL('./profiler.js', import.meta.url))}`);
      env.BENCH_PROFILE_DIR = this.options.profileDir;
      env.BENCH_PROFILE_NAME = spec.name;
    }
    const child = spawn(
      process.execPath,
      [
        ...execArgv,
        isAbsolute(spec.script) ? spec.script : join(repoRoot, spec.script),
        ...(spec.args ?? []),
      ],
      {
        cwd: spec.cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const managed = new Managed(spec.name, child, logFile, this.options.profileDir);
    this.running.add(managed);
    void managed.exited.then(() => this.running.delete(managed));
    let sawLine = false;
    child.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (spec.readyLine !== undefined && chunk.toString().includes(spec.readyLine)) sawLine = true;
    });
    child.stderr.on('data', (chunk: Buffer) => log.write(chunk));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (managed.exitCode !== undefined)
        throw new Error(
          `${spec.name} exited (${managed.exitCode}) before it was ready:\n${managed.tail()}`,
        );
      if (spec.readyLine !== undefined && sawLine) return managed;
      if (spec.readyUrl !== undefined) {
        try {
          const response = await fetch(spec.readyUrl, { signal: AbortSignal.timeout(2_000) });
          await response.arrayBuffer();
          if (response.ok) return managed;
        } catch {
          // not listening yet
        }
      }
      await sleep(100);
    }
    await managed.stop();
    throw new Error(`${spec.name} not ready after ${timeoutMs / 1000} s:\n${managed.tail()}`);
  }

  /** Stops every process still running (reverse start order). */
  async stopAll(): Promise<void> {
    for (const managed of [...this.running].reverse()) await managed.stop();
  }
}

/**
 * A started process.
 *
 * @example
 * ```ts
 * await managed.profile('balance', async () => runLoad(spec)); // with --profile: one .cpuprofile
 * await managed.stop();
 * ```
 */
export class Managed {
  exitCode: number | string | undefined;
  readonly exited: Promise<void>;
  private profiles = 0;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly logFile: string,
    private readonly profileDir: string | undefined,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? signal ?? 'unknown';
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 25_000): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    const killed = sleep(graceMs).then(() => {
      if (this.exitCode === undefined) this.child.kill('SIGKILL');
    });
    await Promise.race([this.exited, killed]);
    await this.exited;
  }

  /**
   * Runs `work` with this process's CPU profiler on (only with `--profile`; otherwise just
   * runs it) and resolves with the profile's path.
   */
  async profile<T>(work: () => Promise<T>): Promise<{ value: T; profile: string[] | undefined }> {
    if (this.profileDir === undefined) return { value: await work(), profile: undefined };
    const profiled = this.signalTree();
    await sleep(50); // the profiler starts asynchronously
    try {
      return { value: await work(), profile: await this.stopProfile(profiled) };
    } catch (error) {
      await this.stopProfile(profiled).catch(() => undefined);
      throw error;
    }
  }

  /**
   * SIGUSR2 to the process and its descendants (an API with API_PROCESSES > 1 serves from
   * cluster processes: each profiles itself, the primary does not); returns how many profile.
   */
  private signalTree(): number {
    const tree = processTree(this.pid);
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGUSR2');
      } catch {
        // gone meanwhile
      }
    }
    return tree.length === 1 ? 1 : tree.length - 1;
  }

  /** Stops the profiles and resolves with their files (one per profiling process). */
  private async stopProfile(expected: number): Promise<string[]> {
    this.signalTree();
    this.profiles += 1;
    const dir = this.profileDir ?? '';
    // `<name>.<n>.cpuprofile`, or `<name>.w<id>.<n>.cpuprofile` from a cluster's process.
    const pattern = new RegExp(`^${this.name}(\\.w\\d+)?\\.${this.profiles}\\.cpuprofile$`);
    const written = () => readdirSync(dir).filter((f) => pattern.test(f));
    for (let i = 0; i < 600 && written().length < expected; i++) await sleep(50);
    const files = written();
    if (files.length < expected)
      throw new Error(`${this.name} wrote ${files.length} of ${expected} profiles (${dir})`);
    return files.map((f) => join(dir, f));
  }

  /** The last lines of its log. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
