// The API process and whatever reads its stdout (a supervisor, a log shipper, `| head`): a
// reader that stalls must not lose lines, and one that goes away must not keep the API from
// stopping.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createLogPipe, freePort, type LogPipe } from '@waiaas/testing';
import { apiProcesses } from './api-process.js';

const spawnApi = apiProcesses();
const pipes = new Set<LogPipe>();

afterAll(async () => {
  for (const pipe of pipes) await pipe.close();
});

type Exit = { code: number | null; signal: NodeJS.Signals | null };

/** How the process ended, or `'running'` if it had not within `ms`. */
function exitWithin(child: ChildProcess, ms: number): Promise<Exit | 'running'> {
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

/**
 * `src/main.ts` as a real API process on this file's database, Redis prefix and ledger,
 * logging at level info into a pipe nobody reads yet; resolves once it answers, with the pipe
 * then filled: its next line has to wait for the reader.
 */
async function startApiOnFullPipe(): Promise<{
  child: ChildProcess;
  pipe: LogPipe;
  baseUrl: string;
  stderr: () => string;
}> {
  const pipe = await createLogPipe();
  pipes.add(pipe);
  const port = await freePort();
  const child = spawnApi(port, {}, ['ignore', pipe.writeFd, 'pipe']);
  pipe.spawned();
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  const check = () => {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`the API did not start: ${stderr}`);
    return new Promise((r) => setTimeout(r, 100));
  };
  const ready = randomUUID();
  const live = () =>
    fetch(`${baseUrl}/health/live`, { headers: { 'x-request-id': ready } }).then(
      (r) => r.ok,
      () => false,
    );
  while (!(await live())) await check();
  // Fill only once that request's last line is out: nothing is then left to write, and the
  // next line, the first of the test's request, is the one that finds the pipe full.
  let text = '';
  while (!logLines(text).some((l) => l.reqId === ready && l.msg === 'request completed')) {
    text += pipe.readAvailable();
    await check();
  }
  pipe.fill();
  return { child, pipe, baseUrl, stderr: () => stderr };
}

/** The whole JSON lines of `text` (the pipe's filler reads as blank lines). */
function logLines(text: string): { reqId?: string; msg: string }[] {
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { reqId?: string; msg: string });
}

/** A request with its own id, answered (its status) or not (`undefined`) within `ms`. */
function request(
  baseUrl: string,
  id: string,
): { answered: Promise<number | undefined>; within: (ms: number) => Promise<number | undefined> } {
  const answered = fetch(`${baseUrl}/health/live`, { headers: { 'x-request-id': id } }).then(
    (r) => r.status,
    () => undefined,
  );
  return {
    answered,
    within: (ms) =>
      Promise.race([answered, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]),
  };
}

describe('stdout', () => {
  it('loses no line when the reader of its stdout is slow: the lines of a request made just before SIGTERM reach it once it catches up', async () => {
    const { child, pipe, baseUrl, stderr } = await startApiOnFullPipe();
    const id = randomUUID();
    const call = request(baseUrl, id);
    // An API that buffers its lines answers at once; one whose writes wait for the pipe does not.
    await call.within(1_000);
    child.kill('SIGTERM');
    // Give an API that buffers time to stop (and take its unwritten lines with it) before
    // the reader catches up; one waiting on the pipe cannot stop until it is read.
    await exitWithin(child, 3_000);
    const text = await pipe.read();
    expect(await call.answered).toBe(200);
    // Nest stops the application, then raises the signal again: killed by SIGTERM is its normal end.
    expect(await exitWithin(child, 10_000)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(
      logLines(text)
        .filter((l) => l.reqId === id)
        .map((l) => l.msg),
    ).toEqual(['incoming request', 'request completed']);
    expect(stderr()).toBe('');
  }, 90_000);

  it('stops on SIGTERM when the reader of its stdout goes away while a line waits to be written (EPIPE)', async () => {
    const { child, pipe, baseUrl, stderr } = await startApiOnFullPipe();
    const call = request(baseUrl, randomUUID());
    await call.within(1_000);
    child.kill('SIGTERM');
    pipe.closeReader();
    expect(await exitWithin(child, 5_000)).toEqual({ code: null, signal: 'SIGTERM' });
    // The request was answered, before or after its lines could not be written.
    expect(await call.answered).toBe(200);
    expect(stderr()).toBe('');
  }, 90_000);
});
