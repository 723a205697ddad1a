import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  ConsoleSessionRepository,
  createPrismaClient,
  Prisma,
  type PrismaClient,
  SpendReportRepository,
  type TxStatus,
} from '../src/index.js';
import { fakeSign, newAddress, ownerWithWallet } from './support/fixtures.js';

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
