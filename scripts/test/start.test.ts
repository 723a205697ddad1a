/**
 * `pnpm start` from the outside, on the real stack (embedded PostgreSQL, local ledger, API,
 * worker, demo): what it prints when its output is redirected, that it restarts a crashed
 * child and keeps the others up, that repeated crashes stop it, and that a kill -9 of the
 * supervisor leaves no process behind.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSolanaRpc, address } from '@solana/kit';
import type { DemoCredentials } from '../lib/demo-setup.js';
import { MAX_CRASHES } from '../lib/supervisor.js';
import { alive, descendants, type RunFile, TestStack, waitFor } from './support/stack.js';

let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'waiaas-start-test-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Waits until `name` runs under a new pid and answers, then returns the new run.json. */
async function restarted(
  stack: TestStack,
  name: string,
  before: number,
  answers: () => Promise<true | undefined>,
): Promise<RunFile> {
  // The supervisor says "<name> ready again" once its own readiness check passed: wait for that
  // line too, rather than assume it is written by the time the child answers us.
  const readyLine = `${name} ready again`;
  const readyBefore = stack.output.split(readyLine).length;
  return waitFor(
    `${name} to be restarted`,
    async () => {
      const run = await stack.run();
      const pid = run.children[name];
      const said = stack.output.split(readyLine).length > readyBefore;
      return pid !== undefined && pid !== before && alive(pid) && said && (await answers())
        ? run
        : undefined;
    },
    60_000,
  );
}

describe('pnpm start, its output redirected', () => {
  let stack: TestStack;
  let run: RunFile;
  beforeAll(async () => {
    stack = new TestStack(home);
    run = await stack.start();
  }, 240_000);
  afterAll(async () => {
    await stack.kill();
  });

  it('names the files that hold the operator token and the demo keys, and prints neither', async () => {
    const token = (await readFile(join(home, 'admin-token'), 'utf8')).trim();
    const demo = JSON.parse(
      await readFile(join(home, 'demo-credentials.json'), 'utf8'),
    ) as DemoCredentials;
    expect(stack.output).toContain(`Operator token  in ${join(home, 'admin-token')} (mode 0600)`);
    expect(stack.output).toContain(
      `owner and agent keys are in ${join(home, 'demo-credentials.json')}`,
    );
    for (const secret of [token, demo.owner.apiKey, demo.agent.apiKey])
      expect(stack.output).not.toContain(secret);
  });

  it('says when each phase starts and when it is ready, with its duration, never silent for 2 s', () => {
    for (const phase of ['postgres', 'migrations', 'ledger', 'api', 'worker', 'demo']) {
      expect(stack.output).toMatch(new RegExp(`│ ${phase}: .+…`));
      expect(stack.output).toMatch(new RegExp(`│ ${phase} ready \\(\\d+\\.\\d s\\)`));
    }
    const untilReady = stack.lines.slice(
      0,
      stack.lines.findIndex((l) => l.text.includes('WAIaaS is running')) + 1,
    );
    const gaps = untilReady.slice(1).map((l, i) => l.at - untilReady[i]!.at);
    expect(Math.max(...gaps)).toBeLessThan(2_000);
  });

  it('restarts a crashed worker while the API stays up', async () => {
    const { api, worker } = run.children;
    process.kill(worker!, 'SIGKILL');
    run = await restarted(stack, 'worker', worker!, () =>
      TestStack.ok(`http://127.0.0.1:${stack.ports.metrics}/health`),
    );
    expect(run.children.api).toBe(api);
    expect(await TestStack.ok(`${run.apiUrl}/health/ready`)).toBe(true);
    expect(stack.output).toContain('worker exited unexpectedly (code null, signal SIGKILL)');
    expect(stack.output).toMatch(/worker ready again \(\d+\.\d s\)/);
  }, 90_000);

  it('restarts PostgreSQL when its server dies, and the API is ready again', async () => {
    const wrapper = run.children.postgres!;
    const server = [...(await descendants(wrapper))].find(([, cmd]) => / -D /.test(cmd));
    expect(server).toBeDefined();
    process.kill(server![0], 'SIGKILL');
    run = await restarted(stack, 'postgres', wrapper, () =>
      TestStack.ok(`${run.apiUrl}/health/ready`),
    );
    expect(stack.output).toMatch(/postgres exited unexpectedly \(code 1, signal null\)/);
  }, 90_000);

  it('restarts a crashed ledger empty and funds the demo wallet again', async () => {
    const demo = JSON.parse(
      await readFile(join(home, 'demo-credentials.json'), 'utf8'),
    ) as DemoCredentials;
    const ledger = run.children.ledger!;
    process.kill(ledger, 'SIGKILL');
    run = await restarted(stack, 'ledger', ledger, () => Promise.resolve(true as const));
    const rpc = createSolanaRpc(run.rpcUrl);
    const lamports = await waitFor(
      'the demo wallet to be funded again',
      async () => {
        const { value } = await rpc
          .getBalance(address(demo.wallet.address))
          .send()
          .catch(() => ({ value: 0n }));
        return value >= 2_000_000_000n ? value : undefined;
      },
      30_000,
    );
    expect(lamports).toBeGreaterThanOrEqual(2_000_000_000n);
    expect(stack.output).toContain('the local ledger restarted empty');
  }, 90_000);

  it('leaves no process behind within 5 s when the supervisor is killed with SIGKILL', async () => {
    const supervisor = stack.child!.pid!;
    const tree = await descendants(supervisor);
    // The API, the worker, the ledger, the PostgreSQL wrapper and PostgreSQL's own processes.
    expect(tree.size).toBeGreaterThanOrEqual(6);
    process.kill(supervisor, 'SIGKILL');
    const killedAt = performance.now();
    await waitFor(
      'every process of the stack to exit',
      () => Promise.resolve([...tree.keys()].some(alive) ? undefined : true),
      5_000,
    ).catch(() => {
      const left = [...tree].filter(([pid]) => alive(pid));
      throw new Error(
        `still running 5 s after kill -9:\n${left.map((p) => p.join(' ')).join('\n')}`,
      );
    });
    process.stdout.write(
      `kill -9 of the supervisor: all ${tree.size} processes gone in ${Math.round(performance.now() - killedAt)} ms\n`,
    );
  }, 30_000);
});

describe('pnpm start, a child that keeps crashing', () => {
  it(`stops the whole stack after ${MAX_CRASHES} crashes of one child within a minute`, async () => {
    // The same state folder, right after the kill -9 above: a start must cope with that too.
    const stack = new TestStack(home, { WAIAAS_SKIP_DEMO: '1' });
    try {
      let run = await stack.start();
      const tree = await descendants(stack.child!.pid!);
      for (let crash = 1; crash < MAX_CRASHES; crash++) {
        const ledger = run.children.ledger!;
        process.kill(ledger, 'SIGKILL');
        run = await restarted(stack, 'ledger', ledger, () => Promise.resolve(true as const));
      }
      process.kill(run.children.ledger!, 'SIGKILL');
      const { code } = await stack.exit!;
      expect(code).toBe(1);
      expect(stack.output).toContain(`ledger crashed ${MAX_CRASHES} times within 60 s`);
      expect(stack.output).toContain('stopped: every child process has exited');
      expect([...tree].filter(([pid]) => alive(pid))).toEqual([]);
    } finally {
      await stack.kill();
    }
  }, 300_000);
});
