import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  ApprovalExpiryRepository,
  createPrismaClient,
  isRepositoryError,
  type PrismaClient,
  SpendRepository,
  type TransferRequest,
} from '../src/index.js';
import { fakeSign, newAddress, ownerWithWallet, setPolicy } from './support/fixtures.js';

let db: TestDatabase;
let prisma: PrismaClient;
let spend: SpendRepository;
let approvals: ApprovalExpiryRepository;
const TTL_MS = 3_600_000;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 4 });
  spend = new SpendRepository(prisma, { approvalTtlMs: TTL_MS });
  approvals = new ApprovalExpiryRepository(prisma);
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const SOL = 1_000_000_000n;

/** The status a refused approval or rejection names (it must refuse). */
async function refusedStatus(attempt: Promise<unknown>): Promise<string> {
  const error = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  if (!isRepositoryError(error, 'TRANSACTION_NOT_AWAITING_APPROVAL'))
    throw new Error(`expected TRANSACTION_NOT_AWAITING_APPROVAL, got ${String(error)}`);
  return error.context.status;
}

function request(walletId: string, amount: bigint, now: Date): TransferRequest {
  return {
    walletId,
    agentId: null,
    idempotencyKey: null,
    asset: null,
    amount,
    decimals: 9,
    destination: newAddress(),
    memo: null,
    fee: 5_000n,
    now,
  };
}

/** A wallet with a webhook, 1 SOL a day, approval above 0.5 SOL, and one 0.8 SOL transfer waiting. */
async function waitingTransfer(now: Date) {
  const { owner, wallet } = await ownerWithWallet(prisma);
  await prisma.webhookEndpoint.create({
    data: { ownerId: owner.id, url: 'https://hooks.example.com/w', signingSecret: 's' },
  });
  await setPolicy(prisma, wallet.id, {
    perTxLimit: '1',
    dailyLimit: '1',
    requiresApproval: true,
    metadata: { approvalThreshold: '0.5' },
  });
  const result = await spend.reserveTransfer(request(wallet.id, (SOL * 8n) / 10n, now), fakeSign);
  expect(result.outcome).toBe('REQUIRE_APPROVAL');
  return { owner, wallet, transaction: result.transaction! };
}

describe('approval notifications and expiry', () => {
  it('a waiting transfer carries its expiry and notifies the owner with what it needs to decide', async () => {
    const now = new Date();
    const { wallet, transaction } = await waitingTransfer(now);
    expect(transaction.expiresAt).toEqual(new Date(now.getTime() + TTL_MS));
    const event = await prisma.event.findFirstOrThrow({
      where: { transactionId: transaction.id, type: 'transaction.awaiting_approval' },
      include: { deliveries: true },
    });
    expect(event.deliveries).toHaveLength(1);
    expect(event.payload).toEqual({
      status: 'AWAITING_APPROVAL',
      amount: '800000000',
      decimals: 9,
      asset: null,
      destination: transaction.destination,
      memo: null,
      networkFee: '5000',
      agentId: null,
      agentName: null,
      walletAddress: wallet.address,
      reasons: [
        { code: 'APPROVAL_REQUIRED', asset: null, threshold: '500000000', requested: '800000000' },
      ],
      createdAt: expect.any(String) as unknown,
      expiresAt: expect.any(String) as unknown,
    });
    expect(new Date((event.payload as { expiresAt: string }).expiresAt)).toEqual(
      transaction.expiresAt,
    );
  });

  it('expires only past expires_at, releases the budget at once, and approval then fails', async () => {
    const now = new Date();
    const { owner, wallet, transaction } = await waitingTransfer(now);
    const other = (amount: bigint, at: Date) =>
      spend.evaluateTransfer(request(wallet.id, amount, at));

    // 0.8 SOL is held: 0.3 more exceeds the 1 SOL day.
    expect((await other((SOL * 3n) / 10n, now)).outcome).toBe('DENY');

    const early = await approvals.expireDue(new Date(now.getTime() + TTL_MS - 1), 100);
    expect(early.expired.map((e) => e.id)).not.toContain(transaction.id);

    const due = new Date(now.getTime() + TTL_MS);
    const swept = await approvals.expireDue(due, 100);
    expect(swept.expired).toContainEqual({ id: transaction.id, walletId: wallet.id });
    expect(swept.deliveries).toBeGreaterThanOrEqual(1);
    const row = await prisma.transaction.findUniqueOrThrow({ where: { id: transaction.id } });
    expect(row.status).toBe('EXPIRED');
    expect(row.decidedAt).toEqual(due);
    expect(
      await prisma.event.count({
        where: { transactionId: transaction.id, type: 'transaction.expired' },
      }),
    ).toBe(1);

    // Released: the same 0.3 SOL now fits (judged at the original instant, inside the same day).
    expect((await other((SOL * 3n) / 10n, now)).outcome).toBe('ALLOW');
    const buckets = await prisma.spendBucket.findMany({ where: { walletId: wallet.id } });
    expect(buckets.every((b) => b.amount.isZero() && b.fees.isZero() && b.txCount === 0)).toBe(
      true,
    );

    // A second sweep finds nothing; approving answers the EXPIRED status.
    expect((await approvals.expireDue(due, 100)).expired).toEqual([]);
    const approval = spend.approveTransfer(
      { transactionId: transaction.id, ownerId: owner.id, now: due },
      fakeSign,
    );
    expect(await refusedStatus(approval)).toBe('EXPIRED');
  });

  it('refuses approval and rejection past the expiry even before the sweep ran', async () => {
    const now = new Date();
    const { owner, transaction } = await waitingTransfer(now);
    const late = new Date(now.getTime() + TTL_MS);
    for (const attempt of [
      () =>
        spend.approveTransfer(
          { transactionId: transaction.id, ownerId: owner.id, now: late },
          fakeSign,
        ),
      () => spend.rejectTransfer({ transactionId: transaction.id, ownerId: owner.id, now: late }),
    ]) {
      expect(await refusedStatus(attempt())).toBe('EXPIRED');
    }
    const row = await prisma.transaction.findUniqueOrThrow({ where: { id: transaction.id } });
    expect(row.status).toBe('AWAITING_APPROVAL');
    // One instant earlier the owner may still decide.
    const approved = await spend.approveTransfer(
      { transactionId: transaction.id, ownerId: owner.id, now: new Date(late.getTime() - 1) },
      fakeSign,
    );
    expect(approved.outcome).toBe('ALLOW');
  });

  it('two sweeps at once expire each row once', async () => {
    const now = new Date();
    const rows = await Promise.all([1, 2, 3, 4].map(() => waitingTransfer(now)));
    const due = new Date(now.getTime() + TTL_MS);
    const [a, b] = await Promise.all([
      approvals.expireDue(due, 100),
      approvals.expireDue(due, 100),
    ]);
    const ids = [...a.expired, ...b.expired].map((e) => e.id);
    for (const { transaction } of rows)
      expect(ids.filter((id) => id === transaction.id)).toHaveLength(1);
    for (const { transaction } of rows)
      expect(
        await prisma.event.count({
          where: { transactionId: transaction.id, type: 'transaction.expired' },
        }),
      ).toBe(1);
  });
});
