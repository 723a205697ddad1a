// The delay tier end to end: a transfer above the policy's delay threshold is stored DELAYED
// (unsigned, holding its budget, announced with `transaction.delayed`), the owner can cancel it
// (CANCELLED, budget back), and when it is due an API process releases it under a re-check of
// the policy (PENDING, then the real worker confirms it on the local ledger) or fails it
// (FAILED/POLICY). Approval comes first and the delay runs from it. Releases are exactly-once
// with two API instances releasing and the owner cancelling at the same time.
import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { address } from '@solana/kit';
import { ConfirmationWorker, loadConfig as loadWorkerConfig } from '@waiaas/confirmation-worker';
import { pino } from 'pino';
import {
  call,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  startHarness,
  startInstance,
  waitFor,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
const DELAY_SECONDS = 3_600;

let h: Harness;
let owner: { id: string; key: string };
let agent: { id: string; key: string };
/** The API's clock: tests move it past a transfer's `dueAt` instead of waiting an hour. */
let now = new Date();

beforeAll(async () => {
  h = await startHarness({ DELAY_RELEASE_INTERVAL_MS: '50' }, { clock: () => now });
  owner = await createOwner(h.app);
  agent = await createAgent(h.app, owner.key, 'payout-bot');
});

afterAll(async () => {
  await h.close();
});

function transfer(walletId: string, amount: string, app: NestFastifyApplication = h.app) {
  return call(app, 'POST', `/v1/wallets/${walletId}/transfers`, {
    token: agent.key,
    body: { to: RECIPIENT, amount },
    headers: { 'idempotency-key': randomUUID() },
  });
}

async function walletWithPolicy(
  policy: Record<string, unknown>,
  fund = 0n,
): Promise<{ id: string; address: string }> {
  const wallet = await createWallet(h.app, owner.key);
  await grant(h.app, owner.key, wallet.id, agent.id);
  const put = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
    token: owner.key,
    body: policy,
  });
  expect(put.status).toBe(200);
  if (fund > 0n) {
    await h.ledger.airdrop(address(wallet.address), fund);
    h.ledger.advanceSlots(1);
  }
  return wallet;
}

const delayed = (perTx = '2', daily = '2') => ({
  perTxLimit: perTx,
  dailyLimit: daily,
  metadata: { delayThreshold: '0.5', delaySeconds: DELAY_SECONDS },
});

async function status(id: string): Promise<string> {
  const row = await h.prisma.transaction.findUniqueOrThrow({ where: { id } });
  return row.status;
}

