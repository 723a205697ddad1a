// The spend sums run as prepared statements, and PostgreSQL may settle on a generic plan for
// them (planned without the parameter values). That plan must still read only the window's
// rows: with history in the window, a reservation and a dry run fetch about as many rows as
// on an empty wallet, not every row of the wallet.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import { createPrismaClient, type PrismaClient, SpendRepository, sqlPool } from '../src/index.js';
import {
  fakeSign,
  ownerWithWallet,
  pastTransfers,
  setPolicy,
  smallTransfer,
  transactionRowsRead,
} from './support/fixtures.js';

let db: TestDatabase;
let admin: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  admin = createPrismaClient({ url: db.url, poolSize: 2, statementTimeoutMs: 60_000 });
});

afterAll(async () => {
  await admin.$disconnect();
  await db.drop();
});

/** A client whose one connection always plans prepared statements generically. */
function genericPlans(): PrismaClient {
  const url = new URL(db.url);
  url.searchParams.set('options', '-c plan_cache_mode=force_generic_plan');
  return createPrismaClient({ url: url.toString(), poolSize: 1 });
}

/** 20,000 counting transactions (awaiting approval: they hold budget) over the last day. */
async function busyDay(walletId: string): Promise<void> {
  await pastTransfers(admin, walletId, { count: 20_000 });
}

/**
 * A wallet with a busy day, and statistics that know it: PostgreSQL's own choice for the spend
 * sums was then to plan them again with every call's values.
 */
async function busyAnalysedWallet() {
  const { agent, wallet } = await ownerWithWallet(admin);
  await setPolicy(admin, wallet.id, { perTxLimit: '1', dailyLimit: '1000000' });
  await busyDay(wallet.id);
  await admin.$executeRawUnsafe('ANALYZE transactions, spend_buckets, wallets, wallet_policies');
  return { agent, wallet };
}

/** `work` on a client with one connection in each of its pools, disconnected after. */
async function withOneConnection<T>(work: (prisma: PrismaClient) => Promise<T>): Promise<T> {
  const prisma = createPrismaClient({ url: db.url, poolSize: 1 });
  try {
    return await work(prisma);
  } finally {
    await prisma.$disconnect();
  }
}

describe('the spend sums under a generic plan', () => {
  it('read the window’s edges, not the wallet’s history', async () => {
    const { agent, wallet } = await ownerWithWallet(admin);
    await setPolicy(admin, wallet.id, { perTxLimit: '1', dailyLimit: '1000000' });
    // A plan cached by a connection is kept until the statistics of its tables change; with
    // autovacuum off here, they stay those of the empty tables while history grows, as they
    // would for a long-lived connection between two autoanalyze runs.
    await admin.$executeRawUnsafe(
      'ALTER TABLE transactions SET (autovacuum_enabled = false); ALTER TABLE spend_buckets SET (autovacuum_enabled = false)',
    );
    const prisma = genericPlans();
    try {
      const spend = new SpendRepository(prisma);
      const request = () => smallTransfer(wallet.id, agent.id);
      // Planned now, on empty tables.
      await spend.reserveTransfer(request(), fakeSign);
      await spend.evaluateTransfer(request());

      await busyDay(wallet.id);

      const before = await transactionRowsRead(prisma);
      for (let i = 0; i < 5; i++) {
        expect((await spend.reserveTransfer(request(), fakeSign)).outcome).toBe('ALLOW');
        expect((await spend.evaluateTransfer(request())).outcome).toBe('ALLOW');
      }
      // Each sum reads at most one minute of rows at each window's edge (here about 15 at the
      // day's), plus the reservation's own writes; the whole history is 20,000 rows.
      expect((await transactionRowsRead(prisma)) - before).toBeLessThan(1_000);
    } finally {
      await prisma.$disconnect();
    }
  });

  it('are planned once per connection in a reservation, even when the statistics favour re-planning', async () => {
    const { agent, wallet } = await busyAnalysedWallet();
    await withOneConnection(async (prisma) => {
      const spend = new SpendRepository(prisma);
      for (let i = 0; i < 10; i++) {
        const result = await spend.reserveTransfer(smallTransfer(wallet.id, agent.id), fakeSign);
        expect(result.outcome).toBe('ALLOW');
      }
      const plans = await prisma.$queryRaw<
        { statement: string; generic: number; custom: number }[]
      >`
        SELECT statement, generic_plans::int AS generic, custom_plans::int AS custom
        FROM pg_prepared_statements`;
      const sums = plans.filter((p) => p.statement.includes('FROM spend_buckets'));
      expect(sums).toHaveLength(1);
      // Every statement of the ten reservations ran one generic plan, none was planned again.
      expect(plans.map((p) => [p.generic, p.custom])).toEqual(plans.map(() => [10, 0]));
    });
  });
});

