// Spend accounting through buckets is exact: random sequences of creates, approvals,
// rejections, failures, expiries, confirmations, approval-expiry sweeps and window slides, under
// a rolling or a UTC-day policy, each decision (and the dry run's before each create) compared
// with the policy engine's decision on sums recomputed from the transactions themselves.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  assertPolicy,
  type DailyWindow,
  type Decision,
  evaluate,
  type Policy,
  rateWindowStart,
  windowStart,
} from '@waiaas/policy-engine';
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
  prisma = createPrismaClient({ url: db.url, poolSize: 4, statementTimeoutMs: 60_000 });
  spend = new SpendRepository(prisma);
  approvals = new ApprovalExpiryRepository(prisma);
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const MINT = newAddress();
// Without maxTxPerHour the reservation does not count the last hour (nothing would use it).
const policyInput = (dailyWindow: DailyWindow, maxTxPerHour: number | null) => ({
  perTxLimit: '1',
  dailyLimit: '2',
  allowedAssets: [MINT],
  requiresApproval: true,
  metadata: {
    approvalThreshold: '0.5',
    ...(maxTxPerHour === null ? {} : { maxTxPerHour }),
    tokenLimits: { [MINT]: { daily: '5', decimals: 6 } },
    dailyWindow,
  },
});
const COUNTS = (s: string) => s !== 'FAILED' && s !== 'REJECTED' && s !== 'EXPIRED';

type Op =
  | { kind: 'slide'; ms: number }
  | { kind: 'create'; asset: 'SOL' | 'TOKEN'; amount: bigint; fee: bigint }
  | { kind: 'approve' | 'reject' | 'fail' | 'expire' | 'confirm'; pick: number }
  | { kind: 'sweep' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('slide' as const),
      // Minutes and hours, with odd milliseconds so window edges fall inside buckets.
      ms: fc.oneof(
        fc.integer({ min: 1, max: 5 * 60_000 }),
        fc.integer({ min: 30 * 60_000, max: 3 * 3_600_000 }),
        fc.constantFrom(60_000, 3_600_000, 86_400_000 - 1, 86_400_000),
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      asset: fc.constantFrom('SOL' as const, 'TOKEN' as const),
      amount: fc.bigInt({ min: 1n, max: 900_000_000n }),
      fee: fc.constantFrom(0n, 5_000n, 12_345n),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'approve' as const,
        'reject' as const,
        'fail' as const,
        'expire' as const,
        'confirm' as const,
      ),
      pick: fc.nat(),
    }),
  },
  // The worker's approval-expiry sweep at `now` (waiting transfers past their 24 h expire).
  { weight: 1, arbitrary: fc.constant({ kind: 'sweep' as const }) },
);

/** Whether a waiting transfer is past its expiry at `now` (then approve and reject refuse it). */
function lapsed(row: TransactionModel, now: Date): boolean {
  return row.expiresAt !== null && row.expiresAt <= now;
}

async function refusedAsExpired(attempt: Promise<unknown>): Promise<boolean> {
  const error = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  return (
    isRepositoryError(error, 'TRANSACTION_NOT_AWAITING_APPROVAL') &&
    error.context.status === 'EXPIRED'
  );
}

/** The decision recomputed from every transaction of the wallet (no buckets). */
async function expected(
  policy: Policy,
  walletId: string,
  now: Date,
  intent: { asset: string | null; amount: bigint; fee: bigint; to: string },
  exclude: string | null,
): Promise<Decision> {
  const rows = await prisma.transaction.findMany({ where: { walletId } });
  const dayStart = windowStart(policy, now);
  const hourStart = rateWindowStart(now);
  let sol = 0n;
  let recent = 0;
  const tokens: Record<string, bigint> = {};
  for (const r of rows) {
    if (r.id === exclude || !COUNTS(r.status)) continue;
    if (r.createdAt >= hourStart) recent += 1;
    if (r.createdAt < dayStart) continue;
    sol += BigInt(r.networkFee.toFixed(0));
    if (r.asset === null) sol += BigInt(r.amount.toFixed(0));
    else tokens[r.asset] = (tokens[r.asset] ?? 0n) + BigInt(r.amount.toFixed(0));
  }
  return evaluate(policy, intent, {
    now,
    spentInWindow: { sol, tokens },
    txCountLastHour: recent,
    spentSince: dayStart,
  });
}

function pickOf(rows: TransactionModel[], status: string[], pick: number) {
  const candidates = rows.filter((r) => status.includes(r.status));
  return candidates.length === 0 ? null : candidates[pick % candidates.length]!;
}

