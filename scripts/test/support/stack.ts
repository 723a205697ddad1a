/**
 * The real `pnpm start` stack for tests: the compiled supervisor (scripts/dist/start.js,
 * which Turborepo's `compile` task builds before these tests run) on free ports and a
 * temporary state folder, its output captured (so its standard output is not a terminal),
 * and helpers to look at its process tree.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../../lib/repo.js';
import { StateDir } from '../../lib/state.js';

export const REPO = repoRoot(import.meta.dirname);
const SUPERVISOR = join(REPO, 'scripts/dist/start.js');

export interface RunFile {
  pid: number;
  ready: boolean;
  apiUrl: string;
  rpcUrl: string;
  children: Record<string, number>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every process below `root` (children, grandchildren: PostgreSQL's backends too). */
export async function descendants(root: number): Promise<Map<number, string>> {
  const parentOf = new Map<number, number>();
  const command = new Map<number, string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parentOf.set(Number(entry), ppid);
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    command.set(Number(entry), cmdline.replaceAll('\0', ' ').trim());
  }
  const found = new Map<number, string>();
  let added = true;
  while (added) {
    added = false;
    for (const [pid, ppid] of parentOf) {
      if (!found.has(pid) && (ppid === root || found.has(ppid))) {
        found.set(pid, command.get(pid) ?? '');
        added = true;
      }
    }
  }
  return found;
}

/**
 * Polls until `check` returns a value other than undefined, or fails after `timeoutMs`; an
 * error thrown by `check` ends the wait at once.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export class TestStack {
  child: ChildProcess | null = null;
  output = '';
  /** When each line of output arrived (ms, performance.now()), to find silent gaps. */
  lines: { at: number; text: string }[] = [];
  ports = { api: 0, ledger: 0, postgres: 0, metrics: 0 };
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  readonly state: StateDir;

  constructor(
    readonly home: string,
    private readonly extraEnv: Record<string, string> = {},
  ) {
    if (!existsSync(SUPERVISOR))
      throw new Error(
        `${SUPERVISOR} is missing: run \`pnpm compile\` (turbo runs it before these tests)`,
      );
    this.state = new StateDir(home);
  }

  /** Starts the supervisor with no configuration but ports and folder; resolves when ready. */
  async start(): Promise<RunFile> {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.extraEnv };
    // The zero-configuration path: none of the variables that switch to real services.
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'SOLANA_RPC_URL', 'ADMIN_TOKEN', 'NODE_ENV'])
      delete env[name];
    this.ports = {
      api: await freePort(),
      ledger: await freePort(),
      postgres: await freePort(),
      metrics: await freePort(),
    };
    Object.assign(env, {
      WAIAAS_HOME: this.home,
      PORT: String(this.ports.api),
      LEDGER_PORT: String(this.ports.ledger),
      WAIAAS_PG_PORT: String(this.ports.postgres),
      METRICS_PORT: String(this.ports.metrics),
      NODE_OPTIONS: '',
    });
    const child = spawn(process.execPath, [SUPERVISOR], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.output = '';
    this.lines = [];
    const log = process.env.WAIAAS_TEST_STACK_LOG; // a file to follow the stack's output in
    const collect = (c: Buffer) => {
      const at = performance.now();
      this.output += c.toString();
      if (log !== undefined) appendFileSync(log, c);
      for (const text of c.toString().split('\n')) if (text !== '') this.lines.push({ at, text });
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    this.exit = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    let exited = false;
    void this.exit.then(() => (exited = true));
    return waitFor(
      'the stack to be ready',
      async () => {
        if (exited) throw new Error(`pnpm start exited before it was ready:\n${this.output}`);
        const run = await this.state.readJson<RunFile>('run.json');
        return run !== null &&
          run.pid === child.pid &&
          run.ready &&
          this.output.includes('WAIaaS is running')
          ? run
          : undefined;
      },
      240_000,
    );
  }

  /** True when `url` answers 200 now, undefined otherwise (for {@link waitFor}). */
  static async ok(url: string): Promise<true | undefined> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      await response.body?.cancel();
      return response.ok ? true : undefined;
    } catch {
      return undefined;
    }
  }

  async run(): Promise<RunFile> {
    const run = await this.state.readJson<RunFile>('run.json');
    if (run === null) throw new Error('no run.json');
    return run;
  }

  /** After a test: nothing of this stack may survive it, whatever happened. */
  async kill(): Promise<void> {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    const tree = await descendants(pid);
    for (const p of [pid, ...tree.keys()]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}
