// Statements that insert or delete many transactions at once (an import of history, a cascade)
// keep the spend buckets exact, and write each bucket once per statement rather than once per
// row: a bucket rewritten once per row leaves a dead version per row that every later read of
// that bucket walks until a vacuum comes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import { createPrismaClient, NOT_COUNTING_STATUSES, type PrismaClient } from '../src/index.js';
import { agentKeyWithCap, newAddress, ownerWithWallet } from './support/fixtures.js';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 2, statementTimeoutMs: 60_000 });
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const MINT = newAddress();
const STATUSES = ['AWAITING_APPROVAL', 'PENDING', 'CONFIRMED', 'FAILED', 'REJECTED', 'EXPIRED'];

interface Row {
  walletId: string;
  keyId: string | null;
  asset: string | null;
  amount: bigint;
  fee: bigint;
  status: string;
  createdAt: Date;
}

const counts = (status: string) => !(NOT_COUNTING_STATUSES as readonly string[]).includes(status);

/** `n` rows over the given wallets and keys, spread over 20 minutes across a whole hour. */
function rowsOf(n: number, wallets: string[], keys: (string | null)[]): Row[] {
  const start = Date.parse('2026-12-01T09:50:30.250Z');
  return Array.from({ length: n }, (_, i) => ({
    walletId: wallets[i % wallets.length]!,
    keyId: keys[i % keys.length]!,
    asset: i % 3 === 0 ? MINT : null,
    amount: BigInt(1_000 + i * 7),
    fee: i % 4 === 0 ? 0n : 5_000n + BigInt(i),
    status: STATUSES[i % STATUSES.length]!,
    createdAt: new Date(start + Math.floor((i * 20 * 60_000) / n) + (i % 7)),
  }));
}

/** One INSERT statement for all of `rows` (signed ones carry what the constraints ask of them). */
async function insertAll(client: Pick<PrismaClient, '$executeRawUnsafe'>, rows: Row[]) {
  const values = rows.map(
    (_, i) => `(${[1, 2, 3, 4, 5, 6, 7].map((j) => `$${i * 7 + j}::text`).join(', ')})`,
  );
  await client.$executeRawUnsafe(
    `INSERT INTO transactions (id, wallet_id, agent_key_id, asset, amount, network_fee, decimals,
                               destination, status, policy_outcome, policy_decision, created_at,
                               updated_at, signature, wire_transaction, blockhash,
                               last_valid_block_height, failure_reason)
     SELECT gen_random_uuid(), w::uuid, k::uuid, asset, amount::numeric, fee::numeric, 9, 'bulk',
            status::"TxStatus", 'ALLOW', '{}', at::timestamptz, now(),
            CASE WHEN signed THEN gen_random_uuid()::text END,
            CASE WHEN signed THEN '\\x01'::bytea END,
            CASE WHEN signed THEN 'hash' END,
            CASE WHEN signed THEN 150 END,
            CASE WHEN status = 'FAILED' THEN 'ON_CHAIN_ERROR'::"FailureReason" END
       FROM (VALUES ${values.join(', ')}) AS v(w, k, asset, amount, fee, status, at),
            LATERAL (SELECT status IN ('PENDING', 'SUBMITTED', 'CONFIRMED') AS signed) s`,
    ...rows.flatMap((r) => [
      r.walletId,
      r.keyId,
      r.asset,
      r.amount.toString(),
      r.fee.toString(),
      r.status,
      r.createdAt.toISOString(),
    ]),
  );
}

const floor = (d: Date, width: number) =>
  new Date(Math.floor(d.getTime() / (width * 1000)) * width * 1000).toISOString();
type Sums = Map<string, [bigint, bigint, number]>;
const add = (m: Sums, k: string, a: bigint, f: bigint) => {
  const [sa, sf, n] = m.get(k) ?? [0n, 0n, 0];
  m.set(k, [sa + a, sf + f, n + 1]);
};

/** The buckets `rows` add up to, by wallet (and asset) and by capped key, per hour and minute. */
function bucketsOf(rows: readonly Row[], capped: string) {
  const wallet: Sums = new Map();
  const key: Sums = new Map();
  for (const r of rows) {
    if (!counts(r.status)) continue;
    for (const width of [3600, 60]) {
      const start = floor(r.createdAt, width);
      add(wallet, `${r.walletId}|${width}|${start}|${r.asset ?? ''}`, r.amount, r.fee);
      if (r.keyId === capped)
        add(key, `${r.keyId}|${width}|${start}`, r.asset === null ? r.amount : 0n, r.fee);
    }
  }
  return { wallet, key };
}

