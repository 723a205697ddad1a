/**
 * Spend-accounting benchmark: reservations per second through SpendRepository, against the
 * ceiling of a bare `pg` two-statement transaction (lock + insert) measured in the same run on
 * the same machine. Prints a table. Needs DATABASE_URL pointing at a server where it
 * may create (and then drops) a scratch database.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres pnpm --filter @waiaas/database bench
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { getAddressDecoder } from '@solana/addresses';
import {
  createPrismaClient,
  migrate,
  Prisma,
  SpendRepository,
  type SignedTransfer,
} from '../src/index.js';

const base = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = `waiaas_bench_${randomBytes(4).toString('hex')}`;
const url = (() => {
  const u = new URL(base);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const N = Number(process.env.BENCH_N ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const addresses = getAddressDecoder();
const addr = () => addresses.decode(randomBytes(32));
const sign = (): Promise<SignedTransfer> =>
  Promise.resolve({
    signature: addr() + addr(),
    wireTransaction: new Uint8Array(200),
    blockhash: addr(),
    lastValidBlockHeight: 1n,
  });

async function timed(
  label: string,
  total: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(2);
  return {
    scenario: label,
    'ops/s': Math.round(total / elapsed),
    'p50 ms': pct(50),
    'p99 ms': pct(99),
  };
}

const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}"`);
try {
  await migrate({ connectionString: url });
  // Seeding 50,000 rows (each through the bucket trigger) takes longer than the default 5 s.
  const prisma = createPrismaClient({
    url,
    poolSize: CONCURRENCY + 2,
    statementTimeoutMs: 300_000,
  });
  const spend = new SpendRepository(prisma);
  const owner = await prisma.owner.create({
    data: { email: `${randomUUID()}@bench`, apiKeyHash: randomUUID() },
  });
  const wallets = await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      const w = await prisma.wallet.create({
        data: { ownerId: owner.id, address: addr(), custody: 'LOCAL' },
      });
      await prisma.walletPolicy.create({
        data: {
          walletId: w.id,
          perTxLimit: new Prisma.Decimal(1),
          dailyLimit: new Prisma.Decimal('1000000'),
        },
      });
      return w.id;
    }),
  );
  const request = (walletId: string) => ({
    walletId,
    agentId: null,
    idempotencyKey: null,
    asset: null,
    amount: 1000n,
    decimals: 9,
    destination: addr(),
    memo: null,
    now: new Date(),
  });

  const pool = new pg.Pool({ connectionString: url, max: CONCURRENCY + 2 });
  const bare = async (i: number) => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT owner_id FROM wallets WHERE id = $1 FOR UPDATE', [
        wallets[i % wallets.length],
      ]);
      await c.query(
        `INSERT INTO events (type, actor_type, payload) VALUES ('bench', 'SYSTEM', '{}')`,
      );
      await c.query('COMMIT');
    } finally {
      c.release();
    }
  };

  const rows = [];
  rows.push(await timed('ceiling: bare pg lock + insert, 8 wallets', N, CONCURRENCY, bare));
  rows.push(
    await timed('reserveTransfer, 1 wallet, sequential', Math.min(N, 200), 1, () =>
      spend.reserveTransfer(request(wallets[0]!), sign),
    ),
  );
  rows.push(
    await timed(
      `reserveTransfer, ${CONCURRENCY} wallets, ${CONCURRENCY} concurrent`,
      N,
      CONCURRENCY,
      (i) => spend.reserveTransfer(request(wallets[i % wallets.length]!), sign),
    ),
  );
  rows.push(
    await timed('evaluateTransfer (dry run), 1 wallet', Math.min(N, 200), 1, () =>
      spend.evaluateTransfer(request(wallets[1]!)),
    ),
  );

  // Cost against history: one wallet with none, one with HISTORY counting transactions spread
  // over its 24 h window. Rounds alternate between the two so machine noise hits both alike.
  const HISTORY = Number(process.env.BENCH_HISTORY ?? 50_000);
  const [fresh, busy] = await Promise.all(
    [0, 1].map(async () => {
      const w = await prisma.wallet.create({
        data: { ownerId: owner.id, address: addr(), custody: 'LOCAL' },
      });
      await prisma.walletPolicy.create({
        data: {
          walletId: w.id,
          perTxLimit: new Prisma.Decimal(1),
          dailyLimit: new Prisma.Decimal('1000000'),
        },
      });
      return w.id;
    }),
  );
  await prisma.$executeRaw`
    INSERT INTO transactions (id, wallet_id, amount, network_fee, decimals, destination, status,
                              policy_outcome, policy_decision, created_at, updated_at)
    SELECT gen_random_uuid(), ${busy}::uuid, 1000, 5000, 9, 'bench', 'AWAITING_APPROVAL',
           'REQUIRE_APPROVAL', '{}', now() - (g * interval '1 second') * (86000.0 / ${HISTORY}), now()
    FROM generate_series(1, ${HISTORY}) AS g`;
  const ROUNDS = 6;
  const PER_ROUND = Math.max(25, Math.floor(Math.min(N, 300) / ROUNDS));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const compare = async (state: string) => {
    const history: { fresh: number[]; busy: number[] } = { fresh: [], busy: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, id] of [
        ['fresh', fresh],
        ['busy', busy],
      ] as const) {
        const r = await timed(name, PER_ROUND, 1, () => spend.reserveTransfer(request(id!), sign));
        history[name].push(r['ops/s']);
      }
    }
    const historyRows = [
      {
        scenario: 'reserveTransfer, 1 wallet, 0 transactions in its window',
        'ops/s': median(history.fresh),
      },
      {
        scenario: `reserveTransfer, 1 wallet, ${HISTORY.toLocaleString('en')} transactions in its window, ${state}`,
        'ops/s': median(history.busy),
      },
    ];
    console.table(historyRows);
    const diff =
      Math.abs(historyRows[0]!['ops/s'] - historyRows[1]!['ops/s']) / historyRows[0]!['ops/s'];
    console.log(
      `reservations/s with ${HISTORY.toLocaleString('en')} (${state}) vs 0 transactions in the window differ by ${(diff * 100).toFixed(1)} % (median of ${ROUNDS} alternating rounds of ${PER_ROUND})`,
    );
  };
  // Right after the bulk insert, every hour bucket of the busy wallet carries the ~2,000 dead
  // versions its trigger updates left (one transaction: no pruning yet), and the bucket read
  // walks them: the cost of churn no vacuum has cleaned, shown for what it is.
  await prisma.$executeRawUnsafe('ANALYZE transactions, spend_buckets');
  await compare('just bulk-inserted, not vacuumed');
  // The steady state of a wallet whose history built up over a day: autovacuum has been
  // through the tables meanwhile (its default trigger, 50 rows + 20 % of a table changed, is
  // reached quickly by a small table whose rows every transfer updates).
  await prisma.$executeRawUnsafe('VACUUM (ANALYZE) transactions, spend_buckets');
  await compare('vacuumed as autovacuum leaves it');
  // Then the wallet keeps transferring: 5,000 reservations of its own (8 at a time) update its
  // current hour and minute buckets and add rows, the churn a busy wallet makes between two
  // vacuums. The statements are prepared: this is also where a generic plan that reads every
  // row of the wallet would show.
  for (let i = 0; i < 5_000; i += CONCURRENCY)
    await Promise.all(
      Array.from({ length: CONCURRENCY }, () => spend.reserveTransfer(request(busy!), sign)),
    );
  await compare('then 5,000 more of its own, not vacuumed');

  console.table(rows);
  const ceiling = rows[0]!['ops/s'];
  console.log(
    `reserveTransfer (${CONCURRENCY} wallets) reaches ${((rows[2]!['ops/s'] / ceiling) * 100).toFixed(0)} % of the bare-pg ceiling`,
  );
  await pool.end();
  await prisma.$disconnect();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
}
