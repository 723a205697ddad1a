// The worker process and whatever reads its stdout (a supervisor, a log shipper, `| head`): a
// reader that stalls must not lose lines, and one that goes away must not keep the worker
// from exiting.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogPipe, freePort, type LogPipe } from '@waiaas/testing';
import {
  openWorkerEnvironment,
  spawnWorker,
  testEnv,
  waitFor,
  type WorkerEnvironment,
} from './helpers.js';

let env: WorkerEnvironment;
const children = new Set<ChildProcess>();
const pipes = new Set<LogPipe>();

beforeAll(async () => {
  env = await openWorkerEnvironment({ poolSize: 2, ledger: { slotMs: 100 } });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const pipe of pipes) await pipe.close();
  await env.close();
});

/** How the process ended, or `'running'` if it had not within `ms`. */
function exitWithin(
  child: ChildProcess,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'running'> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('running'), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** `/health` of the worker's metrics server, or `'gone'` once the server refuses connections. */
async function health(port: number): Promise<number | 'gone' | 'no answer'> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, {
      signal: AbortSignal.timeout(300),
    });
    return res.status;
  } catch (e) {
    const code = ((e as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    return code === 'ECONNREFUSED' ? 'gone' : 'no answer';
  }
}

/** The `msg` of each whole JSON line of `text` (the pipe's filler reads as blank lines). */
function messages(text: string): string[] {
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
}

/**
 * A started worker writing its log lines at level info into a pipe, which is then filled:
 * its next line has to wait for the reader.
 */
async function startWorkerOnFullPipe(): Promise<{
  child: ChildProcess;
  pipe: LogPipe;
  metricsPort: number;
  stderr: () => string;
}> {
  const pipe = await createLogPipe();
  pipes.add(pipe);
  const metricsPort = await freePort();
  const child = spawnWorker(
    testEnv(env.db.url, env.ledger.url, { LOG_LEVEL: 'info', METRICS_PORT: String(metricsPort) }),
    ['ignore', pipe.writeFd, 'pipe'],
  );
  pipe.spawned();
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // Fill only once `worker_started` is out: its SIGTERM handler is in place from then on,
  // and nothing else is left to write.
  let text = '';
  await waitFor(
    () => {
      text += pipe.readAvailable();
      return Promise.resolve(messages(text).includes('worker_started'));
    },
    60_000,
    () => Promise.resolve(stderr),
  );
  pipe.fill();
  return { child, pipe, metricsPort, stderr: () => stderr };
}

/**
 * How long the reader stays stalled after SIGTERM. A worker whose log writes block stands still
 * that long, and on waking its expired timers fire before the I/O that answered them: a stall
 * longer than its database client's timeouts (5 s to connect, 6 s per query) fails the ticks
 * then in flight ("Query read timeout", logged as `worker_tick_failed`, run again next tick).
 * This stall stays well below them, so every line the test expects is the shutdown's own.
 */
const STALL_MS = 2_000;

/**
 * Waits (at most {@link STALL_MS}) until the stopping worker has closed its metrics server, its
 * last step before `process.exit(0)`. A worker whose log writes block on the full pipe never
 * gets there; one that buffers them does (in tens of milliseconds), and is then in pino's flush
 * at exit.
 */
async function untilStopped(metricsPort: number): Promise<void> {
  await waitFor(async () => (await health(metricsPort)) === 'gone', STALL_MS).catch(
    () => undefined,
  );
}

describe('stdout', () => {
  it('exits 0 on SIGTERM when the reader of its stdout stalled and then went away (EPIPE)', async () => {
    const { child, pipe, metricsPort, stderr } = await startWorkerOnFullPipe();
    child.kill('SIGTERM');
    await untilStopped(metricsPort);
    pipe.closeReader();
    expect(await exitWithin(child, 5_000)).toEqual({ code: 0, signal: null });
    expect(stderr()).toBe('');
  }, 90_000);

  it('writes every line, up to worker_stopped, when a stalled reader catches up after SIGTERM', async () => {
    const { child, pipe, metricsPort, stderr } = await startWorkerOnFullPipe();
    child.kill('SIGTERM');
    await untilStopped(metricsPort);
    const text = await pipe.read();
    expect(await exitWithin(child, 5_000)).toEqual({ code: 0, signal: null });
    expect(messages(text)).toEqual(['shutdown_requested', 'worker_stopping', 'worker_stopped']);
    expect(stderr()).toBe('');
  }, 90_000);
});
