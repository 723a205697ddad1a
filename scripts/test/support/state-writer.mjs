/**
 * A child process for the state-file tests, driving the exact code `pnpm start` runs (the
 * compiled lib/state.js, built by `pnpm compile` before the tests). Plain JavaScript, so
 * that each of the many processes the tests start and kill starts in a moment.
 *   rewrite <folder> <rounds>  rewrites run.json <rounds> times with documents of changing
 *                              size (as `pnpm start` does as each child starts), then exits
 *   first-start <folder>       forever: a fresh sub-folder, StateDir.ensure(), then the
 *                              master key, the operator token and the database password
 *                              (the first start's secrets), printing each folder when done
 */
import { join } from 'node:path';
import { randomHex, StateDir } from '../../dist/lib/state.js';

const [mode, folder, rounds] = process.argv.slice(2);
if (folder === undefined) throw new Error('usage: state-writer <mode> <folder> [rounds]');

if (mode === 'rewrite') {
  const state = new StateDir(folder);
  const children = {};
  for (let round = 0; round < Number(rounds); round++) {
    // Sizes from a few bytes to several kilobytes, so a torn read would show as bad JSON.
    children[`child-${round % 40}`] = round;
    await state.writeJson('run.json', {
      pid: process.pid,
      round,
      ready: round % 2 === 0,
      children: round % 7 === 0 ? {} : children,
      padding: 'x'.repeat((round * 37) % 4096),
    });
  }
} else if (mode === 'first-start') {
  for (let n = 0; ; n++) {
    const state = new StateDir(join(folder, `start-${n}`));
    await state.ensure();
    await state.secret('master.key', () => randomHex(32));
    await state.secret('admin-token', () => `waiaas_admin_${randomHex(24)}`);
    await state.secret('postgres-password', () => randomHex(16));
    process.stdout.write(`${state.root}\n`);
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
