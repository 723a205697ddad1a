import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type SpendRepository, type PrismaClient } from '@waiaas/database';
import { type LocalLedger } from '@waiaas/local-ledger';
import { type TestDatabase } from '@waiaas/testing';
import { ConfirmationWorker, type ClaimObserver } from '../src/index.js';
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
  env = await openWorkerEnvironment({ poolSize: 8, ledger: { slotMs: 40 } });
  ({ db, ledger, prisma, spend } = env);
});

afterAll(async () => {
  await env.close();
});

const ORDER = ['transaction.created', 'transaction.submitted'];

describe('three workers at once', () => {
  it('never lets two workers hold one transaction, and statuses only move forward', async () => {
    const owner = await createOwner(prisma);
    const senders = await Promise.all([0, 1, 2].map(() => createWallet(prisma, ledger, owner)));
    const to = await newAddress();
    ledger.setFaults({ dropRate: 0.3, seed: 3 }); // keeps rows SUBMITTED longer, so claims contend

    // Who holds what, observed inside each worker's lock lifetime (see ClaimObserver).
    const holders = new Map<string, string>();
    const violations: string[] = [];
    const claimsBy = new Map<string, number>();
    const observer = (name: string): ClaimObserver => ({
      claimed(kind, ids) {
        claimsBy.set(name, (claimsBy.get(name) ?? 0) + ids.length);
        for (const id of ids) {
          const holder = holders.get(id);
          if (holder !== undefined)
            violations.push(`${id} claimed by ${name} (${kind}) while held by ${holder}`);
          holders.set(id, name);
        }
      },
      released(_kind, ids) {
        for (const id of ids) if (holders.get(id) === name) holders.delete(id);
      },
    });
    const workers = await Promise.all(
      ['w1', 'w2', 'w3'].map((name) =>
        ConfirmationWorker.create({
          config: testConfig(db.url, ledger.url, {
            BATCH_SIZE: '10',
            CONFIRM_BATCH_SIZE: '10',
            WORKER_ID: name,
            REBROADCAST_INTERVAL_MS: '150',
          }),
          logger: silentLogger,
          observer: observer(name),
          defaultMetrics: false,
        }),
      ),
    );
    await Promise.all(workers.map((w) => w.start()));

    // Transfers arrive while the workers run (woken by NOTIFY).
    const ids: string[] = [];
    let sum = 0n;
    try {
      await Promise.all(
        senders.map(async (sender, s) => {
          for (let i = 0; i < 40; i++) {
            const amount = 1_000_000n + BigInt(s * 100 + i);
            const tx = await reserveSolTransfer(spend, ledger.url, sender, to, amount);
            ids.push(tx.id);
          }
        }),
      );
      await waitFor(
        () => allTerminal(prisma),
        60_000,
        async () => JSON.stringify(await statusCounts(prisma)),
      );
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      ledger.setFaults({});
    }

    expect(violations).toEqual([]);
    expect(ids).toHaveLength(120);
    // The work was shared (SKIP LOCKED hands different rows to different workers).
    expect([...claimsBy.values()].filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);

    const rows = await prisma.transaction.findMany();
    for (const row of rows) {
      if (row.status === 'CONFIRMED') sum += BigInt(row.amount.toFixed(0));
      expect(ledger.landingCount(row.signature!)).toBe(row.status === 'CONFIRMED' ? 1 : 0);
    }
    expect(await balanceOf(ledger.url, to)).toBe(sum);

    // The event log per transaction: created, submitted, then exactly one terminal event.
    const events = await prisma.event.findMany({
      orderBy: { id: 'asc' },
      where: { transactionId: { not: null } },
    });
    const byTx = new Map<string, string[]>();
    for (const e of events)
      byTx.set(e.transactionId!, [...(byTx.get(e.transactionId!) ?? []), e.type]);
    for (const row of rows) {
      const types = byTx.get(row.id) ?? [];
      const terminal = row.status === 'CONFIRMED' ? 'transaction.confirmed' : 'transaction.failed';
      expect(types).toEqual([...ORDER, terminal]);
    }
  });
});
