import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  ConsoleSessionRepository,
  createPrismaClient,
  Prisma,
  type PrismaClient,
  SpendReportRepository,
  type TxStatus,
  WebhookEndpointRepository,
} from '../src/index.js';
import {
  fakeSign,
  newAddress,
  ownerWithWallet,
  pastTransfers,
  rowsRead,
  transactionRowsRead,
} from './support/fixtures.js';

let db: TestDatabase;
let prisma: PrismaClient;
let sessions: ConsoleSessionRepository;
let report: SpendReportRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 4 });
  sessions = new ConsoleSessionRepository(prisma);
  report = new SpendReportRepository(prisma);
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const hash = (text: string) => createHash('sha256').update(text).digest('hex');
const HOUR = 3_600_000;

function newSession(owner: { id: string; apiKeyHash: string }, now: Date, ttlMs = HOUR) {
  const token = randomBytes(32).toString('base64url');
  return {
    token,
    input: {
      ownerId: owner.id,
      tokenHash: hash(token),
      ownerKeyHash: owner.apiKeyHash,
      now,
      expiresAt: new Date(now.getTime() + ttlMs),
    },
  };
}

describe('ConsoleSessionRepository', () => {
  it('finds a session until it expires, is deleted, or the owner key changes', async () => {
    const { owner } = await ownerWithWallet(prisma);
    const now = new Date();
    const { token, input } = newSession(owner, now);
    const created = await sessions.create(input);
    expect(created).toMatchObject({ ownerId: owner.id, expiresAt: input.expiresAt });

    expect(await sessions.findValid(hash(token), now)).toMatchObject({ id: created?.id });
    // Expired: valid strictly before expiresAt.
    expect(await sessions.findValid(hash(token), input.expiresAt)).toBeNull();
    expect(await sessions.findValid(hash('another token'), now)).toBeNull();

    await prisma.owner.update({
      where: { id: owner.id },
      data: { apiKeyHash: randomBytes(32).toString('hex') },
    });
    expect(await sessions.findValid(hash(token), now)).toBeNull();
  });

  it('refuses to create a session for a key that is no longer the owner key', async () => {
    const { owner } = await ownerWithWallet(prisma);
    const { input } = newSession({ ...owner, apiKeyHash: hash('rotated away') }, new Date());
    expect(await sessions.create(input)).toBeNull();
    expect(await prisma.consoleSession.count({ where: { ownerId: owner.id } })).toBe(0);
  });

  it('deletes one session by token, all of an owner, and expired ones at the next sign-in', async () => {
    const { owner } = await ownerWithWallet(prisma);
    const now = new Date();
    const a = newSession(owner, now);
    const b = newSession(owner, now);
    await sessions.create(a.input);
    await sessions.create(b.input);
    expect(await sessions.deleteByTokenHash(a.input.tokenHash)).toBe(true);
    expect(await sessions.deleteByTokenHash(a.input.tokenHash)).toBe(false);
    expect(await sessions.findValid(b.input.tokenHash, now)).not.toBeNull();
    expect(await sessions.deleteForOwner(owner.id)).toBe(1);

    const old = newSession(owner, new Date(now.getTime() - 3 * HOUR));
    await sessions.create(old.input);
    await sessions.create(newSession(owner, now).input);
    expect(await prisma.consoleSession.count({ where: { ownerId: owner.id } })).toBe(1);
  });
});

