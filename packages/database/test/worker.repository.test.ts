// The confirmation worker's claims and transitions on real PostgreSQL: what a claim hands back,
// what each transition writes (row, event, outbox), that claims by two processes never share
// a row, that a claim left waiting past its limit is rolled back and its rows are free again,
// and that the statements run prepared.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  type ClaimedTransaction,
  createPrismaClient,
  type PrismaClient,
  SpendRepository,
  sqlPool,
  WorkerRepository,
} from '../src/index.js';
import { fakeSign, newAddress, ownerWithWallet, setPolicy } from './support/fixtures.js';

let db: TestDatabase;
let prisma: PrismaClient;
/** A second client: another worker replica with its own pool. */
let other: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 4 });
  other = createPrismaClient({ url: db.url, poolSize: 4 });
});

afterAll(async () => {
  await prisma.$disconnect();
  await other.$disconnect();
  await db.drop();
});

// The worker claims across wallets: earlier tests' unsent rows are not this test's work.
beforeEach(async () => {
  await prisma.transaction.deleteMany({ where: { status: { in: ['PENDING', 'SUBMITTED'] } } });
});

/** `count` PENDING transfers of one wallet whose owner has one webhook endpoint. */
async function pendingTransfers(count: number) {
  const { owner, wallet } = await ownerWithWallet(prisma);
  await setPolicy(prisma, wallet.id, { perTxLimit: '1', dailyLimit: '100' });
  await prisma.webhookEndpoint.create({
    data: { ownerId: owner.id, url: 'https://hooks.example.com/w', signingSecret: 's' },
  });
  const spend = new SpendRepository(prisma);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const reserved = await spend.reserveTransfer(
      {
        walletId: wallet.id,
        agentId: null,
        idempotencyKey: null,
        asset: null,
        amount: 1_000_000n,
        decimals: 9,
        destination: newAddress(),
        memo: null,
        fee: 5_000n,
        now: new Date(),
      },
      fakeSign,
    );
    ids.push(reserved.transaction!.id);
  }
  return { owner, wallet, ids };
}

