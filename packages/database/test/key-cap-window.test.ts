// A capped agent key's rolling 24 hours are read from its buckets (whole hours and minutes)
// and from its transactions in the window's partial first minute, as a wallet's window is:
// the decision must equal one made on the key's transactions themselves, to the lamport, and
// its cost must not grow with how many transfers the key made that day.
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AgentKeyCapExceededReason } from '@waiaas/policy-engine';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  createPrismaClient,
  type PrismaClient,
  SpendRepository,
  type TransferRequest,
} from '../src/index.js';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../src/migrator.js';
import {
  agentKeyWithCap,
  fakeSign,
  newAddress,
  ownerWithWallet,
  pastTransfers,
  setPolicy,
  smallTransfer,
  transactionRowsRead,
} from './support/fixtures.js';

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

const SOL = 1_000_000_000n;
const FEE = 5_000n;

function cappedKey(agentId: string, cap: bigint | null, client = prisma): Promise<string> {
  return agentKeyWithCap(client, agentId, cap);
}

/** A stored transfer of `amount` (SOL, or `asset`) made with `keyId` at `createdAt`. */
async function history(
  walletId: string,
  keyId: string,
  row: { amount: bigint; createdAt: Date; asset?: string; status?: 'REJECTED' },
  client = prisma,
): Promise<void> {
  await client.$executeRaw`
    INSERT INTO transactions (id, wallet_id, agent_key_id, asset, amount, network_fee, decimals,
                              destination, status, policy_outcome, policy_decision, created_at, updated_at)
    VALUES (gen_random_uuid(), ${walletId}::uuid, ${keyId}::uuid, ${row.asset ?? null},
            ${row.amount.toString()}::numeric, ${FEE.toString()}::numeric, 9, 'history',
            ${row.status ?? 'AWAITING_APPROVAL'}::"TxStatus", 'REQUIRE_APPROVAL', '{}',
            ${row.createdAt}, now())`;
}