describe('SpendReportRepository', () => {
  it('sums what counts against the limits per asset, per window and per UTC day', async () => {
    const { wallet, agent } = await ownerWithWallet(prisma);
    const mint = newAddress();
    const day = (iso: string) => new Date(iso);
    const rows: [TxStatus, string | null, bigint, Date][] = [
      ['CONFIRMED', null, 250_000_000n, day('2026-11-20T10:00:00Z')],
      ['AWAITING_APPROVAL', null, 100_000_000n, day('2026-11-20T23:59:59.999Z')],
      ['REJECTED', null, 7_000_000_000n, day('2026-11-20T12:00:00Z')],
      ['FAILED', null, 9_000_000_000n, day('2026-11-21T12:00:00Z')],
      ['AWAITING_APPROVAL', mint, 5_000_000n, day('2026-11-21T00:00:00Z')],
      ['AWAITING_APPROVAL', null, 1n, day('2026-11-21T08:00:00Z')],
    ];
    for (const [status, asset, amount, createdAt] of rows) {
      const signed = status === 'CONFIRMED' ? await fakeSign() : undefined;
      await prisma.transaction.create({
        data: {
          walletId: wallet.id,
          agentId: agent.id,
          status,
          asset,
          amount: new Prisma.Decimal(amount.toString()),
          decimals: asset === null ? 9 : 6,
          destination: newAddress(),
          policyOutcome: 'REQUIRE_APPROVAL',
          policyDecision: {},
          ...(status === 'FAILED' ? { failureReason: 'POLICY' as const } : {}),
          ...(signed === undefined
            ? {}
            : { ...signed, wireTransaction: Buffer.from(signed.wireTransaction) }),
          createdAt,
        },
      });
    }
    expect(await report.spentSince(wallet.id, day('2026-11-20T00:00:00Z'))).toEqual([
      { asset: null, decimals: 9, spent: 350_000_001n, count: 3 },
      { asset: mint, decimals: 6, spent: 5_000_000n, count: 1 },
    ]);
    expect(await report.spentSince(wallet.id, day('2026-11-21T00:00:00Z'))).toEqual([
      { asset: null, decimals: 9, spent: 1n, count: 1 },
      { asset: mint, decimals: 6, spent: 5_000_000n, count: 1 },
    ]);
    expect(await report.spentPerDay(wallet.id, day('2026-11-19T00:00:00Z'))).toEqual([
      { day: '2026-11-20', asset: null, decimals: 9, spent: 350_000_000n, count: 2 },
      { day: '2026-11-21', asset: null, decimals: 9, spent: 1n, count: 1 },
      { day: '2026-11-21', asset: mint, decimals: 6, spent: 5_000_000n, count: 1 },
    ]);
  });
});

