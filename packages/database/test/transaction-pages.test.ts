// Pages of transfers, newest first behind a cursor: one wallet's (an agent's history) and every
// wallet of an owner's (the console's list). Each page is the same as sorting everything and
// cutting, and what a page reads does not grow with the history behind it.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  createPrismaClient,
  type PrismaClient,
  TransactionReadRepository,
  type TransactionScope,
  type TxStatus,
} from '../src/index.js';
import {
  newAddress,
  ownerWithWallet,
  pastTransfers,
  transactionRowsRead,
} from './support/fixtures.js';

let db: TestDatabase;
let prisma: PrismaClient;
let reads: TransactionReadRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 2, statementTimeoutMs: 60_000 });
  reads = new TransactionReadRepository(prisma);
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

/** Statuses a row can have without being signed (the signed ones must carry their bytes). */
const STATUSES = ['AWAITING_APPROVAL', 'REJECTED', 'FAILED'] as const satisfies TxStatus[];

interface Row {
  id: string;
  walletId: string;
  createdAt: Date;
  status: TxStatus;
}

async function insert(rows: Row[]): Promise<void> {
  for (const row of rows)
    await prisma.$executeRaw`
      INSERT INTO transactions (id, wallet_id, amount, network_fee, decimals, destination, status,
                                failure_reason, policy_outcome, policy_decision, created_at,
                                updated_at)
      VALUES (${row.id}::uuid, ${row.walletId}::uuid, 1000, 5000, 9, 'history',
              ${row.status}::"TxStatus",
              CASE WHEN ${row.status} = 'FAILED' THEN 'POLICY'::"FailureReason" END,
              'REQUIRE_APPROVAL', '{}', ${row.createdAt}, now())`;
}

/** Every page from the first, following the cursor, as the API does. */
async function walk(
  scope: TransactionScope,
  limit: number,
  status: TxStatus | undefined,
): Promise<string[][]> {
  const pages: string[][] = [];
  let after: { createdAt: Date; id: string } | null = null;
  for (;;) {
    const { rows, more } = await reads.page(scope, {
      limit,
      after,
      ...(status === undefined ? {} : { status }),
    });
    pages.push(rows.map((r) => r.id));
    const last = rows.at(-1);
    if (!more || last === undefined) return pages;
    after = { createdAt: last.createdAt, id: last.id };
  }
}

/** Newest first, ties on the instant broken by id (PostgreSQL orders uuids as their hex text). */
function newestFirst(rows: Row[]): string[] {
  return [...rows]
    .sort(
      (a, b) =>
        b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    )
    .map((r) => r.id);
}

/** `ids` cut into pages of `limit`, as a walk returns them (one empty page when there are none). */
function cut(ids: string[], limit: number): string[][] {
  if (ids.length === 0) return [[]];
  const pages: string[][] = [];
  for (let i = 0; i < ids.length; i += limit) pages.push(ids.slice(i, i + limit));
  return pages;
}

describe('TransactionReadRepository.page', () => {
  it('pages what sorting every row and cutting gives, for a wallet and for an owner', async () => {
    const base = Date.now() - 3_600_000;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            // 0–2: the owner's three wallets; 3: another owner's, never in the owner's pages.
            wallet: fc.integer({ min: 0, max: 3 }),
            // Three instants: many rows share one, and pages often end inside such a group,
            // where only the id says which rows the next page starts after.
            at: fc.integer({ min: 0, max: 2 }),
            status: fc.constantFrom(...STATUSES),
          }),
          { maxLength: 24, size: 'max' },
        ),
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.constantFrom(...STATUSES), { nil: undefined, freq: 2 }),
        async (specs, limit, status) => {
          const { owner, wallet } = await ownerWithWallet(prisma);
          const more = await Promise.all(
            [0, 1].map(() =>
              prisma.wallet.create({
                data: { ownerId: owner.id, address: newAddress(), custody: 'LOCAL' },
              }),
            ),
          );
          const stranger = (await ownerWithWallet(prisma)).wallet;
          const wallets = [wallet, ...more, stranger];
          const rows = specs.map((s) => ({
            id: randomUUID(),
            walletId: wallets[s.wallet]!.id,
            createdAt: new Date(base + s.at * 1_000),
            status: s.status,
          }));
          await insert(rows);
          const shown = rows.filter((r) => status === undefined || r.status === status);

          expect(await walk({ walletId: wallet.id }, limit, status)).toEqual(
            cut(newestFirst(shown.filter((r) => r.walletId === wallet.id)), limit),
          );
          expect(await walk({ ownerId: owner.id }, limit, status)).toEqual(
            cut(newestFirst(shown.filter((r) => r.walletId !== stranger.id)), limit),
          );
        },
      ),
      { numRuns: 40, seed: Number(process.env.PROPERTY_SEED ?? 20261203) },
    );
  }, 120_000);

  it('reads about a page per wallet of an owner, not the history behind it', async () => {
    const { owner, wallet } = await ownerWithWallet(prisma);
    // A status rare in this owner's wallets and common in another owner's.
    const stranger = (await ownerWithWallet(prisma)).wallet;
    await pastTransfers(prisma, stranger.id, {
      count: 30_000,
      everySeconds: 1,
      status: 'REJECTED',
    });
    for (let i = 0; i < 2; i++) {
      const quiet = await prisma.wallet.create({
        data: { ownerId: owner.id, address: newAddress(), custody: 'LOCAL' },
      });
      await insert(
        Array.from({ length: 10 }, (_, n) => ({
          id: randomUUID(),
          walletId: quiet.id,
          createdAt: new Date(Date.now() - n * 60_000),
          status: 'REJECTED' as const,
        })),
      );
    }
    // 30,000 transfers, one every 4 s, in the owner's busy wallet.
    await pastTransfers(prisma, wallet.id, { count: 30_000 });
    await prisma.$executeRawUnsafe('ANALYZE transactions, wallets');
    const reader = createPrismaClient({ url: db.url, poolSize: 1 });
    try {
      const busy = new TransactionReadRepository(reader);
      const before = await transactionRowsRead(reader);
      const first = await busy.page({ ownerId: owner.id }, { limit: 50 });
      const last = first.rows.at(-1)!;
      const second = await busy.page({ ownerId: owner.id }, { limit: 50, after: last });
      expect(first.rows).toHaveLength(50);
      expect(second.rows).toHaveLength(50);
      expect(second.more).toBe(true);
      // Two pages: at most 51 rows of each of the three wallets and the 51 read again by id,
      // each; all 30,020 before.
      expect((await transactionRowsRead(reader)) - before).toBeLessThan(2 * 4 * 51);

      // Filtered by a status: the 20 REJECTED of the owner's quiet wallets, the 3 of its busy
      // one, found without walking either its 30,000 others or the stranger's 30,000 REJECTED.
      await insert(
        [1, 2, 3].map((h) => ({
          id: randomUUID(),
          walletId: wallet.id,
          createdAt: new Date(Date.now() - h * 3_600_000),
          status: 'REJECTED' as const,
        })),
      );
      const filtered = await transactionRowsRead(reader);
      const rejected = await busy.page({ walletId: wallet.id }, { limit: 50, status: 'REJECTED' });
      const owners = await busy.page({ ownerId: owner.id }, { limit: 50, status: 'REJECTED' });
      expect(rejected.rows).toHaveLength(3);
      expect(owners.rows).toHaveLength(23);
      expect((await transactionRowsRead(reader)) - filtered).toBeLessThan(3 + 2 * 23 + 10);
    } finally {
      await reader.$disconnect();
    }
  });
});
