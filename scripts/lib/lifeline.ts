/**
 * Loaded into every Node child of `pnpm start` with `node --import=…/lifeline.js`, before
 * the child's own code. It does two things over one inherited socket (file descriptor
 * WAIAAS_LIFELINE_FD, the other end held only by the supervisor):
 *
 * - **Dies with the supervisor.** The socket reaches end-of-file when the supervisor's end
 *   closes, which the kernel does however the supervisor ends: Ctrl-C, a crash, kill -9, a
 *   closed terminal. The child then stops itself as a SIGTERM would (its own graceful
 *   shutdown), and is SIGKILLed, from a thread of its own, after LIFELINE_GRACE_MS if that
 *   has not finished.
 * - **Waits for its turn, warm** (WAIAAS_START_GATE=1). The supervisor starts the API and the
 *   worker while PostgreSQL and the migrations are still coming up: this module loads the
 *   modules named in WAIAAS_WARM_IMPORTS (the application's module graph: seconds of work
 *   that need no database) and holds the child's own entry point back until the supervisor
 *   writes a byte on the socket, once the database is migrated.
 *
 * Without WAIAAS_LIFELINE_FD (the app run by hand, in production) it does nothing.
 */
import { Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * SIGKILLs this process after `ms` unless it has exited by then, from a thread of its own.
 *
 * Why a thread: a timer of the main thread cannot fire while that thread is stuck, and its
 * exit can get stuck. Caught in a loaded test run (gdb: the main thread in `Atomics.wait`):
 * pino's default destination flushes its buffered lines when the process exits, and
 * sonic-boom's `flushSync` sleeps and retries on every write error, so once the supervisor's
 * end of stdout was closed (EPIPE) the exit never returned. The API and the worker now write
 * their lines synchronously, which fails on EPIPE instead (their loggers say why; their
 * `stdout` tests check it); the watchdog stays for what else may get stuck: another child,
 * another library, a shutdown that never ends. Unref'd: a graceful stop that finishes first
 * is not held up.
 */
function killAfter(ms: number): void {
  const watchdog = new Worker(
    `const { workerData } = require('node:worker_threads');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms);
     process.kill(workerData.pid, 'SIGKILL');`,
    { eval: true, workerData: { ms, pid: process.pid } },
  );
  watchdog.unref();
}

/**
 * How long a child may take to stop by itself once the supervisor is gone. Short: on a
 * starved machine noticing the end-of-file and running the timer take time too, and the
 * promise is that nothing outlives the supervisor by more than 5 s.
 */
export const LIFELINE_GRACE_MS = 1_500;

const fdText = process.env.WAIAAS_LIFELINE_FD;
const gated = process.env.WAIAAS_START_GATE === '1';
const warm = (process.env.WAIAAS_WARM_IMPORTS ?? '').split(',').filter((p) => p !== '');
// Processes this child starts must not mistake one of their own descriptors for ours.
delete process.env.WAIAAS_LIFELINE_FD;
delete process.env.WAIAAS_START_GATE;
delete process.env.WAIAAS_WARM_IMPORTS;

if (fdText !== undefined && /^\d+$/.test(fdText)) {
  const lifeline = new Socket({ fd: Number(fdText), readable: true, writable: false });
  let gone = false;
  const supervisorGone = () => {
    if (gone) return;
    gone = true;
    process.stderr.write('the pnpm start supervisor is gone: stopping\n');
    killAfter(LIFELINE_GRACE_MS);
    process.kill(process.pid, 'SIGTERM');
  };
  lifeline.on('end', supervisorGone);
  lifeline.on('close', supervisorGone);
  lifeline.on('error', supervisorGone);
  // Flowing, so that end-of-file is noticed even where nothing reads the gate byte.
  lifeline.resume();

  if (gated) {
    const opened = new Promise<void>((resolve) => {
      lifeline.once('data', () => resolve());
      lifeline.once('close', () => resolve());
    });
    // Load the heavy part while waiting; a failure here shows again, with its real
    // context, when the entry point imports the same module.
    const warmed = Promise.all(warm.map((file) => import(pathToFileURL(file).href))).catch(
      (e: unknown) =>
        process.stderr.write(
          `preloading ${warm.join(', ')} failed: ${e instanceof Error ? e.message : String(e)}\n`,
        ),
    );
    await Promise.all([opened, warmed]);
  }
  // From here on the socket only watches: it must not keep a child alive that is done.
  lifeline.unref();
}