/** What the buckets must hold, recomputed here from the transactions themselves. */
async function expectedBuckets(capped: string) {
  const rows = await prisma.transaction.findMany();
  const { wallet, key } = bucketsOf(
    rows.map((r) => ({
      walletId: r.walletId,
      keyId: r.agentKeyId,
      asset: r.asset,
      amount: BigInt(r.amount.toFixed(0)),
      fee: BigInt(r.networkFee.toFixed(0)),
      status: r.status,
      createdAt: r.createdAt,
    })),
    capped,
  );
  const lines = (m: Sums) => [...m].map(([k, [a, f, n]]) => `${k}|${a}|${f}|${n}`).sort();
  return { wallet: lines(wallet), key: lines(key) };
}

/** The buckets as stored (those emptied by deletes, all zero, left out). */
async function storedBuckets() {
  const wallet = await prisma.$queryRaw<{ k: string }[]>`
    SELECT wallet_id::text || '|' || width || '|' ||
           to_char(bucket_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '|' || asset ||
           '|' || amount::text || '|' || fees::text || '|' || tx_count AS k
    FROM spend_buckets WHERE NOT (amount = 0 AND fees = 0 AND tx_count = 0)`;
  const key = await prisma.$queryRaw<{ k: string }[]>`
    SELECT agent_key_id::text || '|' || width || '|' ||
           to_char(bucket_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '|' ||
           sol_amount::text || '|' || fees::text || '|' || tx_count AS k
    FROM key_spend_buckets WHERE NOT (sol_amount = 0 AND fees = 0 AND tx_count = 0)`;
  return { wallet: wallet.map((r) => r.k).sort(), key: key.map((r) => r.k).sort() };
}

describe('spend buckets under statements of many rows', () => {
  it('stay exact, and each bucket is written once per statement', async () => {
    const a = await ownerWithWallet(prisma);
    const b = await ownerWithWallet(prisma);
    const capped = await agentKeyWithCap(prisma, a.agent.id, 10n ** 12n);
    const uncapped = await agentKeyWithCap(prisma, a.agent.id, null);
    const wallets = [a.wallet.id, b.wallet.id];
    const keys = [capped, uncapped, null];

    // Some history one row per statement first, so the bulk insert adds to existing buckets.
    for (const row of rowsOf(12, wallets, keys)) await insertAll(prisma, [row]);

    const bulk = rowsOf(600, wallets, keys);
    // Rows written to each bucket table by the bulk statement: the transaction's own counts
    // after it less before (they can include earlier transactions' counts not yet flushed).
    const writes = await prisma.$transaction(async (tx) => {
      const count = async () => {
        const [stats] = await tx.$queryRaw<{ wallet: bigint; key: bigint }[]>`
          SELECT pg_stat_get_xact_tuples_inserted('spend_buckets'::regclass)
                   + pg_stat_get_xact_tuples_updated('spend_buckets'::regclass) AS wallet,
                 pg_stat_get_xact_tuples_inserted('key_spend_buckets'::regclass)
                   + pg_stat_get_xact_tuples_updated('key_spend_buckets'::regclass) AS key`;
        return stats!;
      };
      const before = await count();
      await insertAll(tx, bulk);
      const after = await count();
      return { wallet: after.wallet - before.wallet, key: after.key - before.key };
    });
    const touched = bucketsOf(bulk, capped);
    // One write per bucket the statement touched, not two per counting row (300 of the 600).
    expect(Number(writes.wallet)).toBe(touched.wallet.size);
    expect(Number(writes.key)).toBe(touched.key.size);
    expect(touched.wallet.size).toBeLessThan(150);
    expect(await storedBuckets()).toEqual(await expectedBuckets(capped));

    // One DELETE of many rows (both wallets, every status) takes them out again exactly.
    const deleted = await prisma.$executeRaw`
      DELETE FROM transactions WHERE amount % 5 <> 0 AND destination = 'bulk'`;
    expect(deleted).toBeGreaterThan(400);
    expect(await storedBuckets()).toEqual(await expectedBuckets(capped));

    // And a wallet's cascade delete leaves the other wallet's buckets as they were.
    await prisma.wallet.delete({ where: { id: b.wallet.id } });
    expect(await storedBuckets()).toEqual(await expectedBuckets(capped));
    expect((await storedBuckets()).wallet.every((k) => k.startsWith(a.wallet.id))).toBe(true);
  });
});
