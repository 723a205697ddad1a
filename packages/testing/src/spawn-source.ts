import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Starts an app's `src/main.ts` (or another `entry`, relative to the app or absolute) as its own process, compiled on the fly by SWC (the app's
 * `@swc-node/register`, with workspace packages resolved to their sources), for tests that
 * watch a process from outside: its output, its signals, its exit. The environment is `env`
 * alone, plus `PATH`.
 *
 * @example
 * ```ts
 * const api = spawnSourceEntry(new URL('../', import.meta.url), { PORT: '3001' }, ['ignore', 'pipe', 'pipe']);
 * ```
 */
export function spawnSourceEntry(
  appRoot: URL,
  env: Record<string, string>,
  stdio: StdioOptions,
  entry = 'src/main.ts',
): ChildProcess {
  const main = fileURLToPath(new URL(entry, appRoot));
  const register = new URL('node_modules/@swc-node/register/esm/esm-register.mjs', appRoot).href;
  return spawn(process.execPath, ['--conditions=@waiaas/source', `--import=${register}`, main], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '', ...env },
    stdio,
  });
}
