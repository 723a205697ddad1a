#!/usr/bin/env node
/**
 * `pnpm start`, step one: make sure the compiled JavaScript is there and current, then run
 * the supervisor (scripts/start.ts, compiled to scripts/dist/start.js) in this same process.
 *
 * The compiling is Turborepo's `compile` task (scripts/compile.mjs, SWC, cached), with the
 * owner console's Vite build beside it: on a warm checkout every input is unchanged and it
 * only checks hashes; on a fresh clone or after an edit it compiles (the Prisma client is generated first). Its own output is shown only if
 * it fails; meanwhile one line per step, and never more than ~1.5 s of silence.
 *
 * Plain JavaScript: it has to run before anything is compiled.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const started = performance.now();
const REPO = join(import.meta.dirname, '..');
// The supervisor's own format (lib/logs.ts): JSON lines in production, readable otherwise.
const say =
  process.env.NODE_ENV?.trim() === 'production'
    ? (msg) =>
        process.stdout.write(
          `${JSON.stringify({ level: 30, time: Date.now(), component: 'start', msg })}\n`,
        )
    : (line) => process.stdout.write(`${'start'.padEnd(9)}│ ${line}\n`);
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

say('build: checking the compiled JavaScript (turbo run compile)…');
const turbo = spawn(
  process.execPath,
  [
    createRequire(import.meta.url).resolve('turbo/bin/turbo'),
    'run',
    'compile',
    // The owner console: static files the API serves under /console/ (Vite, cached the same way).
    '@waiaas/console#build',
    '--output-logs=hash-only',
    '--log-order=stream',
  ],
  {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TURBO_NO_UPDATE_NOTIFIER: '1' },
  },
);
const output = [];
let lastSaid = performance.now();
let compiling = false;
createInterface({ input: turbo.stdout }).on('line', (line) => {
  output.push(line);
  // "<package>:<task>: cache miss, executing <hash>" for each task that has to run.
  const miss = /^(@?[^:\s]+):([\w:-]+): cache miss/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
  if (miss !== null) {
    compiling = true;
    lastSaid = performance.now();
    const step =
      {
        'db:generate': 'generating the Prisma client',
        compile: 'compiling TypeScript (SWC)',
        build: 'building the owner console (Vite)',
      }[miss[2]] ?? `running ${miss[1]}#${miss[2]}`;
    say(`build: ${step} (changed since the last build)…`);
  }
});
createInterface({ input: turbo.stderr }).on('line', (line) => output.push(line));
const heartbeat = setInterval(() => {
  if (performance.now() - lastSaid < 1_500) return;
  lastSaid = performance.now();
  say(`build: still ${compiling ? 'compiling' : 'checking'} (${elapsed()})`);
}, 250);
const code = await new Promise((resolve) => turbo.on('exit', (c) => resolve(c)));
clearInterval(heartbeat);
if (code !== 0) {
  process.stdout.write(`${output.join('\n')}\n`);
  say(`build failed (turbo run compile exited with code ${code})`);
  process.exit(1);
}
const ms = performance.now() - started;
say(`build ready (${elapsed()})${compiling ? '' : ': nothing changed, all from cache'}`);
globalThis.waiaasBuild = { ms };

// Loading the supervisor takes a moment too on a busy machine: keep saying so until it speaks.
lastSaid = performance.now();
const loading = setInterval(() => {
  if (performance.now() - lastSaid < 1_500) return;
  lastSaid = performance.now();
  say(`loading the supervisor (${elapsed()})`);
}, 250);
await import('./dist/start.js');
clearInterval(loading);
