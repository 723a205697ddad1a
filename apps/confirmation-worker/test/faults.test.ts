import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type SpendRepository,
  type PrismaClient,
  type TransactionModel as Transaction,
} from '@waiaas/database';
import { type LocalLedger } from '@waiaas/local-ledger';
import { type TestDatabase } from '@waiaas/testing';
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
  openWorkerEnvironment,
  type WorkerEnvironment,
} from './helpers.js';

let db: TestDatabase;
let ledger: LocalLedger;
let prisma: PrismaClient;
let spend: SpendRepository;

let env: WorkerEnvironment;

beforeAll(async () => {
  // 150 blocks of 20 ms: a blockhash expires 3 s after it was produced.
  env = await openWorkerEnvironment({ poolSize: 6, ledger: { slotMs: 20, finalizationDepth: 8 } });
  ({ db, ledger, prisma, spend } = env);
});

afterAll(async () => {
  await env.close();
});

describe('unreliable RPC', () => {
  it('ends every transfer terminal when 30 % of sends are dropped and 10 % of RPC calls fail', async () => {
    const owner = await createOwner(prisma);
    const sender = await createWallet(prisma, ledger, owner);
    const to = await newAddress();
    // Injected errors hit the worker's calls only (reservations read blockhashes, not these).
    ledger.setFaults({
      dropRate: 0.3,
      errorRate: 0.1,
      methods: ['getSignatureStatuses', 'getBlockHeight', 'getTransaction'],
      seed: 7,
    });
    const worker = await ConfirmationWorker.create({
      config: testConfig(db.url, ledger.url, { REBROADCAST_INTERVAL_MS: '100' }),
      logger: silentLogger,
      defaultMetrics: false,
    });
    await worker.start();
    const transfers: Transaction[] = [];
    try {
      for (let i = 0; i < 30; i++)
        transfers.push(
          await reserveSolTransfer(spend, ledger.url, sender, to, 1_000_000n + BigInt(i)),
        );
      await waitFor(
        () => allTerminal(prisma),
        40_000,
        async () => JSON.stringify(await statusCounts(prisma)),
      );
    } finally {
      await worker.stop();
      ledger.setFaults({});
    }

    const rows = await prisma.transaction.findMany({
      where: { id: { in: transfers.map((t) => t.id) } },
    });
    const dropped = rows.filter((r) => ledger.wasDropped(r.signature!));
    expect(dropped.length).toBeGreaterThan(0); // the faults really happened
    let confirmedSum = 0n;
    for (const row of rows) {
      expect(['CONFIRMED', 'FAILED']).toContain(row.status);
      if (row.status === 'CONFIRMED') {
        expect(ledger.landingCount(row.signature!)).toBe(1);
        confirmedSum += BigInt(row.amount.toFixed(0));
      } else {
        expect(row.failureReason).toBe('EXPIRED');
        expect(ledger.landingCount(row.signature!)).toBe(0);
      }
    }
    // Rebroadcasting recovered the dropped ones (attempts > 1), and the money moved once.
    expect(
      rows
        .filter((r) => ledger.wasDropped(r.signature!) && r.status === 'CONFIRMED')
        .every((r) => r.submitAttempts > 1),
    ).toBe(true);
    expect(await balanceOf(ledger.url, to)).toBe(confirmedSum);
    expect(rows.filter((r) => r.status === 'CONFIRMED').length).toBeGreaterThanOrEqual(25);
  });
});

describe('on-chain errors', () => {
  it('fails a transfer that landed with an error as ON_CHAIN_ERROR, with the error and the fee it paid', async () => {
    const owner = await createOwner(prisma);
    const sender = await createWallet(prisma, ledger, owner);
    // Below the rent-exempt minimum for a new account: the runtime refuses it, the fee is paid.
    const broke = await reserveSolTransfer(spend, ledger.url, sender, await newAddress(), 1_000n);
    const worker = await ConfirmationWorker.create({
      config: testConfig(db.url, ledger.url),
      logger: silentLogger,
      defaultMetrics: false,
    });
    await worker.start();
    try {
      await waitFor(
        async () =>
          (await prisma.transaction.findUniqueOrThrow({ where: { id: broke.id } })).status ===
          'FAILED',
        20_000,
      );
    } finally {
      await worker.stop();
    }
    const row = await prisma.transaction.findUniqueOrThrow({ where: { id: broke.id } });
    expect(row.failureReason).toBe('ON_CHAIN_ERROR');
    expect(JSON.parse(row.errorMsg!)).toEqual({ InsufficientFundsForRent: { account_index: 1 } });
    expect(row.fee).toBe(5000n);
    expect(row.slot).not.toBeNull();
    expect(ledger.landingCount(row.signature!)).toBe(1);
  });
});

describe('expiry', () => {
  it('expires a transfer that can never land and frees its spend', async () => {
    const owner = await createOwner(prisma);
    // The whole daily budget fits exactly one 0.5 SOL transfer.
    const sender = await createWallet(prisma, ledger, owner, {
      perTxLimit: '0.5',
      dailyLimit: '0.5',
    });
    const to = await newAddress();
    const doomed = await reserveSolTransfer(spend, ledger.url, sender, to, 500_000_000n);
    await expect(reserveSolTransfer(spend, ledger.url, sender, to, 500_000_000n)).rejects.toThrow(
      /DAILY_LIMIT_EXCEEDED/,
    );

    ledger.setFaults({ dropRate: 1 }); // every send is acknowledged and never lands
    const worker = await ConfirmationWorker.create({
      config: testConfig(db.url, ledger.url),
      logger: silentLogger,
      defaultMetrics: false,
    });
    await worker.start();
    try {
      await waitFor(
        async () =>
          (await prisma.transaction.findUniqueOrThrow({ where: { id: doomed.id } })).status ===
          'FAILED',
        30_000,
      );
    } finally {
      await worker.stop();
      ledger.setFaults({});
    }

    const row = await prisma.transaction.findUniqueOrThrow({ where: { id: doomed.id } });
    expect(row.failureReason).toBe('EXPIRED');
    expect(row.submitAttempts).toBeGreaterThan(1); // it was rebroadcast while valid
    expect(ledger.blockHeight).toBeGreaterThan(row.lastValidBlockHeight!);
    expect(ledger.landingCount(row.signature!)).toBe(0);
    const events = await prisma.event.findMany({
      where: { transactionId: doomed.id },
      orderBy: { id: 'asc' },
    });
    expect(events.map((e) => e.type)).toEqual([
      'transaction.created',
      'transaction.submitted',
      'transaction.failed',
    ]);
    expect(events[2]!.payload).toMatchObject({ failureReason: 'EXPIRED' });

    // Provably dead: the same bytes, sent again with faults off, never land.
    const rpc = (await import('@solana/kit')).createSolanaRpc(ledger.url);
    await rpc
      .sendTransaction(Buffer.from(row.wireTransaction!).toString('base64') as never, {
        encoding: 'base64',
        skipPreflight: true,
      })
      .send();
    ledger.advanceSlots(2);
    expect(ledger.landingCount(row.signature!)).toBe(0);

    // The spend is free again: the same transfer is allowed now.
    const again = await reserveSolTransfer(spend, ledger.url, sender, to, 500_000_000n);
    expect(again.status).toBe('PENDING');
  });
});
