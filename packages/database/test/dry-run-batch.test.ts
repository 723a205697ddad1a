// Dry runs that arrive while the database is busy are answered by one statement together
// (see busy-batch.ts and EVALUATE_BATCH_SQL). Each must get exactly the answer it gets alone.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import { busyBatch } from '../src/busy-batch.js';
import {
  createPrismaClient,
  type PrismaClient,
  SpendRepository,
  type TransferRequest,
} from '../src/index.js';
import {
  agentKeyWithCap,
  LAMPORTS_PER_SOL,
  ownerWithWallet,
  pastTransfers,
  setPolicy,
  smallTransfer,
} from './support/fixtures.js';

let db: TestDatabase;
let admin: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  admin = createPrismaClient({ url: db.url, poolSize: 2 });
});

afterAll(async () => {
  await admin.$disconnect();
  await db.drop();
});

/** A client whose autocommit pool has one connection, and every round trip it makes. */
function countingClient() {
  const statements: string[] = [];
  const prisma = createPrismaClient({
    url: db.url,
    poolSize: 1,
    slowQueryMs: 0,
    onSlowQuery: (e) => statements.push(e.query),
  });
  return { prisma, statements };
}

/** What a promise settled to: the value, or the error's code (or message). */
async function outcome<T>(promise: Promise<T>): Promise<T | { error: string }> {
  try {
    return await promise;
  } catch (e) {
    const error = e as { code?: string; message: string };
    return { error: error.code ?? error.message };
  }
}

/**
 * Requests over wallets in different states: near a rolling day's limit, a UTC day, an hourly
 * count, a capped agent key, no policy, frozen, and no such wallet.
 */
async function mixedRequests(): Promise<TransferRequest[]> {
  const now = new Date();
  const requests: TransferRequest[] = [];
  const rolling = await ownerWithWallet(admin);
  await setPolicy(admin, rolling.wallet.id, { perTxLimit: '1', dailyLimit: '0.00001' });
  await pastTransfers(admin, rolling.wallet.id, { count: 1 }); // 1,000 + 5,000 of 10,000
  // 500 a day for the key: its 1,000 is refused.
  const key = await agentKeyWithCap(admin, rolling.agent.id, 500n);
  for (const amount of [1_000n, 3_000n, 4_000n, 5_000n])
    requests.push(smallTransfer(rolling.wallet.id, rolling.agent.id, { amount, now }));
  requests.push(
    smallTransfer(rolling.wallet.id, rolling.agent.id, { amount: 1_000n, now, agentKeyId: key }),
  );
  const utcDay = await ownerWithWallet(admin);
  await setPolicy(admin, utcDay.wallet.id, {
    perTxLimit: '1',
    dailyLimit: '2',
    metadata: { dailyWindow: 'UTC_DAY', maxTxPerHour: 4 },
  });
  await pastTransfers(admin, utcDay.wallet.id, { count: 3, everySeconds: 60 });
  requests.push(smallTransfer(utcDay.wallet.id, utcDay.agent.id, { now }));
  requests.push(
    smallTransfer(utcDay.wallet.id, utcDay.agent.id, { amount: 2n * LAMPORTS_PER_SOL, now }),
  );
  const noPolicy = await ownerWithWallet(admin);
  requests.push(smallTransfer(noPolicy.wallet.id, noPolicy.agent.id, { now }));
  const frozen = await ownerWithWallet(admin);
  await setPolicy(admin, frozen.wallet.id, { perTxLimit: '1', dailyLimit: '1' });
  await admin.wallet.update({ where: { id: frozen.wallet.id }, data: { frozenAt: now } });
  requests.push(smallTransfer(frozen.wallet.id, frozen.agent.id, { now }));
  requests.push(smallTransfer('00000000-0000-4000-8000-000000000000', rolling.agent.id, { now }));
  return requests;
}

