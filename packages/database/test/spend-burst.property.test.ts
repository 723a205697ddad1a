// No overspend under concurrency with every way a transfer can wait: random bursts of parallel
// reservations (through two agent keys with daily caps spanning two wallets, and without a
// key), approvals, rejections, approval-expiry sweeps, owner cancels of DELAYED transfers and
// two releasers racing for each due DELAYED transfer, with the clock moving between bursts.
// After every burst the limits are recomputed from the transactions themselves: no wallet's
// rolling 24 h SOL spend above its daily limit, no counting transfer above the per-transaction
// limit, no key's 24 h spend above its cap, and no DELAYED transfer released (signed) twice.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import fc from 'fast-check';
import {
  ApprovalExpiryRepository,
  createPrismaClient,
  isRepositoryError,
  type PrismaClient,
  SpendRepository,
  type TransactionModel,
} from '../src/index.js';
import { fakeSign, newAddress, ownerWithWallet, setPolicy } from './support/fixtures.js';

let db: TestDatabase;
let prisma: PrismaClient;
let spend: SpendRepository;
let approvals: ApprovalExpiryRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({
    url: db.url,
    poolSize: 12,
    connectionTimeoutMs: 60_000,
    statementTimeoutMs: 60_000,
  });
  spend = new SpendRepository(prisma, {
    maxWaitMs: 60_000,
    transactionTimeoutMs: 60_000,
    approvalTtlMs: 3_600_000,
  });
  approvals = new ApprovalExpiryRepository(prisma);
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const SOL = 1_000_000_000n;
const PER_TX = SOL;
const DAILY = 2n * SOL;
const DELAY_MS = 600_000;
const POLICY = {
  perTxLimit: '1',
  dailyLimit: '2',
  requiresApproval: true,
  metadata: { approvalThreshold: '0.6', delayThreshold: '0.3', delaySeconds: DELAY_MS / 1000 },
};
/** Key caps in lamports (rolling 24 h, amounts + fees, across both wallets). */
const CAPS = [1_500_000_000n, 800_000_000n];
const COUNTS = (s: string) => !['FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED'].includes(s);

type Op =
  | { kind: 'create'; wallet: number; key: number; amount: bigint; fee: bigint }
  | { kind: 'approve' | 'reject' | 'cancel'; pick: number }
  | { kind: 'sweep' }
  | { kind: 'release' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      wallet: fc.integer({ min: 0, max: 1 }),
      // 0, 1: the capped keys; 2: no key (bound by the wallets only).
      key: fc.integer({ min: 0, max: 2 }),
      amount: fc.oneof(
        fc.bigInt({ min: 1n, max: 300_000_000n }),
        fc.bigInt({ min: 300_000_001n, max: 1_000_000_000n }),
      ),
      fee: fc.constantFrom(0n, 5_000n),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom('approve' as const, 'reject' as const, 'cancel' as const),
      pick: fc.nat(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'sweep' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'release' as const }) },
);

/** Moves between bursts: seconds, past a delay, past an approval's expiry, past a day. */
const slide = fc.oneof(
  fc.integer({ min: 0, max: 60_000 }),
  fc.constantFrom(DELAY_MS, DELAY_MS + 1, 3_600_000, 86_400_000),
  fc.integer({ min: 0, max: 2 * 3_600_000 }),
);

/** Refusals a racing decision may legitimately meet (another op took the row first). */
function raced(e: unknown): boolean {
  return (
    isRepositoryError(e, 'TRANSACTION_NOT_AWAITING_APPROVAL') ||
    isRepositoryError(e, 'TRANSACTION_NOT_DELAYED')
  );
}

function pickOf(rows: TransactionModel[], status: string, pick: number) {
  const candidates = rows.filter((r) => r.status === status);
  return candidates.length === 0 ? null : candidates[pick % candidates.length]!;
}

const cost = (r: TransactionModel): bigint =>
  (r.asset === null ? BigInt(r.amount.toFixed(0)) : 0n) + BigInt(r.networkFee.toFixed(0));

