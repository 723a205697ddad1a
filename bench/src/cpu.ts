/**
 * CPU time a measured run cost its server, per request: the server's processes (the API's
 * cluster processes too; every thread: the event loop, the garbage collector's and the JIT
 * compiler's) and the PostgreSQL backends
 * serving the bench database, read from `/proc` before and after the run (Linux; elsewhere,
 * and for a PostgreSQL on another host, the figure is left out).
 *
 * Why: on two cores shared by the generator, the server and PostgreSQL, req/s alone does not
 * say where a request's cost lies, and it moves with the host; CPU milliseconds per request
 * do say it (e.g. whether the API or the database is the one to make cheaper).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ is 100 on every platform). */
const TICK_MS = 10;

/**
 * The fields of `/proc/<pid>/stat` after the command name (which may hold spaces, inside
 * parentheses): [0] state, [1] parent pid, … [11] utime, [12] stime. Undefined when it cannot
 * be read (gone, not Linux).
 */
function statOf(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of `pid` in ticks; undefined when it cannot be read. */
function ticksOf(pid: number): number | undefined {
  const fields = statOf(pid);
  return fields === undefined ? undefined : Number(fields[11]) + Number(fields[12]);
}

/**
 * `pid` and every process descending from it (the API's cluster processes with
 * API_PROCESSES > 1), from the parent ids in `/proc`; `[pid]` where they cannot be read.
 */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [pid];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statOf(entry);
    if (fields === undefined) continue; // gone meanwhile
    const parent = Number(fields[1]);
    const list = children.get(parent) ?? [];
    list.push(Number(entry));
    children.set(parent, list);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** PIDs of PostgreSQL backends connected to `database` (their title names it). */
function backendsOf(database: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (title.startsWith('postgres:') && title.split(/[\s\0]+/).includes(database))
        pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** What a run cost per request, in CPU milliseconds. */
export interface CpuPerRequest {
  server: number;
  /** The bench database's backends; undefined when none could be seen. */
  postgres: number | undefined;
}

/**
 * @example
 * ```ts
 * const meter = new CpuMeter(api.pid, 'waiaas_bench_1a2b');
 * const result = await runLoad(spec);
 * const cpu = meter.perRequest(result.requests); // { server: 0.17, postgres: 0.02 }
 * ```
 */
export class CpuMeter {
  /** The server's processes (itself and its cluster processes) and their ticks at the start. */
  private readonly server = new Map<number, number>();
  private readonly backends = new Map<number, number>();

  constructor(
    private readonly serverPid: number,
    private readonly database: string | undefined,
  ) {
    for (const pid of processTree(serverPid)) {
      const ticks = ticksOf(pid);
      if (ticks !== undefined) this.server.set(pid, ticks);
    }
    if (database !== undefined)
      for (const pid of backendsOf(database)) {
        const ticks = ticksOf(pid);
        if (ticks !== undefined) this.backends.set(pid, ticks);
      }
  }

  /** CPU ms per request since construction; undefined when the server's could not be read. */
  perRequest(requests: number): CpuPerRequest | undefined {
    if (!this.server.has(this.serverPid) || requests <= 0) return undefined;
    let serverTicks = 0;
    for (const pid of processTree(this.serverPid)) {
      const now = ticksOf(pid);
      // A process started during the run (a replaced cluster process) counts from zero.
      if (now !== undefined) serverTicks += now - (this.server.get(pid) ?? 0);
    }
    let postgres: number | undefined;
    if (this.database !== undefined) {
      let ticks = 0;
      let seen = false;
      for (const pid of backendsOf(this.database)) {
        const now = ticksOf(pid);
        if (now === undefined) continue;
        seen = true;
        // A backend started during the run counts from zero.
        ticks += now - (this.backends.get(pid) ?? 0);
      }
      if (seen) postgres = (ticks * TICK_MS) / requests;
    }
    return { server: (serverTicks * TICK_MS) / requests, postgres };
  }
}
