/**
 * Statements that stop many transfers counting at once (the worker failing a page, the expiry
 * sweep, a freeze) against reservations and against each other: they take the spend buckets
 * in one order, so none of them waits for another in a circle (PostgreSQL would cancel one
 * with a deadlock: a reservation answered 500, a worker's page rolled back), and the buckets
 * still equal the transactions they sum.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  createPrismaClient,
  NOT_COUNTING_STATUSES,
  type PrismaClient,
  SpendRepository,
  sqlState,
  WorkerRepository,
} from '../src/index.js';
import {
  agentKeyWithCap,
  fakeSign,
  LAMPORTS_PER_SOL,
  newAddress,
  ownerWithWallet,
  setPolicy,
  smallTransfer,
} from './support/fixtures.js';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 6 });
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

/**
 * `count` SUBMITTED transfers of `walletId` (with `keyId`), one a millisecond from `from`: the
 * worker's confirm pages read them in that order.
 */
async function submitted(walletId: string, keyId: string | null, count: number, from: Date) {
  await prisma.$executeRaw`
    INSERT INTO transactions (id, wallet_id, agent_key_id, amount, network_fee, decimals,
                              destination, status, policy_outcome, policy_decision, created_at,
                              updated_at, signature, wire_transaction, blockhash,
                              last_valid_block_height)
    SELECT gen_random_uuid(), ${walletId}::uuid, ${keyId}::uuid, 1000, 5000, 9, 'history',
           'SUBMITTED', 'ALLOW', '{}', ${from}::timestamptz + g * interval '1 millisecond', now(),
           gen_random_uuid()::text, '\\x01'::bytea, 'blockhash', 150
    FROM generate_series(1, ${count}::int) AS g`;
}

/** Fails, as expired, every SUBMITTED transfer one worker page of `limit` claims. */
function failPage(worker: WorkerRepository, limit: number, onClaimed?: () => Promise<void>) {
  return worker.withClaimedSubmitted({ limit, afterId: null }, async (rows, unit) => {
    await onClaimed?.();
    return unit.markFailed(rows.map((r) => ({ id: r.id, reason: 'EXPIRED', errorMsg: '{}' })));
  });
}

const BUCKET = `CASE w.width WHEN 3600 THEN date_trunc('hour', created_at, 'UTC')
                             ELSE date_trunc('minute', created_at, 'UTC') END`;
const COUNTING = `status::text NOT IN (${NOT_COUNTING_STATUSES.map((x) => `'${x}'`).join(', ')})`;

async function keys(sql: string, value: unknown): Promise<string[]> {
  const rows = await prisma.$queryRawUnsafe<{ k: string }[]>(sql, value);
  return rows.map((r) => r.k);
}

/** The wallets' buckets as `wallet|width|start|amount|fees|count`, and the same recomputed. */
function walletBuckets(walletIds: string[]): Promise<[string[], string[]]> {
  return Promise.all([
    keys(
      `SELECT wallet_id || '|' || width || '|' || bucket_start::text || '|' || amount || '|' || fees || '|' || tx_count AS k
       FROM spend_buckets WHERE wallet_id = ANY($1::uuid[]) AND tx_count <> 0 ORDER BY 1`,
      walletIds,
    ),
    keys(
      `SELECT wallet_id || '|' || w.width || '|' || (${BUCKET})::text || '|' || SUM(amount) || '|' || SUM(network_fee) || '|' || COUNT(*) AS k
       FROM transactions CROSS JOIN (VALUES (3600), (60)) AS w(width)
       WHERE wallet_id = ANY($1::uuid[]) AND ${COUNTING}
       GROUP BY wallet_id, w.width, ${BUCKET} ORDER BY 1`,
      walletIds,
    ),
  ]);
}

/** A capped key's buckets as `width|start|sol|fees|count` (all SOL here), and recomputed. */
function keyBuckets(keyId: string): Promise<[string[], string[]]> {
  return Promise.all([
    keys(
      `SELECT width || '|' || bucket_start::text || '|' || sol_amount || '|' || fees || '|' || tx_count AS k
       FROM key_spend_buckets WHERE agent_key_id = $1::uuid AND tx_count <> 0 ORDER BY 1`,
      keyId,
    ),
    keys(
      `SELECT w.width || '|' || (${BUCKET})::text || '|' || SUM(amount) || '|' || SUM(network_fee) || '|' || COUNT(*) AS k
       FROM transactions CROSS JOIN (VALUES (3600), (60)) AS w(width)
       WHERE agent_key_id = $1::uuid AND ${COUNTING}
       GROUP BY w.width, ${BUCKET} ORDER BY 1`,
      keyId,
    ),
  ]);
}

