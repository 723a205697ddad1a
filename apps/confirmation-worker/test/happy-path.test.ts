import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSolanaRpc, type Signature } from '@solana/kit';
import { createCache, CacheKeys, type CacheBundle } from '@waiaas/cache';
import {
  createPrismaClient,
  SpendRepository,
  type PrismaClient,
  type TransactionModel as Transaction,
} from '@waiaas/database';
import { startLocalLedger, type LocalLedger } from '@waiaas/local-ledger';
import {
  createTestDatabase,
  createTestRedis,
  type TestDatabase,
  type TestRedis,
} from '@waiaas/testing';
import { ConfirmationWorker } from '../src/index.js';
import {
  allTerminal,
  balanceOf,
  createOwner,
  createWallet,
  newAddress,
  reserveSolTransfer,
  silentLogger,
  statusCounts,
  testConfig,
  waitFor,
} from './helpers.js';

let db: TestDatabase;
let redis: TestRedis;
let ledger: LocalLedger;
let prisma: PrismaClient;
let spend: SpendRepository;
let cache: CacheBundle;

beforeAll(async () => {
  db = await createTestDatabase();
  redis = createTestRedis();
  ledger = await startLocalLedger({ port: 0, slotMs: 40 });
  prisma = createPrismaClient({ url: db.url, poolSize: 6 });
  spend = new SpendRepository(prisma);
  cache = await createCache({ redisUrl: redis.url, prefix: redis.prefix });
});

afterAll(async () => {
  await cache.close();
  await prisma.$disconnect();
  await ledger.close();
  await redis.cleanup();
  await db.drop();
});

describe('happy path', () => {
  it('confirms every transfer once, with slot and fee, pays the recipients exactly, emits ordered events, and drops cached balances', async () => {
    const owner = await createOwner(prisma);
    const senders = [
      await createWallet(prisma, ledger, owner),
      await createWallet(prisma, ledger, owner),
    ];
    const ourRecipient = await createWallet(prisma, ledger, owner, { fundLamports: 0n });
    const external = [await newAddress(), await newAddress()];
    const recipients = [ourRecipient.address, ...external];

    // Stale balances the API would have cached; the worker must drop the ones it touched.
    // An hour's TTL, not the API's 10 s: only the worker's deletion may remove them, never
    // expiry during a slow run (the outsider's entry must still be there at the end).
    const outsider = await newAddress();
    for (const address of [...senders.map((s) => s.address), ourRecipient.address, outsider]) {
      await cache.cache.set(CacheKeys.balance(address), { lamports: 1n }, 3600);
    }

    // The worker runs while the transfers arrive (woken by NOTIFY), as in production.
    const worker = await ConfirmationWorker.create({
      config: testConfig(db.url, ledger.url, {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: redis.prefix,
      }),
      logger: silentLogger,
      defaultMetrics: false,
    });
    await worker.start();
    const expected = new Map<string, bigint>();
    const transfers: Transaction[] = [];
    try {
      for (let i = 0; i < 24; i++) {
        const to = recipients[i % recipients.length]!;
        const amount = 1_000_000n + BigInt(i);
        expected.set(to, (expected.get(to) ?? 0n) + amount);
        // Half carry the fee the engine plans (the worker records it), half none (the worker
        // asks the node): both must record what the chain charged.
        const planned = i % 2 === 0 ? 5000n : undefined;
        transfers.push(
          await reserveSolTransfer(
            spend,
            ledger.url,
            senders[i % 2]!,
            to,
            amount,
            undefined,
            planned,
          ),
        );
      }
      await waitFor(
        () => allTerminal(prisma),
        30_000,
        async () => JSON.stringify(await statusCounts(prisma)),
      );
    } finally {
      await worker.stop();
    }

    expect(await statusCounts(prisma)).toEqual({ CONFIRMED: 24 });
    const rows = await prisma.transaction.findMany();
    for (const row of rows) {
      expect(row.slot).not.toBeNull();
      expect(row.fee).toBe(5000n);
      const landed = await createSolanaRpc(ledger.url)
        .getTransaction(row.signature! as Signature, {
          commitment: 'confirmed',
          encoding: 'base64',
          maxSupportedTransactionVersion: 0,
        })
        .send();
      expect(landed?.meta?.fee).toBe(row.fee);
      expect(row.confirmedAt).not.toBeNull();
      expect(row.submittedAt).not.toBeNull();
      expect(row.submitAttempts).toBeGreaterThanOrEqual(1);
      expect(ledger.landingCount(row.signature!)).toBe(1);
    }
    for (const [to, sum] of expected) expect(await balanceOf(ledger.url, to as never)).toBe(sum);

    // Each transaction: created → submitted → confirmed, in that order, each exactly once.
    const events = await prisma.event.findMany({
      orderBy: { id: 'asc' },
      where: { transactionId: { not: null } },
    });
    for (const t of transfers) {
      expect(events.filter((e) => e.transactionId === t.id).map((e) => e.type)).toEqual([
        'transaction.created',
        'transaction.submitted',
        'transaction.confirmed',
      ]);
    }
    const confirmed = events.find((e) => e.type === 'transaction.confirmed')!;
    expect(confirmed.actorType).toBe('SYSTEM');
    expect(confirmed.payload).toMatchObject({ status: 'CONFIRMED', fee: '5000' });

    for (const s of senders)
      expect(await cache.cache.get(CacheKeys.balance(s.address))).toBeUndefined();
    expect(await cache.cache.get(CacheKeys.balance(ourRecipient.address))).toBeUndefined();
    // Not touched by any transfer: still cached.
    expect(await cache.cache.get(CacheKeys.balance(outsider))).toEqual({ lamports: 1n });

    const metrics = await worker.metrics.registry.metrics();
    expect(metrics).toMatch(
      /waiaas_worker_transitions_total\{from="SUBMITTED",to="CONFIRMED",reason="none"\} 24/,
    );
    expect(metrics).toMatch(
      /waiaas_worker_transitions_total\{from="PENDING",to="SUBMITTED",reason="none"\} 24/,
    );
  });
});
