import { afterEach, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { Loop, wakeOne } from './loop.js';

const logger = pino({ level: 'silent' });
const running: Loop[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((l) => l.stop()));
});

/** A loop that counts its ticks; `hold` keeps its next tick running until released. */
function countingLoop(name: string) {
  const state = { ticks: 0, release: undefined as (() => void) | undefined };
  const loop = new Loop(
    name,
    60_000, // never woken by its interval within a test
    async () => {
      state.ticks += 1;
      if (state.release === undefined) return false;
      await new Promise<void>((resolve) => (state.release = resolve));
      return false;
    },
    logger,
  );
  const hold = () => (state.release = () => undefined);
  /** Ends the held tick; later ticks do not hold. */
  const release = () => {
    const end = state.release;
    state.release = undefined;
    end?.();
  };
  running.push(loop);
  return { loop, state, hold, release };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('wakeOne', () => {
  it('runs exactly one waiting loop per call, not every loop', async () => {
    const loops = [countingLoop('a'), countingLoop('b'), countingLoop('c')];
    for (const l of loops) l.loop.start();
    await until(() => loops.every((l) => l.loop.waiting));
    const ticks = () => loops.reduce((n, l) => n + l.state.ticks, 0);
    expect(ticks()).toBe(3); // each loop's first tick at start

    wakeOne(loops.map((l) => l.loop));
    await until(() => ticks() === 4 && loops.every((l) => l.loop.waiting));
    wakeOne(loops.map((l) => l.loop));
    await until(() => ticks() === 5 && loops.every((l) => l.loop.waiting));
    await new Promise((r) => setTimeout(r, 20));
    expect(ticks()).toBe(5);
  });

  it('passes over a loop in a tick, and over `except`; with none waiting, queues a tick on the first', async () => {
    const a = countingLoop('a');
    const b = countingLoop('b');
    const loops = [a.loop, b.loop];
    a.hold();
    a.loop.start();
    b.loop.start();
    await until(() => a.state.ticks === 1 && b.loop.waiting);
    expect(a.loop.waiting).toBe(false); // in its first tick

    wakeOne(loops); // a is busy: b runs
    await until(() => b.state.ticks === 2 && b.loop.waiting);
    expect(a.state.ticks).toBe(1);

    wakeOne(loops, b.loop); // b excluded and a busy: nobody
    await new Promise((r) => setTimeout(r, 20));
    expect([a.state.ticks, b.state.ticks]).toEqual([1, 2]);

    b.hold();
    wakeOne(loops); // b runs and holds: now nobody waits
    await until(() => b.state.ticks === 3);
    wakeOne(loops); // queued on the first: a ticks again once its tick ends
    a.release();
    await until(() => a.state.ticks === 2 && a.loop.waiting);
    b.release();
    await until(() => b.loop.waiting);
    expect([a.state.ticks, b.state.ticks]).toEqual([2, 3]);
  });
});