/** `ids` in the order SUBMITTED pages walk them. */
async function claimOrder(ids: readonly string[]): Promise<string[]> {
  const rows = await prisma.transaction.findMany({
    where: { id: { in: [...ids] } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

async function submitAll(worker: WorkerRepository): Promise<void> {
  await worker.withClaimedPending({ limit: 100, retryAfterMs: 0 }, (rows, unit) =>
    unit.markSubmitted(rows.map((r) => r.id)),
  );
}

async function eventsOf(transactionId: string) {
  return prisma.event.findMany({ where: { transactionId }, orderBy: { id: 'asc' } });
}

describe('WorkerRepository', () => {
  it('hands back each claimed row as stored: bigints, the exact signed bytes, dates', async () => {
    const { owner, wallet, ids } = await pendingTransfers(1);
    const stored = await prisma.transaction.findUniqueOrThrow({ where: { id: ids[0] } });
    const worker = new WorkerRepository(prisma);

    const claimed = await worker.withClaimedPending({ limit: 10, retryAfterMs: 0 }, (rows) =>
      Promise.resolve(rows),
    );
    expect(claimed).toHaveLength(1);
    const row: ClaimedTransaction = claimed![0]!;
    expect(row).toEqual({
      id: stored.id,
      status: 'PENDING',
      walletId: wallet.id,
      ownerId: owner.id,
      signature: stored.signature,
      wireTransaction: stored.wireTransaction,
      blockhash: stored.blockhash,
      lastValidBlockHeight: 1_000n,
      submitAttempts: 0,
      lastSubmittedAt: null,
      createdAt: stored.createdAt,
      networkFee: 5_000n,
      frozen: false,
    });
    // A plain Uint8Array, not pg's Buffer subclass.
    expect(Object.getPrototypeOf(row.wireTransaction)).toBe(Uint8Array.prototype);
  });

  it('PENDING → SUBMITTED counts the attempt and writes the event with its deliveries; a retry is held back', async () => {
    const { wallet, ids } = await pendingTransfers(2);
    const worker = new WorkerRepository(prisma);

    const result = await worker.withClaimedPending(
      { limit: 10, retryAfterMs: 0 },
      async (rows, unit) => {
        // Attempted but not accepted yet: counted, still PENDING.
        expect(await unit.recordAttempts([rows[0]!.id])).toBe(1);
        return unit.markSubmitted(rows.map((r) => r.id));
      },
    );
    expect(result?.moved.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(result?.moved.every((m) => m.walletAddress === wallet.address)).toBe(true);
    expect(result?.deliveries).toBe(2);

    const rows = await prisma.transaction.findMany({ where: { id: { in: ids } } });
    expect(rows.map((r) => r.status)).toEqual(['SUBMITTED', 'SUBMITTED']);
    expect(rows.map((r) => r.submitAttempts).sort()).toEqual([1, 2]);
    const event = (await eventsOf(ids[0]!)).find((e) => e.type === 'transaction.submitted');
    expect(event).toMatchObject({ actorType: 'SYSTEM' });
    expect(event!.payload).toMatchObject({ status: 'SUBMITTED', amount: '1000000' });
    expect(await prisma.webhookDelivery.count({ where: { eventId: event!.id } })).toBe(1);

    // Submitted rows are no longer PENDING; a moved row is not moved twice.
    expect(
      await worker.withClaimedPending({ limit: 10, retryAfterMs: 0 }, () => Promise.resolve(1)),
    ).toBeUndefined();
    const again = await worker.withClaimedSubmitted({ limit: 10, afterId: null }, (claimed, unit) =>
      unit.markSubmitted(claimed.map((r) => r.id)),
    );
    expect(again?.result).toEqual({ moved: [], deliveries: 0 });

    // Right after an attempt, a PENDING row waits `retryAfterMs` before it is claimed again.
    const { ids: later } = await pendingTransfers(1);
    await worker.withClaimedPending({ limit: 10, retryAfterMs: 0 }, (claimed, unit) =>
      unit.recordAttempts(claimed.map((r) => r.id)),
    );
    expect(
      await worker.withClaimedPending({ limit: 10, retryAfterMs: 60_000 }, () =>
        Promise.resolve(1),
      ),
    ).toBeUndefined();
    expect(
      await worker.withClaimedPending({ limit: 10, retryAfterMs: 0 }, (claimed) =>
        Promise.resolve(claimed.map((r) => r.id)),
      ),
    ).toEqual(later);
  });

  it('SUBMITTED → CONFIRMED and FAILED with slot, fee and the error text exactly as given', async () => {
    const { ids } = await pendingTransfers(3);
    const worker = new WorkerRepository(prisma);
    await submitAll(worker);
    const [confirmed, unknownFee, failed] = [...ids].sort();
    // Characters an array parameter has to escape.
    const errorMsg =
      '{"err":{"InstructionError":[0,"Custom"]},"logs":["a, b","c\\\\d \\"e\\"","NULL"]}';

    const page = await worker.withClaimedSubmitted(
      { limit: 10, afterId: null },
      async (rows, unit) => {
        expect(rows.map((r) => r.status)).toEqual(['SUBMITTED', 'SUBMITTED', 'SUBMITTED']);
        const done = await unit.markConfirmed([
          { id: confirmed!, slot: 9_007_199_254_740_993n, fee: 5_000n },
          { id: unknownFee!, slot: 12n, fee: null },
        ]);
        const gone = await unit.markFailed([
          { id: failed!, reason: 'ON_CHAIN_ERROR', errorMsg, slot: 13n, fee: 5_000n },
        ]);
        return { done, gone };
      },
    );
    expect(page?.count).toBe(3);
    expect(page?.lastId).toBe((await claimOrder(ids)).at(-1));
    expect(page?.result.done.moved.map((m) => m.id).sort()).toEqual([confirmed, unknownFee]);
    expect(page?.result.done.deliveries).toBe(2);
    expect(page?.result.gone.moved.map((m) => m.id)).toEqual([failed]);

    const byId = new Map(
      (await prisma.transaction.findMany({ where: { id: { in: ids } } })).map((t) => [t.id, t]),
    );
    expect(byId.get(confirmed!)).toMatchObject({
      status: 'CONFIRMED',
      slot: 9_007_199_254_740_993n,
    });
    expect(byId.get(confirmed!)!.fee?.toString()).toBe('5000');
    expect(byId.get(unknownFee!)).toMatchObject({ status: 'CONFIRMED', slot: 12n, fee: null });
    expect(byId.get(failed!)).toMatchObject({
      status: 'FAILED',
      failureReason: 'ON_CHAIN_ERROR',
      errorMsg,
      slot: 13n,
    });
    const confirmedEvent = (await eventsOf(confirmed!)).at(-1)!;
    expect(confirmedEvent.type).toBe('transaction.confirmed');
    expect(confirmedEvent.payload).toMatchObject({ slot: '9007199254740993', fee: '5000' });
    const failedEvent = (await eventsOf(failed!)).at(-1)!;
    expect(failedEvent.type).toBe('transaction.failed');
    expect(failedEvent.payload).toMatchObject({ failureReason: 'ON_CHAIN_ERROR', error: errorMsg });

    // CONFIRMED and FAILED are final: nothing moves them back.
    const left = await worker.withClaimedSubmitted({ limit: 10, afterId: null }, () =>
      Promise.resolve(1),
    );
    expect(left).toBeUndefined();
  });

  it('walks SUBMITTED rows in (created_at, id) pages', async () => {
    const { ids } = await pendingTransfers(5);
    const worker = new WorkerRepository(prisma);
    await submitAll(worker);
    const seen: string[] = [];
    let afterId: string | null = null;
    for (;;) {
      const page: { lastId: string; count: number; result: void } | undefined =
        await worker.withClaimedSubmitted({ limit: 2, afterId }, (rows) => {
          seen.push(...rows.map((r) => r.id));
          return Promise.resolve();
        });
      if (page === undefined) break;
      afterId = page.lastId;
    }
    expect(seen).toEqual(await claimOrder(ids));
  });

  it('two replicas never claim the same row', async () => {
    const { ids } = await pendingTransfers(3);
    const one = new WorkerRepository(prisma);
    const two = new WorkerRepository(other);
    const [first, ...rest] = [...ids];

    const seenByTwo = await one.withClaimedPending({ limit: 1, retryAfterMs: 0 }, async (held) => {
      expect(held.map((r) => r.id)).toEqual([first]);
      return two.withClaimedPending({ limit: 10, retryAfterMs: 0 }, (rows) =>
        Promise.resolve(rows.map((r) => r.id)),
      );
    });
    expect(seenByTwo?.sort()).toEqual(rest.sort());
  });

  it('rolls back a claim left waiting past its limit: the rows are unchanged and free again', async () => {
    const { ids } = await pendingTransfers(1);
    const eventsBefore = (await eventsOf(ids[0]!)).length;
    const worker = new WorkerRepository(prisma, { transactionTimeoutMs: 50 });

    const stuck = worker.withClaimedPending({ limit: 10, retryAfterMs: 0 }, async (rows, unit) => {
      await noClaimOpen();
      return unit.markSubmitted(rows.map((r) => r.id));
    });
    await expect(stuck).rejects.toThrow(/idle-in-transaction timeout/);

    const row = await prisma.transaction.findUniqueOrThrow({ where: { id: ids[0] } });
    expect(row).toMatchObject({ status: 'PENDING', submitAttempts: 0 });
    expect(await eventsOf(ids[0]!)).toHaveLength(eventsBefore);
    const again = await new WorkerRepository(prisma).withClaimedPending(
      { limit: 10, retryAfterMs: 0 },
      (rows) => Promise.resolve(rows.map((r) => r.id)),
    );
    expect(again).toEqual(ids);
  });

  it('runs the claims and transitions as prepared statements', async () => {
    await pendingTransfers(3);
    // One connection, so the statements and the look at pg_prepared_statements share a session.
    const single = createPrismaClient({ url: db.url, poolSize: 1 });
    try {
      const worker = new WorkerRepository(single);
      await worker.withClaimedPending({ limit: 10, retryAfterMs: 0 }, async (rows, unit) => {
        const [a, b, c] = rows.map((r) => r.id);
        await unit.recordAttempts([a!]);
        await unit.markCancelled([b!]);
        return unit.markSubmitted([a!, c!]);
      });
      // Two SUBMITTED rows: the first page confirms one, the page after it fails the other.
      const first = await worker.withClaimedSubmitted({ limit: 1, afterId: null }, (rows, unit) =>
        unit.markConfirmed(rows.map((r) => ({ id: r.id, slot: 1n, fee: 5_000n }))),
      );
      const second = await worker.withClaimedSubmitted(
        { limit: 1, afterId: first!.lastId },
        (rows, unit) =>
          unit.markFailed(rows.map((r) => ({ id: r.id, reason: 'EXPIRED', errorMsg: '{}' }))),
      );
      expect([first?.result.moved.length, second?.result.moved.length]).toEqual([1, 1]);

      const prepared = await single.$queryRaw<{ statement: string }[]>`
        SELECT statement FROM pg_prepared_statements ORDER BY prepare_time`;
      const count = (fragment: string) =>
        prepared.filter((p) => p.statement.includes(fragment)).length;
      // The PENDING claim and the SUBMITTED claim with and without `afterId`.
      expect(count('SKIP LOCKED')).toBe(3);
      // submitted, cancelled, confirmed, failed.
      expect(count('INSERT INTO webhook_deliveries')).toBe(4);
      expect(count('submit_attempts = submit_attempts + 1')).toBe(1);
    } finally {
      await single.$disconnect();
    }
  });

  it('claims the oldest of a backlog without sorting the signed bytes, even when the planner sorts', async () => {
    // 12,000 PENDING rows with 600-byte transactions, stored directly (a backlog: the worker
    // was down). A planner working from statistics older than the backlog sorts the candidates
    // instead of walking the (status, created_at) index; disabling index scans forces that
    // plan here. The claim must still hand back the 100 oldest, without a sort big enough to
    // spill to disk (the signed bytes of every candidate are 7 MB; work_mem is 4 MB).
    const { wallet } = await ownerWithWallet(prisma);
    // Storing the backlog runs the spend trigger 12,000 times; on a loaded CI host that takes
    // longer than the service's 5 s statement timeout, so the set-up has its own client.
    const setup = createPrismaClient({ url: db.url, poolSize: 1, statementTimeoutMs: 60_000 });
    try {
      await setup.$executeRaw`
      INSERT INTO transactions (id, wallet_id, amount, network_fee, decimals, destination, status,
                                policy_outcome, policy_decision, created_at, updated_at, signature,
                                wire_transaction, blockhash, last_valid_block_height)
      SELECT gen_random_uuid(), ${wallet.id}::uuid, 1000, 5000, 9, 'backlog', 'PENDING', 'ALLOW', '{}',
             now() - g * interval '1 ms', now(), 'backlog-' || g, decode(repeat('ab', 600), 'hex'), 'bh', 100
      FROM generate_series(1, 12000) AS g`;
    } finally {
      await setup.$disconnect();
    }
    const url = new URL(db.url);
    url.searchParams.set('options', '-c enable_indexscan=off -c work_mem=4MB');
    const sorting = createPrismaClient({ url: url.toString(), poolSize: 1 });
    try {
      const tempFiles = async () => {
        // Statistics are sent when a session goes idle; this makes the count exact.
        await sqlPool(sorting).query('SELECT pg_stat_force_next_flush()');
        const rows = await sqlPool(sorting).query<{ n: string }>(
          'SELECT temp_files::text AS n FROM pg_stat_database WHERE datname = current_database()',
        );
        return Number(rows[0]!.n);
      };
      const before = await tempFiles();
      const claimed = await new WorkerRepository(sorting).withClaimedPending(
        { limit: 100, retryAfterMs: 0 },
        (rows) => Promise.resolve(rows.map((r) => r.signature)),
      );
      expect(claimed).toEqual(Array.from({ length: 100 }, (_, i) => `backlog-${12000 - i}`));
      expect((await tempFiles()) - before).toBe(0);
    } finally {
      await sorting.$disconnect();
    }
  });
});

/** Resolves once the database has no transaction sitting idle (the claim's was ended). */
async function noClaimOpen(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const rows = await other.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND state LIKE 'idle in transaction%'`;
    if (rows[0]?.n === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the claim is still open');
}
