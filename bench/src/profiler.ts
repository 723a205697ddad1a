/**
 * Loaded with `--import` into a measured process when `pnpm bench --profile` runs: SIGUSR2
 * starts V8's CPU profiler (the one `node --cpu-prof` uses, through `node:inspector`), the
 * next SIGUSR2 stops it and writes `<BENCH_PROFILE_DIR>/<BENCH_PROFILE_NAME>.<n>.cpuprofile`
 * (n = 1, 2, …; `<BENCH_PROFILE_NAME>.w<id>.<n>.cpuprofile` in a cluster's process, whose
 * primary writes none). So one long-lived process gives one profile per scenario, where
 * `--cpu-prof` would only write one for its whole life, and only on a clean exit (the API
 * re-raises SIGTERM after its shutdown hooks, which skips it).
 */
import cluster from 'node:cluster';
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
// A cluster's process (the API with API_PROCESSES > 1) names its files after its worker id.
const name =
  (process.env.BENCH_PROFILE_NAME ?? `pid${process.pid}`) +
  (cluster.isWorker ? `.w${cluster.worker?.id ?? process.pid}` : '');
if (dir !== undefined) {
  const session = new Session();
  session.connect();
  let running = false;
  let count = 0;
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
    );
  process.on('SIGUSR2', () => {
    // A cluster's primary only hands out connections: its processes profile themselves.
    if (cluster.isPrimary && Object.keys(cluster.workers ?? {}).length > 0) return;
    const task = running
      ? post('Profiler.stop').then((result) => {
          count += 1;
          const file = join(dir, `${name}.${count}.cpuprofile`);
          writeFileSync(`${file}.tmp`, JSON.stringify((result as { profile: unknown }).profile));
          renameSync(`${file}.tmp`, file);
        })
      : post('Profiler.enable')
          .then(() => post('Profiler.setSamplingInterval', { interval: 1000 }))
          .then(() => post('Profiler.start'));
    running = !running;
    task.catch((error: unknown) => process.stderr.write(`bench profiler: ${String(error)}\n`));
  });
}