describe('SpendReportRepository against the transactions themselves', () => {
  const MINT_6 = newAddress();
  const MINT_9 = newAddress();
  const BASE = Date.UTC(2026, 10, 14);
  const DAY = 86_400_000;
  const transfer = fc.record({
    asset: fc.constantFrom<string | null>(null, MINT_6, MINT_9),
    amount: fc.bigInt({ min: 1n, max: 10n ** 12n }),
    fee: fc.constantFrom(0n, 5_000n, 10_000n),
    // Eight days, to the millisecond: some land on a minute's or an hour's first instant.
    at: fc.oneof(
      // Unbiased: fast-check's small and boundary values would put most on BASE itself.
      { arbitrary: fc.noBias(fc.integer({ min: 0, max: 8 * DAY - 1 })), weight: 3 },
      fc.integer({ min: 0, max: 8 * 24 - 1 }).map((h) => h * HOUR),
    ),
    status: fc.constantFrom<TxStatus>(
      'AWAITING_APPROVAL',
      'AWAITING_APPROVAL',
      'DELAYED',
      'REJECTED',
    ),
    // Stops counting after it was stored: its buckets keep their rows, at zero when it was alone.
    failsLater: fc.boolean(),
  });
  // A start anywhere, on an hour or a minute, or (half the time) up to 30 s before one of the
  // transfers that count, so that the range's partial first minute, read from the transactions,
  // holds some.
  const since = fc.oneof(
    fc.noBias(fc.integer({ min: 0, max: 8 * DAY })).map((at) => () => at),
    fc.integer({ min: 0, max: 8 * 24 }).map((h) => () => h * HOUR),
    fc.integer({ min: 0, max: 8 * 24 * 60 }).map((m) => () => m * 60_000),
    {
      arbitrary: fc.tuple(fc.nat(), fc.noBias(fc.integer({ min: 0, max: 30_000 }))).map(
        ([pick, back]) =>
          (ats: number[]) =>
            ats[pick % ats.length]! - back,
      ),
      weight: 3,
    },
  );

  /** The report's figures as the transactions give them (the pre-bucket statement). */
  async function recomputed(walletId: string, from: Date, perDay: boolean) {
    const rows = await prisma.$queryRaw<
      {
        day: string;
        asset: string | null;
        decimals: number;
        spent: string;
        fees: string;
        count: number;
      }[]
    >`
      SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, asset,
             MAX(decimals)::int AS decimals, SUM(amount)::text AS spent,
             SUM(network_fee)::text AS fees, COUNT(*)::int AS count
      FROM transactions
      WHERE wallet_id = ${walletId}::uuid AND status NOT IN ('FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED')
        AND created_at >= ${from}
      GROUP BY 1, 2`;
    const out = new Map<
      string,
      { day: string; asset: string | null; decimals: number; spent: bigint; count: number }
    >();
    for (const r of rows) {
      const day = perDay ? r.day : '';
      // Fees are spent in SOL, whichever asset's transfer paid them.
      const sol = `${day}|`;
      const own = `${day}|${r.asset ?? ''}`;
      const entry = out.get(own) ?? {
        day,
        asset: r.asset,
        decimals: r.decimals,
        spent: 0n,
        count: 0,
      };
      entry.spent += BigInt(r.spent);
      entry.count += r.count;
      out.set(own, entry);
      if (BigInt(r.fees) > 0n) {
        const solEntry = out.get(sol) ?? { day, asset: null, decimals: 9, spent: 0n, count: 0 };
        solEntry.spent += BigInt(r.fees);
        out.set(sol, solEntry);
      }
    }
    return [...out.values()]
      .sort((a, b) => (a.day + '|' + (a.asset ?? '')).localeCompare(b.day + '|' + (b.asset ?? '')))
      .map(({ day, ...rest }) => (perDay ? { day, ...rest } : rest));
  }

  it('reports what a sum over the transactions reports, for any start', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(transfer, { minLength: 1, maxLength: 40 }),
        fc.array(since, { minLength: 1, maxLength: 4 }),
        async (transfers, starts) => {
          const { wallet, agent } = await ownerWithWallet(prisma);
          for (const t of transfers) {
            const row = await prisma.transaction.create({
              data: {
                walletId: wallet.id,
                agentId: agent.id,
                status: t.status,
                asset: t.asset,
                amount: new Prisma.Decimal(t.amount.toString()),
                networkFee: new Prisma.Decimal(t.fee.toString()),
                decimals: t.asset === MINT_6 ? 6 : 9,
                destination: newAddress(),
                policyOutcome: 'REQUIRE_APPROVAL',
                policyDecision: {},
                createdAt: new Date(BASE + t.at),
                ...(t.status === 'DELAYED' ? { dueAt: new Date(BASE + 9 * DAY) } : {}),
              },
            });
            if (t.failsLater)
              await prisma.transaction.update({
                where: { id: row.id },
                data: { status: 'FAILED', failureReason: 'POLICY' },
              });
          }
          for (const start of starts) {
            const counting = transfers.filter((t) => t.status !== 'REJECTED' && !t.failsLater);
            const from = new Date(
              BASE + start((counting.length > 0 ? counting : transfers).map((t) => t.at)),
            );
            const byAsset = (rows: { asset: string | null }[]) =>
              [...rows].sort((a, b) => (a.asset ?? '').localeCompare(b.asset ?? ''));
            expect(byAsset(await report.spentSince(wallet.id, from))).toEqual(
              byAsset(await recomputed(wallet.id, from, false)),
            );
            const perDay = await report.spentPerDay(wallet.id, from);
            expect(
              [...perDay].sort((a, b) =>
                (a.day + '|' + (a.asset ?? '')).localeCompare(b.day + '|' + (b.asset ?? '')),
              ),
            ).toEqual(await recomputed(wallet.id, from, true));
          }
        },
      ),
      { numRuns: 30, seed: Number(process.env.PROPERTY_SEED ?? 20261203) },
    );
  });
});