describe('the delay tier', () => {
  it('delays above the threshold, holds the budget, announces it, and the owner cancels it', async () => {
    now = new Date();
    const wallet = await walletWithPolicy(delayed());
    const small = await transfer(wallet.id, '0.4');
    expect(small.body.transaction.status).toBe('PENDING');

    const big = await transfer(wallet.id, '1.5');
    expect(big.status).toBe(201);
    const tx = big.body.transaction as Record<string, unknown>;
    expect(tx).toEqual(
      expect.objectContaining({
        status: 'DELAYED',
        signature: null,
        dueAt: new Date(now.getTime() + DELAY_SECONDS * 1000).toISOString(),
        expiresAt: null,
      }),
    );
    expect((tx.policy as { reasons: { code: string }[] }).reasons.map((r) => r.code)).toEqual([
      'DELAY_REQUIRED',
    ]);
    const row = await h.prisma.transaction.findUniqueOrThrow({ where: { id: String(tx.id) } });
    expect(row.wireTransaction).toBeNull();

    // The notification: amount, recipient, reasons, when it is due and how to cancel it.
    const event = await h.prisma.event.findFirstOrThrow({
      where: { type: 'transaction.delayed', transactionId: String(tx.id) },
    });
    expect(event.payload).toEqual(
      expect.objectContaining({
        status: 'DELAYED',
        amount: '1500000000',
        destination: RECIPIENT,
        agentName: 'payout-bot',
        reasons: [expect.objectContaining({ code: 'DELAY_REQUIRED', delaySeconds: DELAY_SECONDS })],
        cancel: { method: 'POST', path: `/v1/transactions/${String(tx.id)}/cancel` },
      }),
    );
    expect(new Date(String((event.payload as { dueAt: string }).dueAt)).toISOString()).toBe(
      tx.dueAt,
    );

    // While it waits it holds its 1.5 SOL: 0.2 more would pass 2 SOL with the fees.
    const held = await transfer(wallet.id, '0.2');
    expectProblem(held, 403, 'POLICY_DENIED');
    expect((held.body.reasons as { code: string }[]).map((r) => r.code)).toEqual([
      'DAILY_LIMIT_EXCEEDED',
    ]);

    // Only its owner can cancel it; an agent is refused, another owner sees nothing.
    const stranger = await createOwner(h.app);
    expectProblem(
      await call(h.app, 'POST', `/v1/transactions/${String(tx.id)}/cancel`, {
        token: stranger.key,
      }),
      404,
      'NOT_FOUND',
    );
    expect(
      (await call(h.app, 'POST', `/v1/transactions/${String(tx.id)}/cancel`, { token: agent.key }))
        .status,
    ).toBe(403);

    const cancelled = await call(h.app, 'POST', `/v1/transactions/${String(tx.id)}/cancel`, {
      token: owner.key,
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.transaction).toEqual(
      expect.objectContaining({ status: 'CANCELLED', signature: null }),
    );
    // Budget back at once.
    expect((await transfer(wallet.id, '0.2')).body.transaction.status).toBe('PENDING');

    // Not DELAYED any more: 409 with the status it has; and never released, even when due.
    const again = await call(h.app, 'POST', `/v1/transactions/${String(tx.id)}/cancel`, {
      token: owner.key,
    });
    expectProblem(again, 409, 'TRANSACTION_NOT_DELAYED');
    expect(again.body.transactionStatus).toBe('CANCELLED');
    expectProblem(
      await call(h.app, 'POST', `/v1/transactions/${String(small.body.transaction.id)}/cancel`, {
        token: owner.key,
      }),
      409,
      'TRANSACTION_NOT_DELAYED',
    );
    now = new Date(now.getTime() + (DELAY_SECONDS + 1) * 1000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await status(String(tx.id))).toBe('CANCELLED');
    expect(
      await h.prisma.event.count({
        where: { transactionId: String(tx.id), type: 'transaction.released' },
      }),
    ).toBe(0);
  });

  it('releases a due transfer with a fresh signature, and the worker confirms it on the ledger', async () => {
    now = new Date();
    const wallet = await walletWithPolicy(delayed(), 5_000_000_000n);
    const big = await transfer(wallet.id, '1');
    const id = String(big.body.transaction.id);
    expect(big.body.transaction.status).toBe('DELAYED');

    // Not before it is due.
    now = new Date(now.getTime() + (DELAY_SECONDS - 1) * 1000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await status(id)).toBe('DELAYED');

    now = new Date(now.getTime() + 2_000);
    await waitFor(async () => (await status(id)) === 'PENDING', 'the release');
    const released = await call(h.app, 'GET', `/v1/transactions/${id}`, { token: agent.key });
    expect(released.body.transaction.signature).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
    const late = await call(h.app, 'POST', `/v1/transactions/${id}/cancel`, { token: owner.key });
    expectProblem(late, 409, 'TRANSACTION_NOT_DELAYED');
    expect(late.body.transactionStatus).toBe('PENDING');

    const worker = await ConfirmationWorker.create({
      config: loadWorkerConfig(
        {
          DATABASE_URL: h.db.url,
          SOLANA_RPC_URL: h.ledger.url,
          POLL_INTERVAL_MS: '100',
          METRICS_PORT: '0',
          METRICS_HOST: '127.0.0.1',
          DATABASE_POOL_SIZE: '4',
          LOG_LEVEL: 'silent',
        },
        'delay-tier-test',
      ),
      logger: pino({ level: 'silent' }),
      defaultMetrics: false,
    });
    await worker.start();
    try {
      await waitFor(async () => {
        h.ledger.advanceSlots(1);
        return (await status(id)) === 'CONFIRMED';
      }, 'the confirmation');
    } finally {
      await worker.stop();
    }
    // On the ledger exactly once.
    expect(h.ledger.landingCount(String(released.body.transaction.signature))).toBe(1);
  });

  it('fails a transfer whose re-check refuses it at release (policy tightened meanwhile): FAILED/POLICY', async () => {
    now = new Date();
    const wallet = await walletWithPolicy(delayed());
    const big = await transfer(wallet.id, '1.5');
    const id = String(big.body.transaction.id);
    expect(big.body.transaction.status).toBe('DELAYED');
    const tightened = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: delayed('1', '2'),
    });
    expect(tightened.status).toBe(200);

    now = new Date(now.getTime() + (DELAY_SECONDS + 1) * 1000);
    await waitFor(async () => (await status(id)) !== 'DELAYED', 'the release');
    const read = await call(h.app, 'GET', `/v1/transactions/${id}`, { token: owner.key });
    expect(read.body.transaction).toEqual(
      expect.objectContaining({ status: 'FAILED', failureReason: 'POLICY', signature: null }),
    );
    expect(read.body.transaction.policy).toEqual(
      expect.objectContaining({
        outcome: 'DENY',
        version: 2,
        reasons: [expect.objectContaining({ code: 'PER_TX_LIMIT_EXCEEDED', limit: '1000000000' })],
      }),
    );
    // FAILED stops counting: 0.6 more fits the 2 SOL again (with 1.5 still held it would not);
    // above the threshold, it waits its own delay.
    expect((await transfer(wallet.id, '0.6')).body.transaction.status).toBe('DELAYED');
  });

  it('approval first, then the delay runs from the approval', async () => {
    now = new Date('2026-12-01T10:00:00Z');
    const wallet = await walletWithPolicy({ ...delayed(), requiresApproval: true });
    const asked = await transfer(wallet.id, '1');
    const id = String(asked.body.transaction.id);
    expect(asked.body.transaction.status).toBe('AWAITING_APPROVAL');
    expect(
      await h.prisma.event.count({ where: { transactionId: id, type: 'transaction.delayed' } }),
    ).toBe(0);

    now = new Date('2026-12-01T10:30:00Z');
    const approved = await call(h.app, 'POST', `/v1/transactions/${id}/approve`, {
      token: owner.key,
    });
    expect(approved.status).toBe(200);
    expect(approved.body.transaction).toEqual(
      expect.objectContaining({
        status: 'DELAYED',
        signature: null,
        decidedAt: '2026-12-01T10:30:00.000Z',
        dueAt: '2026-12-01T11:30:00.000Z',
      }),
    );
    expect(
      await h.prisma.event.count({ where: { transactionId: id, type: 'transaction.delayed' } }),
    ).toBe(1);
    // A second approval is refused: it is no longer awaiting one.
    expectProblem(
      await call(h.app, 'POST', `/v1/transactions/${id}/approve`, { token: owner.key }),
      409,
      'TRANSACTION_NOT_AWAITING_APPROVAL',
    );

    now = new Date('2026-12-01T11:29:59Z');
    await new Promise((r) => setTimeout(r, 300));
    expect(await status(id)).toBe('DELAYED');
    now = new Date('2026-12-01T11:30:00Z');
    // Released without asking the owner again: the approval was given before the delay.
    await waitFor(async () => (await status(id)) === 'PENDING', 'the release');
  });

  it('releases exactly once with two API instances releasing while the owner cancels', async () => {
    now = new Date();
    const wallet = await walletWithPolicy(delayed('2', '100'));
    const second = await startInstance(
      h,
      { DELAY_RELEASE_INTERVAL_MS: '20' },
      { clock: () => now },
    );
    try {
      const ids: string[] = [];
      for (let i = 0; i < 24; i++) {
        const r = await transfer(wallet.id, '0.6');
        expect(r.body.transaction.status).toBe('DELAYED');
        ids.push(String(r.body.transaction.id));
      }
      // Due now, on both instances; the owner cancels every transfer at the same moment.
      now = new Date(now.getTime() + (DELAY_SECONDS + 1) * 1000);
      const cancels = await Promise.all(
        ids.map((id, i) =>
          call(i % 2 === 0 ? h.app : second, 'POST', `/v1/transactions/${id}/cancel`, {
            token: owner.key,
          }),
        ),
      );
      await waitFor(
        async () =>
          (await h.prisma.transaction.count({
            where: { id: { in: ids }, status: 'DELAYED' },
          })) === 0,
        'every transfer to leave DELAYED',
      );
      const rows = await h.prisma.transaction.findMany({ where: { id: { in: ids } } });
      for (const [i, id] of ids.entries()) {
        const row = rows.find((r) => r.id === id)!;
        const released = await h.prisma.event.count({
          where: { transactionId: id, type: 'transaction.released' },
        });
        if (cancels[i]!.status === 200) {
          // The cancel won: never signed, never released.
          expect(row.status).toBe('CANCELLED');
          expect(row.signature).toBeNull();
          expect(released).toBe(0);
        } else {
          // The release won: signed once, and the cancel was told so.
          expectProblem(cancels[i]!, 409, 'TRANSACTION_NOT_DELAYED');
          expect(row.status).toBe('PENDING');
          expect(row.signature).not.toBeNull();
          expect(released).toBe(1);
        }
      }
    } finally {
      await second.close();
    }
  });
});