describe('spend under concurrent bursts with delays, approvals and key caps', () => {
  it('never overspends a wallet limit or a key cap, and releases each delayed transfer once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(slide, fc.array(op, { minLength: 1, maxLength: 12 })), {
          minLength: 2,
          maxLength: 6,
        }),
        async (bursts) => {
          const first = await ownerWithWallet(prisma);
          const { owner, agent } = first;
          const second = await prisma.wallet.create({
            data: { ownerId: owner.id, address: newAddress(), custody: 'LOCAL' },
          });
          await prisma.walletAgent.create({ data: { walletId: second.id, agentId: agent.id } });
          const walletIds = [first.wallet.id, second.id];
          for (const id of walletIds) await setPolicy(prisma, id, POLICY);
          const keyIds: string[] = [];
          for (const cap of CAPS) {
            const key = await prisma.agentKey.create({
              data: {
                agentId: agent.id,
                name: 'capped',
                keyHash: randomBytes(32).toString('hex'),
                scopes: ['transfer'],
                walletIds: [],
                dailyCap: cap.toString(),
              },
            });
            keyIds.push(key.id);
          }
          let now = new Date(Date.UTC(2026, 11, 1, 9, 0, 0, 0) + 777);
          const releasedTwice: string[] = [];

          for (const [ms, ops] of bursts) {
            now = new Date(now.getTime() + ms);
            const at = now;
            const rows = await prisma.transaction.findMany({
              where: { walletId: { in: walletIds } },
            });
            await Promise.all(
              ops.map(async (o) => {
                try {
                  if (o.kind === 'create') {
                    await spend.reserveTransfer(
                      {
                        walletId: walletIds[o.wallet]!,
                        agentId: agent.id,
                        agentKeyId: keyIds[o.key] ?? null,
                        idempotencyKey: null,
                        asset: null,
                        amount: o.amount,
                        decimals: 9,
                        destination: newAddress(),
                        memo: null,
                        fee: o.fee,
                        now: at,
                      },
                      fakeSign,
                    );
                  } else if (o.kind === 'approve' || o.kind === 'reject') {
                    const row = pickOf(rows, 'AWAITING_APPROVAL', o.pick);
                    if (row === null) return;
                    const input = { transactionId: row.id, ownerId: owner.id, now: at };
                    if (o.kind === 'approve') await spend.approveTransfer(input, fakeSign);
                    else await spend.rejectTransfer(input);
                  } else if (o.kind === 'cancel') {
                    const row = pickOf(rows, 'DELAYED', o.pick);
                    if (row === null) return;
                    await spend.cancelDelayedTransfer({
                      transactionId: row.id,
                      ownerId: owner.id,
                      now: at,
                    });
                  } else if (o.kind === 'sweep') {
                    await approvals.expireDue(at, 100);
                  } else {
                    // Two releasers race for every due transfer: at most one may release it.
                    const due = await spend.listDueDelayed(at, 100);
                    await Promise.all(
                      due.map(async (row) => {
                        const outcomes = await Promise.all([
                          spend.releaseDelayed({ transactionId: row.id, now: at }, fakeSign),
                          spend.releaseDelayed({ transactionId: row.id, now: at }, fakeSign),
                        ]);
                        if (outcomes.filter((r) => r.outcome !== 'SKIPPED').length > 1)
                          releasedTwice.push(row.id);
                      }),
                    );
                  }
                } catch (e) {
                  if (!raced(e)) throw e;
                }
              }),
            );

            // Recomputed from the transactions at the end of the burst.
            const after = await prisma.transaction.findMany({
              where: { walletId: { in: walletIds } },
            });
            const dayStart = new Date(now.getTime() - 86_400_000);
            const counting = after.filter((r) => COUNTS(r.status) && r.createdAt >= dayStart);
            for (const id of walletIds) {
              const spent = counting
                .filter((r) => r.walletId === id)
                .reduce((s, r) => s + cost(r), 0n);
              expect(spent).toBeLessThanOrEqual(DAILY);
            }
            for (const r of after.filter((x) => COUNTS(x.status)))
              expect(cost(r)).toBeLessThanOrEqual(PER_TX);
            for (const [i, keyId] of keyIds.entries()) {
              const spent = counting
                .filter((r) => r.agentKeyId === keyId)
                .reduce((s, r) => s + cost(r), 0n);
              expect(spent).toBeLessThanOrEqual(CAPS[i]!);
            }
            for (const r of after) {
              // Signed only once it may go; a waiting or cancelled transfer never is.
              const signed = r.wireTransaction !== null;
              expect(signed).toBe(['PENDING', 'SUBMITTED', 'CONFIRMED'].includes(r.status));
              if (r.status === 'DELAYED') expect(r.dueAt).not.toBeNull();
            }
            expect(releasedTwice).toEqual([]);
          }
          const released = await prisma.event.groupBy({
            by: ['transactionId'],
            where: { type: 'transaction.released', walletId: { in: walletIds } },
            _count: { _all: true },
          });
          for (const r of released) expect(r._count._all).toBe(1);
          // The buckets still equal the transactions, grouped (CANCELLED and DELAYED included).
          for (const walletId of walletIds) {
            const [buckets, exact] = await Promise.all([
              prisma.$queryRaw<{ k: string }[]>`
                SELECT width || '|' || asset || '|' || bucket_start::text || '|' || amount::text || '|' || fees::text || '|' || tx_count AS k
                FROM spend_buckets WHERE wallet_id = ${walletId}::uuid AND tx_count > 0 ORDER BY 1`,
              prisma.$queryRaw<{ k: string }[]>`
                SELECT w.width || '|' || COALESCE(asset, '') || '|' ||
                       (CASE w.width WHEN 3600 THEN date_trunc('hour', created_at, 'UTC')
                                     ELSE date_trunc('minute', created_at, 'UTC') END)::text || '|' ||
                       SUM(amount)::text || '|' || SUM(network_fee)::text || '|' || COUNT(*) AS k
                FROM transactions CROSS JOIN (VALUES (3600), (60)) AS w(width)
                WHERE wallet_id = ${walletId}::uuid
                  AND status NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')
                GROUP BY w.width, asset,
                         CASE w.width WHEN 3600 THEN date_trunc('hour', created_at, 'UTC')
                                      ELSE date_trunc('minute', created_at, 'UTC') END
                ORDER BY 1`,
            ]);
            expect(buckets).toEqual(exact);
          }
          // So do each capped key's (SOL amounts and every fee, across its wallets).
          for (const keyId of keyIds) {
            const [buckets, exact] = await Promise.all([
              prisma.$queryRaw<{ k: string }[]>`
                SELECT width || '|' || bucket_start::text || '|' || sol_amount::text || '|' || fees::text || '|' || tx_count AS k
                FROM key_spend_buckets WHERE agent_key_id = ${keyId}::uuid AND tx_count > 0 ORDER BY 1`,
              prisma.$queryRaw<{ k: string }[]>`
                SELECT w.width || '|' ||
                       (CASE w.width WHEN 3600 THEN date_trunc('hour', created_at, 'UTC')
                                     ELSE date_trunc('minute', created_at, 'UTC') END)::text || '|' ||
                       SUM(CASE WHEN asset IS NULL THEN amount ELSE 0 END)::text || '|' ||
                       SUM(network_fee)::text || '|' || COUNT(*) AS k
                FROM transactions CROSS JOIN (VALUES (3600), (60)) AS w(width)
                WHERE agent_key_id = ${keyId}::uuid
                  AND status NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')
                GROUP BY w.width,
                         CASE w.width WHEN 3600 THEN date_trunc('hour', created_at, 'UTC')
                                      ELSE date_trunc('minute', created_at, 'UTC') END
                ORDER BY 1`,
            ]);
            expect(buckets).toEqual(exact);
          }
        },
      ),
      { numRuns: 20, seed: Number(process.env.PROPERTY_SEED ?? 20261205) },
    );
  }, 600_000);
});
