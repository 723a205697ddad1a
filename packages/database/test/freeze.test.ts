// How a freeze serialises with the work in flight, step by step on real PostgreSQL: a reservation
// holding the wallet lock finishes first and its PENDING row is cancelled; a reservation that
// waited behind the freeze sees it (the volatile freeze_scope() re-read after the lock wait); a
// PENDING row the worker holds while sending is waited for and left SUBMITTED, never cancelled
// under the worker's feet; unfreezing revives nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  createPrismaClient,
  FreezeRepository,
  isRepositoryError,
  type PrismaClient,
  SpendRepository,
  type TransferRequest,
  WorkerRepository,
} from '../src/index.js';
import { fakeSign, newAddress, ownerWithWallet, setPolicy } from './support/fixtures.js';

let db: TestDatabase;
let prisma: PrismaClient;
/** A second client: another API process with its own pool. */
let other: PrismaClient;
let freezes: FreezeRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 6 });
  other = createPrismaClient({ url: db.url, poolSize: 4 });
  freezes = new FreezeRepository(prisma);
});

afterAll(async () => {
  await prisma.$disconnect();
  await other.$disconnect();
  await db.drop();
});

function request(walletId: string, agentId: string | null): TransferRequest {
  return {
    walletId,
    agentId,
    idempotencyKey: null,
    asset: null,
    amount: 1_000_000n,
    decimals: 9,
    destination: newAddress(),
    memo: null,
    fee: 5_000n,
    now: new Date(),
  };
}

/** Resolves once `n` statements of this database wait for a lock. */
async function lockWaiters(n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const rows = await other.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if ((rows[0]?.n ?? 0) >= n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`fewer than ${n} statements waiting for a lock`);
}

async function setupWallet() {
  const fixture = await ownerWithWallet(prisma);
  await setPolicy(prisma, fixture.wallet.id, { perTxLimit: '1', dailyLimit: '100' });
  return fixture;
}

describe('freeze against reservations in flight', () => {
  it('waits for the reservation holding the lock and cancels its row; the one that waited behind the freeze is refused', async () => {
    const { owner, agent, wallet } = await setupWallet();
    const actor = { type: 'OWNER' as const, id: owner.id };
    // R1 holds the wallet lock while it signs.
    let releaseSign!: () => void;
    const signing = new Promise<void>((resolve) => (releaseSign = resolve));
    let signed!: () => void;
    const inLock = new Promise<void>((resolve) => (signed = resolve));
    const r1 = new SpendRepository(prisma).reserveTransfer(
      request(wallet.id, agent.id),
      async () => {
        signed();
        await signing;
        return fakeSign();
      },
    );
    await inLock;
    // The freeze waits for R1's wallet lock; R2 (another process) then waits behind the freeze.
    const freeze = freezes.freeze({ scope: 'OWNER', ownerId: owner.id }, actor, new Date());
    await lockWaiters(1);
    const r2 = new SpendRepository(other)
      .reserveTransfer(request(wallet.id, agent.id), fakeSign)
      .then(
        () => null,
        (e: unknown) => e,
      );
    await lockWaiters(2);
    releaseSign();

    const first = await r1;
    expect(first.outcome).toBe('ALLOW');
    const result = await freeze;
    expect(result.cancelled.map((c) => [c.id, c.previousStatus])).toEqual([
      [first.transaction!.id, 'PENDING'],
    ]);
    const refused = await r2;
    expect(isRepositoryError(refused, 'FROZEN') && refused.context.scope).toBe('OWNER');

    const rows = await prisma.transaction.findMany({ where: { walletId: wallet.id } });
    expect(rows.map((r) => r.status)).toEqual(['CANCELLED']);
    // The cancelled transfer no longer counts against the limits.
    const buckets = await prisma.spendBucket.findMany({ where: { walletId: wallet.id } });
    expect(buckets.every((b) => b.txCount === 0 && b.amount.isZero())).toBe(true);

    // Unfreezing revives nothing, and the next reservation goes through.
    await freezes.unfreeze({ scope: 'OWNER', ownerId: owner.id }, actor, new Date());
    expect(
      (await prisma.transaction.findUniqueOrThrow({ where: { id: first.transaction!.id } })).status,
    ).toBe('CANCELLED');
    const after = await new SpendRepository(other).reserveTransfer(
      request(wallet.id, agent.id),
      fakeSign,
    );
    expect(after.outcome).toBe('ALLOW');
  });

  it('an agent freeze stops that agent on every wallet, not the owner’s other agents', async () => {
    const { owner, agent, wallet } = await setupWallet();
    const second = await prisma.agent.create({
      data: { ownerId: owner.id, name: 'second', apiKeyHash: newAddress() },
    });
    await prisma.walletAgent.create({ data: { walletId: wallet.id, agentId: second.id } });
    const target = { scope: 'AGENT' as const, ownerId: owner.id, agentId: agent.id };
    await freezes.freeze(target, { type: 'OWNER', id: owner.id }, new Date());
    const spend = new SpendRepository(prisma);
    const refused = await spend.reserveTransfer(request(wallet.id, agent.id), fakeSign).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isRepositoryError(refused, 'FROZEN') && refused.context.scope).toBe('AGENT');
    expect((await spend.reserveTransfer(request(wallet.id, second.id), fakeSign)).outcome).toBe(
      'ALLOW',
    );
    // Another owner's agent id is not found for this owner.
    const stranger = await ownerWithWallet(prisma);
    const notMine = await freezes
      .freeze(
        { ...target, agentId: stranger.agent.id },
        { type: 'OWNER', id: owner.id },
        new Date(),
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isRepositoryError(notMine, 'AGENT_NOT_FOUND')).toBe(true);
  });
});