describe('SpendReportRepository on a busy wallet', () => {
  it('reads the range’s first minute of transfers, not the wallet’s history', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    // 20,000 transfers that count, one every 4 s over the last 22 hours.
    await pastTransfers(prisma, wallet.id, { count: 20_000 });
    const reader = createPrismaClient({ url: db.url, poolSize: 1 });
    try {
      const busyReport = new SpendReportRepository(reader);
      const before = await transactionRowsRead(reader);
      // Starts in the middle of a minute of transfers (about 15 in its partial first minute).
      const since = new Date(Date.now() - 3 * HOUR - 30_000);
      const [window] = await busyReport.spentSince(wallet.id, since);
      const days = await busyReport.spentPerDay(wallet.id, new Date(Date.now() - 7 * 24 * HOUR));
      expect(window).toMatchObject({ asset: null, decimals: 9 });
      expect(days.reduce((n, d) => n + d.count, 0)).toBe(20_000);
      expect((await transactionRowsRead(reader)) - before).toBeLessThan(40);
    } finally {
      await reader.$disconnect();
    }
  });
});

describe('WebhookEndpointRepository.recentDeliveries', () => {
  /** `count` deliveries of one event each to the owner's endpoint, one a second up to now. */
  async function delivered(owner: { id: string }, walletId: string, count: number) {
    const endpoint = await prisma.webhookEndpoint.create({
      data: { ownerId: owner.id, url: 'https://example.com/hook', signingSecret: 'x'.repeat(32) },
    });
    await prisma.$executeRaw`
      WITH ev AS (
        INSERT INTO events (type, actor_type, owner_id, wallet_id, payload, created_at)
        SELECT 'transaction.confirmed', 'SYSTEM', ${owner.id}::uuid, ${walletId}::uuid, '{}',
               now() - (${count}::int - g) * interval '1 second'
        FROM generate_series(1, ${count}::int) AS g
        RETURNING id, created_at)
      INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts,
                                      next_attempt_at, delivered_at, created_at)
      SELECT gen_random_uuid(), ${endpoint.id}::uuid, ev.id, 'DELIVERED', 1, ev.created_at,
             ev.created_at, ev.created_at
      FROM ev`;
    return endpoint;
  }

  it('reads the newest deliveries, not the endpoint’s history', async () => {
    const { owner, wallet } = await ownerWithWallet(prisma);
    const other = await ownerWithWallet(prisma);
    const endpoint = await delivered(owner, wallet.id, 30_000);
    await delivered(other.owner, other.wallet.id, 1_000);
    await prisma.$executeRawUnsafe('ANALYZE webhook_deliveries');
    const newest = await prisma.webhookDelivery.findMany({
      where: { endpointId: endpoint.id },
      orderBy: { createdAt: 'desc' },
      take: 20,
    });

    const reader = createPrismaClient({ url: db.url, poolSize: 1 });
    try {
      const before = await rowsRead(reader, 'webhook_deliveries');
      const recent = await new WebhookEndpointRepository(reader).recentDeliveries(endpoint.id, 20);
      expect(recent.map((d) => d.id)).toEqual(newest.map((d) => d.id));
      expect(recent[0]!.event.type).toBe('transaction.confirmed');
      // The 20 shown, where ordering by when each was created read all 30,000 to sort them.
      expect((await rowsRead(reader, 'webhook_deliveries')) - before).toBeLessThan(25);
    } finally {
      await reader.$disconnect();
    }
  });
});
