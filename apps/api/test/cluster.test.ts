// The API as an operator runs it on a machine with several cores: `API_PROCESSES=2` starts a
// primary that forks two API processes sharing the port. Seen from outside: both serve, a
// scrape of /metrics counts every process's requests, a process that dies is replaced
// while the other keeps serving, SIGTERM stops them all, and a process that cannot start
// stops the whole API instead of being restarted for ever (how many crashes are replaced:
// src/cluster.test.ts).
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { freePort } from '@waiaas/testing';
import { apiProcesses } from './api-process.js';

const spawnApi = apiProcesses();

interface LogLine {
  msg: string;
  pid: number;
  [field: string]: unknown;
}

interface Api {
  child: ChildProcess;
  baseUrl: string;
  port: number;
  lines: () => LogLine[];
  stderr: () => string;
  /** Resolves with the first log line (after those already seen) that `match` accepts. */
  waitForLine: (match: (line: LogLine) => boolean, ms?: number) => Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `src/main.ts` with API_PROCESSES=2 on this file's database, Redis prefix and ledger. */
function startCluster(port: number): Api {
  const child = spawnApi(port, { API_PROCESSES: '2' }, ['ignore', 'pipe', 'pipe']);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let stdout = '';
  let stderr = '';
  const parsed: LogLine[] = [];
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    const end = stdout.lastIndexOf('\n');
    for (const line of stdout.slice(0, end + 1).split('\n'))
      if (line.startsWith('{')) parsed.push(JSON.parse(line) as LogLine);
    stdout = stdout.slice(end + 1);
    for (const wake of waiters) wake();
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let seen = 0;
  const waitForLine = (match: (line: LogLine) => boolean, ms = 60_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const look = () => {
        for (; seen < parsed.length; seen++) {
          const line = parsed[seen]!;
          if (match(line)) {
            seen += 1;
            waiters.delete(look);
            clearTimeout(timer);
            resolve(line);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(look);
        reject(new Error(`no such log line within ${ms} ms; stderr: ${stderr}`));
      }, ms);
      waiters.add(look);
      look();
    });
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    lines: () => [...parsed],
    stderr: () => stderr,
    waitForLine,
    exited,
  };
}

/** One request on a connection of its own (the primary hands connections out in turn). */
function getFresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

/** Whether process `pid` still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The requests /metrics says were answered on `route` with status 200, over every process. */
function countedRequests(metrics: string, route: string): number {
  let total = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('waiaas_http_request_duration_seconds_count{')) continue;
    if (!line.includes(`route="${route}"`) || !line.includes('status_code="200"')) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

describe('API_PROCESSES=2', () => {
  it('serves from two processes, counts both in /metrics, replaces one that dies, and stops on SIGTERM', async () => {
    const api = startCluster(await freePort());
    const first = await api.waitForLine((l) => l.msg === 'api_process_listening');
    const second = await api.waitForLine((l) => l.msg === 'api_process_listening');
    const workers = [first, second].map((l) => l['worker'] as number);
    expect(new Set(workers).size).toBe(2);
    // The primary says so; the processes are others than the one started.
    expect([first.pid, second.pid]).toEqual([api.child.pid, api.child.pid]);
    expect(workers).not.toContain(api.child.pid);

    // Connections are handed out in turn: forty of them reach both processes.
    for (let i = 0; i < 40; i++)
      expect((await getFresh(`${api.baseUrl}/health/live`)).status).toBe(200);
    const served = new Set(
      api
        .lines()
        .filter(
          (l) =>
            l.msg === 'incoming request' && (l['req'] as { url?: string }).url === '/health/live',
        )
        .map((l) => l.pid),
    );
    expect([...served].sort()).toEqual([...workers].sort());

    // Whichever process answers the scrape, it counts the requests of both.
    for (let i = 0; i < 4; i++) {
      const scrape = await getFresh(`${api.baseUrl}/metrics`);
      expect(scrape.status).toBe(200);
      expect(countedRequests(scrape.body, '/health/live')).toBe(40);
    }

    // A process that dies is replaced; the API answers meanwhile and after.
    process.kill(workers[0]!, 'SIGKILL');
    const restarting = await api.waitForLine((l) => l.msg === 'api_process_exited_restarting');
    expect(restarting).toMatchObject({ signal: 'SIGKILL' });
    const replacement = await api.waitForLine((l) => l.msg === 'api_process_listening');
    const replaced = replacement['worker'] as number;
    expect(workers).not.toContain(replaced);
    for (let i = 0; i < 10; i++)
      expect((await getFresh(`${api.baseUrl}/health/live`)).status).toBe(200);

    api.child.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(api.lines().some((l) => l.msg === 'api_cluster_stopping')).toBe(true);
    for (const pid of [workers[1]!, replaced]) expect(alive(pid)).toBe(false);
    await expect(getFresh(`${api.baseUrl}/health/live`)).rejects.toThrow();
  }, 180_000);

  it('stops with code 1 when its processes cannot start, instead of restarting them', async () => {
    // The port is taken: every API process fails to listen.
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const api = startCluster(port);
      const failed = await api.waitForLine((l) => l.msg === 'api_process_failed_to_start');
      expect(await api.exited).toEqual({ code: 1, signal: null });
      expect(api.stderr()).toContain('failed to start');
      expect(api.lines().some((l) => l.msg === 'api_process_exited_restarting')).toBe(false);
      for (const line of api.lines().filter((l) => l.msg === 'api_cluster_stopping'))
        expect(line.pid).toBe(api.child.pid);
      expect(alive(failed['worker'] as number)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  }, 180_000);

  it('under another cluster manager (PM2 cluster mode) a process answers /metrics by itself', async () => {
    // A primary that is not ours forks the API as its cluster process, with API_PROCESSES=1.
    const dir = await mkdtemp(join(tmpdir(), 'waiaas-foreign-primary-'));
    const script = join(dir, 'primary.mjs');
    await writeFile(
      script,
      `import cluster from 'node:cluster';
       cluster.setupPrimary({ exec: process.env.API_MAIN });
       cluster.fork();`,
    );
    try {
      const port = await freePort();
      const child = spawnApi(
        port,
        {
          API_PROCESSES: '1',
          API_MAIN: fileURLToPath(new URL('../src/main.ts', import.meta.url)),
        },
        ['ignore', 'ignore', 'pipe'],
        script,
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const deadline = Date.now() + 60_000;
      while ((await getFresh(`http://127.0.0.1:${port}/health/live`).catch(() => null)) === null) {
        if (Date.now() > deadline) throw new Error('the API did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
      const started = Date.now();
      const scrape = await getFresh(`http://127.0.0.1:${port}/metrics`);
      expect(scrape.status).toBe(200);
      expect(scrape.body).toContain('waiaas_http_request_duration_seconds_count');
      // Answered by the process itself, not after waiting for a primary that never answers.
      expect(Date.now() - started).toBeLessThan(5_000);
      child.kill('SIGKILL');
      await exited;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