describe('freeze against the worker', () => {
  // The worker claims across wallets: earlier tests' unsent rows are not this test's work.
  beforeEach(async () => {
    await prisma.transaction.deleteMany({ where: { status: { in: ['PENDING', 'SUBMITTED'] } } });
  });

  it('waits for a claimed PENDING row being sent and leaves it SUBMITTED; cancels the unclaimed one', async () => {
    const { owner, agent, wallet } = await setupWallet();
    const spend = new SpendRepository(prisma);
    const claimedRow = await spend.reserveTransfer(request(wallet.id, agent.id), fakeSign);
    const unclaimed = await spend.reserveTransfer(request(wallet.id, agent.id), fakeSign);
    const worker = new WorkerRepository(other);

    let freeze: Promise<Awaited<ReturnType<FreezeRepository['freeze']>>> | null = null;
    await worker.withClaimedPending({ limit: 1, retryAfterMs: 0 }, async (rows, unit) => {
      expect(rows.map((r) => [r.id, r.frozen])).toEqual([[claimedRow.transaction!.id, false]]);
      // The freeze starts while the worker holds the row (it is "sending").
      freeze = freezes.freeze(
        { scope: 'WALLET', ownerId: owner.id, walletId: wallet.id },
        {
          type: 'OWNER',
          id: owner.id,
        },
        new Date(),
      );
      await lockWaiters(1);
      await unit.markSubmitted(rows.map((r) => r.id));
    });
    const result = await freeze!;
    expect(result.cancelled.map((c) => c.id)).toEqual([unclaimed.transaction!.id]);
    const statuses = new Map(
      (await prisma.transaction.findMany({ where: { walletId: wallet.id } })).map((t) => [
        t.id,
        t.status,
      ]),
    );
    expect(statuses.get(claimedRow.transaction!.id)).toBe('SUBMITTED');
    expect(statuses.get(unclaimed.transaction!.id)).toBe('CANCELLED');

    // The worker sees the submitted one as frozen (no rebroadcast), and has nothing to send.
    const submitted = await worker.withClaimedSubmitted({ limit: 10, afterId: null }, (rows) =>
      Promise.resolve(rows.map((r) => [r.id, r.frozen])),
    );
    expect(submitted?.result).toEqual([[claimedRow.transaction!.id, true]]);
    expect(
      await worker.withClaimedPending({ limit: 10, retryAfterMs: 0 }, () => Promise.resolve(1)),
    ).toBeUndefined();
  });

  it('a PENDING row the worker finds frozen at claim is cancelled, never handed back to send', async () => {
    const { owner, agent, wallet } = await setupWallet();
    const stored = await new SpendRepository(prisma).reserveTransfer(
      request(wallet.id, agent.id),
      fakeSign,
    );
    // As if a freeze had committed without reaching this row (set directly).
    await prisma.owner.update({ where: { id: owner.id }, data: { frozenAt: new Date() } });
    const worker = new WorkerRepository(prisma);
    const moved = await worker.withClaimedPending(
      { limit: 10, retryAfterMs: 0 },
      async (rows, unit) => {
        expect(rows.map((r) => r.frozen)).toEqual([true]);
        return unit.markCancelled(rows.map((r) => r.id));
      },
    );
    expect(moved?.moved.map((m) => m.id)).toEqual([stored.transaction!.id]);
    const events = await prisma.event.findMany({
      where: { transactionId: stored.transaction!.id, type: 'transaction.cancelled' },
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toEqual(
      expect.objectContaining({ reason: 'FROZEN', status: 'CANCELLED' }),
    );
  });
});
