import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type SpendRepository, type PrismaClient } from '@waiaas/database';
import { createPrng, type LocalLedger } from '@waiaas/local-ledger';
import { type TestDatabase } from '@waiaas/testing';
import {
  allTerminal,
  balanceOf,
  createOwner,
  createWallet,
  newAddress,
  reserveSolTransfer,
  statusCounts,
  spawnWorker,
  testEnv,
  waitFor,
  openWorkerEnvironment,
  type WorkerEnvironment,
} from './helpers.js';

let db: TestDatabase;
let ledger: LocalLedger;
let prisma: PrismaClient;
let spend: SpendRepository;
const children = new Set<ChildProcess>();

let env: WorkerEnvironment;

// When each worker is killed comes from a seeded PRNG: a failing run is replayed with the seed
// it printed (`SEED=<n> pnpm --filter @waiaas/confirmation-worker test -- test/crash.test.ts`).
const SEED = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = createPrng(SEED);

beforeAll(async () => {
  // 150 blocks of 100 ms: a blockhash lives 15 s, longer than a worker process takes to start
  // on a loaded CI machine, so most transfers can still land after a restart (some may not).
  env = await openWorkerEnvironment({ poolSize: 6, ledger: { slotMs: 100, finalizationDepth: 8 } });
  ({ db, ledger, prisma, spend } = env);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await env.close();
});

/** Starts a worker process and resolves once it logged `worker_started`. */
async function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawnWorker({ ...env, LOG_LEVEL: 'info' }, ['ignore', 'pipe', 'pipe']);
  children.add(child);
  child.once('exit', () => children.delete(child));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('"msg":"worker_started"')) {
        child.stdout?.off('data', onData);
        if (process.env.CRASH_TEST_LOG_DIR)
          child.stdout?.pipe(
            createWriteStream(`${process.env.CRASH_TEST_LOG_DIR}/worker-${child.pid}.log`),
          );
        else child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited early (${code}): ${err}${out}`)));
  });
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crash safety', () => {
  it('survives SIGKILL at random moments during 220 transfers with faults: all terminal, nothing landed twice, balances exact', async () => {
    process.stdout.write(
      `crash: seed=${SEED} (replay: SEED=${SEED} pnpm --filter @waiaas/confirmation-worker test -- test/crash.test.ts)\n`,
    );
    const owner = await createOwner(prisma);
    const senders = await Promise.all([0, 1, 2, 3].map(() => createWallet(prisma, ledger, owner)));
    const recipients = await Promise.all([0, 1, 2].map(() => newAddress()));
    ledger.setFaults({
      dropRate: 0.3,
      errorRate: 0.05,
      methods: ['getSignatureStatuses', 'getBlockHeight', 'sendTransaction'],
      seed: SEED,
    });
    const env = testEnv(db.url, ledger.url, {
      BATCH_SIZE: '20',
      CONFIRM_BATCH_SIZE: '20',
      REBROADCAST_INTERVAL_MS: '200',
    });

    // Transfers keep arriving while the worker is killed again and again.
    let reserving = true;
    const reserved = (async () => {
      let n = 0;
      const total = 220;
      while (n < total) {
        const batch = Array.from({ length: Math.min(11, total - n) }, (_, j) => n + j);
        await Promise.all(
          batch.map((i) =>
            reserveSolTransfer(
              spend,
              ledger.url,
              senders[i % 4]!,
              recipients[i % 3]!,
              1_000_000n + BigInt(i),
            ),
          ),
        );
        n += batch.length;
        await sleep(300);
      }
      reserving = false;
    })();

    // The next process starts while the current one works (starting takes seconds); the current
    // one is SIGKILLed at a random moment, half the time once its successor runs beside it
    // (replicas taking over each other's locked rows), half the time before (no worker at all
    // for a while).
    let kills = 0;
    let current = await startWorker(env);
    while (reserving || kills < 6) {
      const next = startWorker(env);
      if (random() < 0.5) await next;
      await sleep(Math.floor(random() * 1_500));
      current.kill('SIGKILL');
      await exited(current);
      kills += 1;
      current = await next;
    }
    await reserved;

    // The last worker runs to the end, then must shut down gracefully on SIGTERM.
    const last = current;
    try {
      await waitFor(
        () => allTerminal(prisma),
        90_000,
        async () => JSON.stringify(await statusCounts(prisma)),
      );
    } finally {
      last.kill('SIGTERM');
    }
    expect(await exited(last)).toBe(0);
    ledger.setFaults({});

    const rows = await prisma.transaction.findMany();
    expect(rows).toHaveLength(220);
    const expected = new Map<string, bigint>();
    for (const row of rows) {
      expect(['CONFIRMED', 'FAILED']).toContain(row.status);
      // A transfer recorded as failed never moved money (its spend was released); a confirmed one moved it once.
      expect(ledger.landingCount(row.signature!)).toBe(row.status === 'CONFIRMED' ? 1 : 0);
      if (row.status === 'FAILED') expect(row.failureReason).toBe('EXPIRED');
      if (row.status === 'CONFIRMED')
        expected.set(
          row.destination,
          (expected.get(row.destination) ?? 0n) + BigInt(row.amount.toFixed(0)),
        );
    }
    for (const to of recipients)
      expect(await balanceOf(ledger.url, to)).toBe(expected.get(to) ?? 0n);
    expect([...expected.values()].length).toBeGreaterThan(0);

    // Whatever the kills interrupted, each transition was recorded exactly once, in order.
    const events = await prisma.event.findMany({
      orderBy: { id: 'asc' },
      where: { transactionId: { not: null } },
    });
    const byTx = new Map<string, string[]>();
    for (const e of events)
      byTx.set(e.transactionId!, [...(byTx.get(e.transactionId!) ?? []), e.type]);
    for (const row of rows) {
      const terminal = row.status === 'CONFIRMED' ? 'transaction.confirmed' : 'transaction.failed';
      expect(byTx.get(row.id)).toEqual(['transaction.created', 'transaction.submitted', terminal]);
    }
    expect(kills).toBeGreaterThanOrEqual(6);
    // Transfers that waited longer than their blockhash lived (no worker running) expired: never landed, spend released.
    const lags = rows
      .filter((r) => r.status === 'FAILED')
      .map((r) => (r.submittedAt?.getTime() ?? 0) - r.createdAt.getTime());
    console.log(
      `crash test: ${kills} SIGKILLs, ${JSON.stringify(await statusCounts(prisma))}` +
        (lags.length > 0
          ? `; expired ones were first sent ${Math.min(...lags)}-${Math.max(...lags)} ms after creation`
          : ''),
    );
  }, 300_000);
});