describe("a capped key's rolling 24 hours", () => {
  it('count every counted lamport inside the window to its edges, and nothing outside', async () => {
    const { agent, wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '100', dailyLimit: '1000' });
    const cap = 2n * SOL;
    const keyId = await cappedKey(agent.id, cap);
    const otherKey = await cappedKey(agent.id, cap);
    // The window starts at 12:34:30.500 yesterday: its first partial minute is read from rows,
    // 12:35–13:00 from minute buckets, 13:00 on from hour buckets.
    const now = new Date('2026-12-01T12:34:30.500Z');
    const at = (iso: string) => new Date(iso);
    const counted = [
      { amount: 100_000_000n, createdAt: at('2026-11-30T12:34:30.500Z') }, // the first instant
      { amount: 20_000_000n, createdAt: at('2026-11-30T12:34:59.999Z') }, // partial minute
      { amount: 3_000_000n, createdAt: at('2026-11-30T12:35:00.000Z') }, // first whole minute
      { amount: 400_000n, createdAt: at('2026-11-30T12:59:59.999Z') }, // last minute bucket
      { amount: 50_000n, createdAt: at('2026-11-30T13:00:00.000Z') }, // first hour bucket
      { amount: 6_000n, createdAt: at('2026-12-01T12:34:30.400Z') }, // just before now
      { amount: 999n, createdAt: at('2026-12-01T12:40:00.000Z') }, // stamped after now: counts
      { amount: 7_777n, createdAt: at('2026-12-01T09:00:00.000Z'), asset: newAddress() }, // fee only
    ];
    const ignored = [
      { amount: 900_000_000n, createdAt: at('2026-11-30T12:34:30.499Z') }, // just outside
      { amount: 900_000_000n, createdAt: at('2026-11-30T11:59:00.000Z') }, // an hour earlier
      {
        amount: 900_000_000n,
        createdAt: at('2026-12-01T10:00:00.000Z'),
        status: 'REJECTED' as const,
      },
    ];
    for (const row of [...counted, ...ignored]) await history(wallet.id, keyId, row);
    await history(wallet.id, otherKey, { amount: SOL, createdAt: at('2026-12-01T11:00:00.000Z') });

    const spent = counted.reduce((s, r) => s + (r.asset === undefined ? r.amount : 0n) + FEE, 0n);
    const remaining = cap - spent;
    const spend = new SpendRepository(prisma);
    const request = (amount: bigint): TransferRequest => ({
      walletId: wallet.id,
      agentId: agent.id,
      agentKeyId: keyId,
      idempotencyKey: null,
      asset: null,
      amount,
      decimals: 9,
      destination: newAddress(),
      memo: null,
      fee: FEE,
      now,
    });

    // One lamport over: denied with the exact figures, by the dry run and the reservation.
    const over = request(remaining - FEE + 1n);
    for (const decision of [
      await spend.evaluateTransfer(over),
      (await spend.reserveTransfer(over, fakeSign)).decision,
    ]) {
      expect(decision.outcome).toBe('DENY');
      const reason = decision.reasons.find(
        (r): r is AgentKeyCapExceededReason => r.code === 'AGENT_KEY_CAP_EXCEEDED',
      );
      expect(reason).toMatchObject({ spent: spent.toString(), remaining: remaining.toString() });
    }
    // Exactly the remainder: allowed.
    const exact = request(remaining - FEE);
    expect((await spend.evaluateTransfer(exact)).outcome).toBe('ALLOW');
    expect((await spend.reserveTransfer(exact, fakeSign)).outcome).toBe('ALLOW');
    // Now the cap is used up to the lamport.
    expect((await spend.evaluateTransfer(request(1n))).outcome).toBe('DENY');
  });

  it("read the window's edges, not the key's day of transfers", async () => {
    const { agent, wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '100', dailyLimit: '1000000' });
    const keyId = await cappedKey(agent.id, 1_000_000n * SOL);
    // 20,000 counting transfers by the key over the last day.
    await pastTransfers(prisma, wallet.id, { count: 20_000, agentKeyId: keyId });
    // One connection, so the statistics read are those of the session that did the work.
    const single = createPrismaClient({ url: db.url, poolSize: 1 });
    try {
      const spend = new SpendRepository(single);
      const request = () => smallTransfer(wallet.id, agent.id, { agentKeyId: keyId, fee: FEE });
      const before = await transactionRowsRead(single);
      for (let i = 0; i < 5; i++) {
        expect((await spend.reserveTransfer(request(), fakeSign)).outcome).toBe('ALLOW');
        expect((await spend.evaluateTransfer(request())).outcome).toBe('ALLOW');
      }
      // At most a minute of rows at each window's edge (here about 15) per sum, plus the
      // reservations' own writes; the key's day is 20,000 rows.
      expect((await transactionRowsRead(single)) - before).toBeLessThan(1_000);
    } finally {
      await single.$disconnect();
    }
  });

  it('is fixed once the key exists', async () => {
    const { agent } = await ownerWithWallet(prisma);
    const keyId = await cappedKey(agent.id, SOL);
    await expect(
      prisma.agentKey.update({ where: { id: keyId }, data: { dailyCap: (2n * SOL).toString() } }),
    ).rejects.toThrow(/daily cap is fixed/);
    // Other columns still change.
    await prisma.agentKey.update({ where: { id: keyId }, data: { lastUsedAt: new Date() } });
  });

  it('are backfilled from the transactions of keys capped before the buckets existed', async () => {
    // The migrations up to the one that adds the buckets, then data, then that migration.
    const dir = await mkdtemp(join(tmpdir(), 'waiaas-migrations-'));
    const empty = await createEmptyDatabase();
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      const added = '20261207000000_key_spend_buckets';
      for (const later of (await readdir(dir)).filter((n) => /^\d+_/.test(n) && n >= added))
        await rm(join(dir, later), { recursive: true });
      await migrate({ connectionString: empty.url, migrationsDir: dir });
      const old = createPrismaClient({ url: empty.url, poolSize: 1 });
      try {
        const { agent, wallet } = await ownerWithWallet(old);
        const capped = await cappedKey(agent.id, SOL, old);
        const uncapped = await cappedKey(agent.id, null, old);
        const rows = [
          { amount: 1_000n, createdAt: new Date('2026-12-01T10:00:05Z') },
          { amount: 20_000n, createdAt: new Date('2026-12-01T10:00:55Z') },
          { amount: 300_000n, createdAt: new Date('2026-12-01T10:59:00Z') },
          { amount: 4_000_000n, createdAt: new Date('2026-12-01T10:30:00Z'), asset: newAddress() },
          {
            amount: 50_000_000n,
            createdAt: new Date('2026-12-01T10:00:10Z'),
            status: 'REJECTED' as const,
          },
        ];
        for (const row of rows) {
          await history(wallet.id, capped, row, old);
          await history(wallet.id, uncapped, row, old);
        }
        await cp(join(DEFAULT_MIGRATIONS_DIR, added), join(dir, added), { recursive: true });
        expect(
          (await migrate({ connectionString: empty.url, migrationsDir: dir })).applied,
        ).toEqual([added]);
        const buckets = await old.$queryRaw<{ k: string }[]>`
          SELECT agent_key_id::text || '|' || width || '|' || to_char(bucket_start AT TIME ZONE 'UTC', 'HH24:MI') || '|' ||
                 sol_amount::text || '|' || fees::text || '|' || tx_count AS k
          FROM key_spend_buckets ORDER BY width DESC, bucket_start`;
        // SOL amounts, every fee (the token transfer's too), the rejected one left out.
        expect(buckets.map((b) => b.k)).toEqual([
          `${capped}|3600|10:00|321000|${4n * FEE}|4`,
          `${capped}|60|10:00|21000|${2n * FEE}|2`,
          `${capped}|60|10:30|0|${FEE}|1`,
          `${capped}|60|10:59|300000|${FEE}|1`,
        ]);
      } finally {
        await old.$disconnect();
      }
    } finally {
      await empty.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