describe('spend buckets', () => {
  it('every decision equals the one recomputed from the transactions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<DailyWindow>('ROLLING_24H', 'UTC_DAY'),
        fc.constantFrom(6, null),
        // Any time of day, so that some runs cross midnight (where the two windows part).
        fc.integer({ min: 0, max: 86_399_999 }),
        fc.array(op, { minLength: 5, maxLength: 30 }),
        async (dailyWindow, maxTxPerHour, startInDay, ops) => {
          const { owner, wallet } = await ownerWithWallet(prisma);
          const input = policyInput(dailyWindow, maxTxPerHour);
          const policy = assertPolicy(input);
          await setPolicy(prisma, wallet.id, input);
          let now = new Date(Date.UTC(2026, 10, 20) + startInDay);
          for (const o of ops) {
            const rows = await prisma.transaction.findMany({ where: { walletId: wallet.id } });
            if (o.kind === 'slide') {
              now = new Date(now.getTime() + o.ms);
            } else if (o.kind === 'sweep') {
              const { expired } = await approvals.expireDue(now, 100);
              const due = rows.filter((r) => r.status === 'AWAITING_APPROVAL' && lapsed(r, now));
              // (Other wallets' lapsed approvals, from earlier runs, expire too.)
              const mine = expired.filter((e) => e.walletId === wallet.id);
              expect(mine.map((e) => e.id).sort()).toEqual(due.map((r) => r.id).sort());
            } else if (o.kind === 'create') {
              const asset = o.asset === 'SOL' ? null : MINT;
              const to = newAddress();
              const want = await expected(
                policy,
                wallet.id,
                now,
                { asset, amount: o.amount, fee: o.fee, to },
                null,
              );
              const request = {
                walletId: wallet.id,
                agentId: null,
                idempotencyKey: null,
                asset,
                amount: o.amount,
                decimals: asset === null ? 9 : 6,
                destination: to,
                memo: null,
                fee: o.fee,
                now,
              };
              expect(await spend.evaluateTransfer(request)).toEqual(want);
              const got = await spend.reserveTransfer(request, fakeSign);
              expect(got.decision).toEqual(want);
            } else if (o.kind === 'approve') {
              const row = pickOf(rows, ['AWAITING_APPROVAL'], o.pick);
              if (row === null) continue;
              if (lapsed(row, now)) {
                expect(
                  await refusedAsExpired(
                    spend.approveTransfer(
                      { transactionId: row.id, ownerId: owner.id, now },
                      fakeSign,
                    ),
                  ),
                ).toBe(true);
                continue;
              }
              const judged = await expected(
                policy,
                wallet.id,
                now,
                {
                  asset: row.asset,
                  amount: BigInt(row.amount.toFixed(0)),
                  fee: BigInt(row.networkFee.toFixed(0)),
                  to: row.destination,
                },
                row.id,
              );
              const got = await spend.approveTransfer(
                { transactionId: row.id, ownerId: owner.id, now },
                fakeSign,
              );
              expect(got.decision.reasons).toEqual(judged.reasons);
              expect(got.outcome).toBe(judged.outcome === 'DENY' ? 'DENY' : 'ALLOW');
            } else if (o.kind === 'reject') {
              const row = pickOf(rows, ['AWAITING_APPROVAL'], o.pick);
              if (row === null) continue;
              const rejection = spend.rejectTransfer({
                transactionId: row.id,
                ownerId: owner.id,
                now,
              });
              if (lapsed(row, now)) expect(await refusedAsExpired(rejection)).toBe(true);
              else await rejection;
            } else {
              const row = pickOf(rows, ['PENDING', 'SUBMITTED'], o.pick);
              if (row === null) continue;
              await prisma.transaction.update({
                where: { id: row.id },
                data:
                  o.kind === 'confirm'
                    ? { status: row.status === 'PENDING' ? 'SUBMITTED' : 'CONFIRMED' }
                    : {
                        status: 'FAILED',
                        failureReason: o.kind === 'expire' ? 'EXPIRED' : 'ON_CHAIN_ERROR',
                      },
              });
            }
          }
          // The buckets themselves equal the transactions, grouped.
          const [buckets, exact] = await Promise.all([
            prisma.$queryRaw<{ k: string }[]>`
            SELECT width || '|' || asset || '|' || bucket_start::text || '|' || amount::text || '|' || fees::text || '|' || tx_count AS k
            FROM spend_buckets WHERE wallet_id = ${wallet.id}::uuid AND tx_count > 0 ORDER BY 1`,
            prisma.$queryRaw<{ k: string }[]>`
            SELECT w.width || '|' || COALESCE(asset, '') || '|' ||
                   (CASE w.width WHEN 3600 THEN date_trunc('hour', created_at, 'UTC')
                                 ELSE date_trunc('minute', created_at, 'UTC') END)::text || '|' ||
                   SUM(amount)::text || '|' || SUM(network_fee)::text || '|' || COUNT(*) AS k
            FROM transactions CROSS JOIN (VALUES (3600), (60)) AS w(width)
            WHERE wallet_id = ${wallet.id}::uuid AND status NOT IN ('FAILED', 'REJECTED', 'EXPIRED')
            GROUP BY w.width, asset,
                     CASE w.width WHEN 3600 THEN date_trunc('hour', created_at, 'UTC')
                                  ELSE date_trunc('minute', created_at, 'UTC') END
            ORDER BY 1`,
          ]);
          expect(buckets).toEqual(exact);
        },
      ),
      { numRuns: 40, seed: Number(process.env.PROPERTY_SEED ?? 20261202) },
    );
  }, 300_000);
});