describe('the dry run under statistics that favour re-planning', () => {
  it('is planned once per connection, and Prisma’s statements keep their own choice', async () => {
    const { agent, wallet } = await busyAnalysedWallet();
    await withOneConnection(async (prisma) => {
      const spend = new SpendRepository(prisma);
      for (let i = 0; i < 10; i++)
        expect((await spend.evaluateTransfer(smallTransfer(wallet.id, agent.id))).outcome).toBe(
          'ALLOW',
        );
      // The autocommit pool has one connection here: the one that ran the ten dry runs.
      const plans = await sqlPool(prisma).query<{ generic: number; custom: number }>(
        `SELECT generic_plans::int AS generic, custom_plans::int AS custom
         FROM pg_prepared_statements WHERE statement LIKE '%freeze_scope%'`,
      );
      expect(plans).toEqual([{ generic: 10, custom: 0 }]);
      // Prisma's own connections are left to PostgreSQL's choice.
      const [mode] = await prisma.$queryRaw<{ plan_cache_mode: string }[]>`SHOW plan_cache_mode`;
      expect(mode!.plan_cache_mode).toBe('auto');
    });
  });
});

describe('the sums read only the windows the policy uses', () => {
  // `now` half a second into a minute: each window's partial first minute is 59.5 s long.
  const now = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 500);
  const operations = {
    reservation: (spend: SpendRepository, walletId: string, agentId: string) =>
      spend.reserveTransfer(smallTransfer(walletId, agentId, { now }), fakeSign),
    'dry run': (spend: SpendRepository, walletId: string, agentId: string) =>
      spend.evaluateTransfer(smallTransfer(walletId, agentId, { now })),
  };
  type Operation = keyof typeof operations;

  /** Rows of `transactions` ten `operation`s read on a wallet with `history` under `metadata`. */
  const rowsRead = async (
    operation: Operation,
    metadata: Record<string, unknown>,
    history: (walletId: string) => Promise<void>,
  ) => {
    const { agent, wallet } = await ownerWithWallet(admin);
    await setPolicy(admin, wallet.id, { perTxLimit: '1', dailyLimit: '1000000', metadata });
    await history(wallet.id);
    return withOneConnection(async (prisma) => {
      const spend = new SpendRepository(prisma);
      const before = await transactionRowsRead(prisma);
      for (let i = 0; i < 10; i++)
        expect((await operations[operation](spend, wallet.id, agent.id)).outcome).toBe('ALLOW');
      return (await transactionRowsRead(prisma)) - before;
    });
  };

  it.each(Object.keys(operations) as Operation[])(
    '%s: none of a busy wallet’s transfers at the last hour’s edge without a per-hour count',
    async (operation) => {
      // 20,000 transfers over the last 22 hours, one every 4 s: the day's edge (24 hours ago)
      // holds none; the last hour's partial first minute holds 14 or 15. Only maxTxPerHour uses
      // the last hour's count.
      expect(await rowsRead(operation, {}, busyDay)).toBe(0);
      expect(await rowsRead(operation, { maxTxPerHour: 100_000 }, busyDay)).toBeGreaterThanOrEqual(
        10 * 14,
      );
    },
  );

  it('dry run: the rolling day’s edge only when the policy’s day is the rolling one', async () => {
    // 30 transfers in the rolling day's partial first minute (24 hours ago), none elsewhere.
    const atTheRollingEdge = async (walletId: string) => {
      await admin.$executeRaw`
        INSERT INTO transactions (id, wallet_id, amount, network_fee, decimals, destination,
                                  status, policy_outcome, policy_decision, created_at, updated_at)
        SELECT gen_random_uuid(), ${walletId}::uuid, 1000, 5000, 9, 'edge', 'AWAITING_APPROVAL',
               'REQUIRE_APPROVAL', '{}',
               ${now}::timestamptz - interval '24 hours' + g * interval '1 second', now()
        FROM generate_series(1, 30) AS g`;
    };
    expect(await rowsRead('dry run', { dailyWindow: 'UTC_DAY' }, atTheRollingEdge)).toBe(0);
    // The reservation reads its policy's window only; the dry run reads the same.
    expect(await rowsRead('reservation', { dailyWindow: 'ROLLING_24H' }, atTheRollingEdge)).toBe(
      10 * 30,
    );
    expect(await rowsRead('dry run', { dailyWindow: 'ROLLING_24H' }, atTheRollingEdge)).toBe(
      10 * 30,
    );
    // No window named: the default (rolling) is read.
    expect(await rowsRead('dry run', {}, atTheRollingEdge)).toBe(10 * 30);
  });
});