describe('spend bucket locks', () => {
  it('a worker failing a page across a capped key’s wallets does not deadlock reservations with that key', async () => {
    const { agent, wallet: first, owner } = await ownerWithWallet(prisma);
    const second = await prisma.wallet.create({
      data: { ownerId: owner.id, address: newAddress(), custody: 'LOCAL' },
    });
    await prisma.walletAgent.create({ data: { walletId: second.id, agentId: agent.id } });
    await setPolicy(prisma, second.id, { perTxLimit: '10', dailyLimit: '1000000' });
    const key = await agentKeyWithCap(prisma, agent.id, 1_000_000n * LAMPORTS_PER_SOL);
    const worker = new WorkerRepository(prisma);
    const spend = new SpendRepository(prisma);
    const errors: string[] = [];
    let reserved = 0;
    for (let round = 0; round < 5; round++) {
      // The page, in the order it is claimed: the key's transfers from the first wallet, then
      // the second wallet's; the reservations run on the second wallet with the key, in the
      // same hour and minute, so both touch the same buckets of both.
      const now = new Date();
      await submitted(first.id, key, 200, new Date(now.getTime() - 2_000));
      await submitted(second.id, null, 200, new Date(now.getTime() - 1_000));
      let stop = false;
      const reserving = (async () => {
        while (!stop) {
          await spend
            .reserveTransfer(
              smallTransfer(second.id, agent.id, { agentKeyId: key, now: new Date() }),
              fakeSign,
            )
            .then(() => reserved++)
            .catch((e: unknown) => errors.push(`reservation: ${sqlState(e)} ${String(e)}`));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await failPage(worker, 400).catch((e: unknown) =>
        errors.push(`worker: ${sqlState(e)} ${String(e)}`),
      );
      stop = true;
      await reserving;
      await prisma.$executeRaw`
        UPDATE transactions SET status = 'CONFIRMED' WHERE status IN ('PENDING', 'SUBMITTED')`;
    }
    expect(errors).toEqual([]);
    expect(reserved).toBeGreaterThan(0);
    const [wallets, walletsExact] = await walletBuckets([first.id, second.id]);
    expect(wallets).toEqual(walletsExact);
    const [keyed, keyedExact] = await keyBuckets(key);
    expect(keyed).toEqual(keyedExact);
    expect(keyed.length).toBeGreaterThan(0);
  }, 120_000);

  it('two worker pages failing two wallets’ transfers in opposite orders do not deadlock', async () => {
    const { wallet: first } = await ownerWithWallet(prisma);
    const { wallet: second } = await ownerWithWallet(prisma);
    const workers = [new WorkerRepository(prisma), new WorkerRepository(prisma)] as const;
    const errors: string[] = [];
    for (let round = 0; round < 5; round++) {
      // Claimed in created_at order: the first page holds the first wallet's 50, then the
      // second's; the second page the second wallet's next 50, then the first's. One hour.
      const hour = Date.parse('2026-12-01T10:00:00Z') + round * 3_600_000;
      await submitted(first.id, null, 50, new Date(hour));
      await submitted(second.id, null, 50, new Date(hour + 100_000));
      await submitted(second.id, null, 50, new Date(hour + 200_000));
      await submitted(first.id, null, 50, new Date(hour + 300_000));
      // Both pages claimed before either fails its rows.
      let claimed = 0;
      let bothClaimed!: () => void;
      const ready = new Promise<void>((resolve) => (bothClaimed = resolve));
      const barrier = async () => {
        if (++claimed === 2) bothClaimed();
        await ready;
      };
      const pageOne = failPage(workers[0], 100, barrier);
      while (claimed === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const pageTwo = failPage(workers[1], 100, barrier);
      for (const result of await Promise.allSettled([pageOne, pageTwo]))
        if (result.status === 'rejected')
          errors.push(`${sqlState(result.reason)} ${String(result.reason)}`);
    }
    expect(errors).toEqual([]);
    const left = await prisma.transaction.count({
      where: { walletId: { in: [first.id, second.id] }, status: 'SUBMITTED' },
    });
    expect(left).toBe(0);
    const [wallets, exact] = await walletBuckets([first.id, second.id]);
    expect(wallets).toEqual(exact);
  }, 120_000);
});
