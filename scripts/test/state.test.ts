import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createFileOnce, FileExistsWithOtherContentError } from '../lib/atomic-file.js';
import { StateDir } from '../lib/state.js';

const WRITER = join(import.meta.dirname, 'support', 'state-writer.mjs');

function writer(args: string[]) {
  return spawn(process.execPath, [WRITER, ...args], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** A small deterministic PRNG (mulberry32), so the kill timings replay from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'waiaas-state-'));
});
let stopWriter: (() => void) | undefined;
afterEach(async () => {
  stopWriter?.();
  stopWriter = undefined;
  await rm(folder, { recursive: true, force: true });
});

describe('run.json rewritten by one process while another reads it', () => {
  it('never shows the reader a partial document, over thousands of rounds', async () => {
    const rounds = 3000;
    const child = writer(['rewrite', folder, String(rounds)]);
    const exited = once(child, 'exit');
    let done = false;
    void exited.then(() => (done = true));
    // Should the test end early, the writer must not outlive the folder it writes into.
    stopWriter = () => child.kill('SIGKILL');
    const state = new StateDir(folder);
    const unreadable: string[] = [];
    const seenRounds = new Set<number>();
    let reads = 0;
    while (!done) {
      const run = await state.readJson<{ round: number }>('run.json', (m) => unreadable.push(m));
      reads++;
      if (run !== null) seenRounds.add(run.round);
    }
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(unreadable).toEqual([]);
    // The reads really overlapped the writes: many different versions were seen, and the
    // last one is the final document.
    expect(seenRounds.size).toBeGreaterThan(100);
    expect(reads).toBeGreaterThan(1000);
    expect((await state.readJson<{ round: number }>('run.json'))?.round).toBe(rounds - 1);
    // No temporary file is left behind by a write that completed.
    expect(await readdir(folder)).toEqual(['run.json']);
    // Every write fsyncs the file and the folder: on a busy disk 3000 of them take a while.
    // The bound is a guard against a hang, not a speed claim.
  }, 180_000);
});

describe('a kill -9 during the first start', () => {
  it('never leaves a truncated master key, operator token or password', async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 2 ** 31);
    const random = prng(seed);
    process.stdout.write(`state kill -9 test: SEED=${seed}\n`);
    let inspected = 0;
    for (let kill = 0; kill < 20; kill++) {
      const root = join(folder, `kill-${kill}`);
      const child = writer(['first-start', root]);
      const exited = once(child, 'exit');
      // Wait for the first complete start, so the process is warm, then kill at a random
      // instant in the middle of later ones.
      await once(child.stdout, 'data');
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 40)));
      child.kill('SIGKILL');
      await exited;
      for (const start of await readdir(root)) {
        const dir = join(root, start);
        for (const [name, pattern] of [
          ['master.key', /^[0-9a-f]{64}\n$/],
          ['admin-token', /^waiaas_admin_[0-9a-f]{48}\n$/],
          ['postgres-password', /^[0-9a-f]{32}\n$/],
        ] as const) {
          const text = await readFile(join(dir, name), 'utf8').catch(() => null);
          if (text === null) continue; // not created yet: the next start creates it
          expect({ file: join(start, name), text, seed }).toEqual({
            file: join(start, name),
            text: expect.stringMatching(pattern),
            seed,
          });
          expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
          inspected++;
        }
      }
    }
    expect(inspected).toBeGreaterThan(20);
  });
});

describe('StateDir', () => {
  it('creates a secret once and returns the same value on every later read', async () => {
    const state = new StateDir(folder);
    await state.ensure();
    const first = await state.secret('master.key', () => 'a'.repeat(64));
    const second = await state.secret('master.key', () => 'b'.repeat(64));
    expect(first).toMatchObject({ value: 'a'.repeat(64), created: true });
    expect(second).toMatchObject({ value: 'a'.repeat(64), created: false });
    expect((await stat(first.file)).mode & 0o777).toBe(0o600);
  });

  it('refuses an empty secret file instead of generating a new key over it', async () => {
    const state = new StateDir(folder);
    await writeFile(state.path('master.key'), '');
    await expect(state.secret('master.key', () => 'c'.repeat(64))).rejects.toThrow(/is empty/);
    expect(await readFile(state.path('master.key'), 'utf8')).toBe('');
  });

  it('treats a run.json that does not parse as absent, and says so', async () => {
    const state = new StateDir(folder);
    await writeFile(state.path('run.json'), '{"pid": 1, "rea');
    const messages: string[] = [];
    expect(await state.readJson('run.json', (m) => messages.push(m))).toBeNull();
    expect(messages).toEqual([expect.stringContaining('run.json is not valid JSON')]);
  });

  it('sweeps temporary files left by a writer that died, but not fresh ones', async () => {
    const state = new StateDir(folder);
    const stale = state.path('.master.key.0123456789ab.tmp');
    const fresh = state.path('.run.json.ba9876543210.tmp');
    await writeFile(stale, 'half');
    await writeFile(fresh, 'in flight');
    const old = new Date(Date.now() - 5 * 60_000);
    await utimes(stale, old, old);
    await state.ensure();
    expect((await readdir(folder)).sort()).toEqual(['.run.json.ba9876543210.tmp']);
  });
});

describe('createFileOnce', () => {
  it('accepts the same content again and refuses different content', async () => {
    const file = join(folder, 'secret');
    await createFileOnce(file, 'one\n');
    await createFileOnce(file, 'one\n');
    await expect(createFileOnce(file, 'two\n')).rejects.toBeInstanceOf(
      FileExistsWithOtherContentError,
    );
    expect(await readFile(file, 'utf8')).toBe('one\n');
    expect(await readdir(folder)).toEqual(['secret']);
  });
});