describe('dry runs made together', () => {
  it('are answered by one statement, each as it is answered alone', async () => {
    const requests = await mixedRequests();
    const { prisma, statements } = countingClient();
    try {
      const spend = new SpendRepository(prisma);
      const alone = [];
      for (const request of requests) alone.push(await outcome(spend.evaluateTransfer(request)));
      expect(statements).toHaveLength(requests.length);
      // The states above give every kind of answer.
      expect(alone.map((a) => ('error' in a ? a.error : a.outcome))).toEqual([
        'ALLOW',
        'ALLOW',
        'ALLOW',
        'DENY',
        'DENY',
        'ALLOW',
        'DENY',
        'DENY',
        'FROZEN',
        'WALLET_NOT_FOUND',
      ]);

      statements.length = 0;
      const together = await Promise.all(
        requests.map((request) => outcome(spend.evaluateTransfer(request))),
      );
      expect(together).toEqual(alone);
      expect(statements).toEqual([expect.stringContaining('WITH ORDINALITY')]);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('gather while the connection is busy, and one request that fails does not fail the others', async () => {
    const requests = await mixedRequests();
    const { prisma, statements } = countingClient();
    try {
      const spend = new SpendRepository(prisma);
      const alone = await Promise.all(
        requests.map(async (request) => outcome(spend.evaluateTransfer(request))),
      );
      statements.length = 0;
      // One arrives first and takes the one connection; the others, a tick later, wait together.
      const bad = smallTransfer('not-a-uuid', requests[0]!.agentId!, { now: requests[0]!.now });
      const first = outcome(spend.evaluateTransfer(requests[0]!));
      await new Promise((resolve) => setImmediate(resolve));
      const rest = await Promise.all(
        [...requests.slice(1), bad].map((request) => outcome(spend.evaluateTransfer(request))),
      );
      expect([await first, ...rest.slice(0, -1)]).toEqual(alone);
      // invalid_text_representation: not a uuid
      expect(rest.at(-1)).toEqual({ error: '22P02' });
      // The first alone; the rest as one statement, which the bad request failed; then each alone.
      expect(statements[0]).not.toContain('WITH ORDINALITY');
      expect(statements[1]).toContain('WITH ORDINALITY');
      expect(statements).toHaveLength(2 + requests.length);
    } finally {
      await prisma.$disconnect();
    }
  });
  it('fail together, without running each again, when the database times the statement out', async () => {
    const requests = await mixedRequests();
    const statements: string[] = [];
    const prisma = createPrismaClient({
      url: db.url,
      poolSize: 1,
      statementTimeoutMs: 300,
      slowQueryMs: 0,
      onSlowQuery: (e) => statements.push(e.query),
    });
    try {
      const spend = new SpendRepository(prisma);
      // Another session holds the buckets: every dry run waits until its statement times out.
      const failed = await admin.$transaction(async (tx) => {
        await tx.$executeRaw`LOCK TABLE spend_buckets IN ACCESS EXCLUSIVE MODE`;
        const first = outcome(spend.evaluateTransfer(requests[0]!));
        await new Promise((resolve) => setImmediate(resolve));
        const rest = requests.slice(1).map((request) => outcome(spend.evaluateTransfer(request)));
        return Promise.all([first, ...rest]);
      });
      // query_canceled (statement_timeout): each request is told the database did not answer.
      expect(failed).toEqual(requests.map(() => ({ error: '57014' })));
      // The first alone, the rest as one statement; none of them run again one by one.
      expect(statements).toHaveLength(2);
      expect(statements[1]).toContain('WITH ORDINALITY');
      // Answered again once the buckets are free.
      expect((await spend.evaluateTransfer(requests[0]!)).outcome).toBe('ALLOW');
    } finally {
      await prisma.$disconnect();
    }
  });
});

describe('busyBatch', () => {
  it('runs a call at once while a slot is free, and gathers the calls that arrive while none is', async () => {
    const batches: string[][] = [];
    const releases: (() => void)[] = [];
    const loader = busyBatch(
      (keys: readonly string[]) => {
        batches.push([...keys]);
        return new Promise<string[]>((resolve) =>
          releases.push(() => resolve(keys.map((k) => k.toUpperCase()))),
        );
      },
      { slots: 1, maxBatchSize: 3 },
    );
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    const a = loader.load('a');
    await tick();
    expect(batches).toEqual([['a']]);
    // While 'a' holds the one slot: four arrive, in two batches of at most three.
    const rest = ['b', 'c', 'd', 'e'].map((k) => loader.load(k));
    await tick();
    expect(batches).toEqual([['a']]);
    releases.shift()!();
    await tick();
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
    releases.shift()!();
    await tick();
    expect(batches).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
    releases.shift()!();
    expect(await Promise.all([a, ...rest])).toEqual(['A', 'B', 'C', 'D', 'E']);
  });
});
