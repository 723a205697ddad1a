// Transfers end to end over HTTP: idempotency (replay, reuse, concurrent duplicates), limits
// under concurrency, the approval flow, custody failures.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { address } from '@solana/kit';
import type { ConfirmationWorker } from '@waiaas/confirmation-worker';
import { createPrismaClient } from '@waiaas/database';
import { type KeyCustody, LocalKeystoreCustody, SignerError } from '@waiaas/solana-signer';
import {
  call,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  startHarness,
  startWorker,
} from './harness.js';
import { mintTo } from '@waiaas/local-ledger/testing';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';

/** The real local keystore, with a switch that makes signing fail as an outage would. */
class SwitchableCustody implements KeyCustody {
  readonly kind = 'LOCAL' as const;
  failing = false;
  constructor(private readonly inner: KeyCustody) {}
  createWallet(...args: Parameters<KeyCustody['createWallet']>) {
    return this.inner.createWallet(...args);
  }
  signMessage(...args: Parameters<KeyCustody['signMessage']>) {
    if (this.failing)
      return Promise.reject(
        new SignerError('CUSTODY_UNAVAILABLE', { operation: 'sign', attempts: 3 }, 'custody down'),
      );
    return this.inner.signMessage(...args);
  }
}

let h: Harness;
let custody: SwitchableCustody;
let owner: { id: string; key: string };
let agent: { id: string; key: string };

beforeAll(async () => {
  h = await startHarness(
    {},
    {
      custody: (config, url) => {
        if (config.custody.kind !== 'LOCAL') throw new Error('local custody expected');
        custody = new SwitchableCustody(
          new LocalKeystoreCustody(
            createPrismaClient({ url, poolSize: 2 }),
            config.custody.masterKeys,
          ),
        );
        return custody;
      },
    },
  );
  owner = await createOwner(h.app);
  agent = await createAgent(h.app, owner.key);
});

afterAll(async () => {
  await h.close();
});

async function walletWithPolicy(policy: Record<string, unknown>): Promise<string> {
  const wallet = await createWallet(h.app, owner.key);
  await grant(h.app, owner.key, wallet.id, agent.id);
  const r = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
    token: owner.key,
    body: policy,
  });
  expect(r.status).toBe(200);
  return wallet.id;
}

function transfer(
  walletId: string,
  body: Record<string, unknown>,
  key: string | null = randomUUID(),
  token = agent.key,
) {
  return call(h.app, 'POST', `/v1/wallets/${walletId}/transfers`, {
    token,
    body: { to: RECIPIENT, ...body },
    ...(key === null ? {} : { headers: { 'idempotency-key': key } }),
  });
}

describe('idempotency', () => {
  let walletId: string;
  beforeAll(async () => {
    walletId = await walletWithPolicy({ perTxLimit: '1', dailyLimit: '100' });
  });

  it('replays the first response for the same key and body', async () => {
    const first = await transfer(walletId, { amount: '0.1' }, 'replay-1');
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const second = await transfer(walletId, { amount: '0.1' }, 'replay-1');
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await h.prisma.transaction.count({ where: { idempotencyKey: 'replay-1' } })).toBe(1);
  });

  it('refuses the same key with a different body (422), writing nothing', async () => {
    await transfer(walletId, { amount: '0.1' }, 'reuse-1');
    const before = await h.prisma.transaction.count();
    expectProblem(
      await transfer(walletId, { amount: '0.2' }, 'reuse-1'),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
    expectProblem(
      await transfer(walletId, { amount: '0.1', memo: 'other' }, 'reuse-1'),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await h.prisma.transaction.count()).toBe(before);
  });

  it('stores a policy denial as the idempotent response', async () => {
    const first = await transfer(walletId, { amount: '5' }, 'deny-1');
    expectProblem(first, 403, 'POLICY_DENIED');
    expect(first.body.reasons).toEqual([
      expect.objectContaining({
        code: 'PER_TX_LIMIT_EXCEEDED',
        limit: '1000000000',
        requested: '5000000000',
      }),
    ]);
    const again = await transfer(walletId, { amount: '5' }, 'deny-1');
    expectProblem(again, 403, 'POLICY_DENIED');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await h.prisma.transaction.count({ where: { idempotencyKey: 'deny-1' } })).toBe(0);
  });

  it('20 concurrent duplicates create exactly one transaction; the others wait and replay it', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => transfer(walletId, { amount: '0.01' }, 'burst-1')),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 201));
    const fresh = results.filter((r) => r.headers['idempotent-replayed'] === undefined);
    expect(fresh).toHaveLength(1);
    for (const r of results) expect(r.body).toEqual(fresh[0]!.body);
    expect(await h.prisma.transaction.count({ where: { idempotencyKey: 'burst-1' } })).toBe(1);
    const later = await transfer(walletId, { amount: '0.01' }, 'burst-1');
    expect(later.headers['idempotent-replayed']).toBe('true');
    expect(later.body.transaction.id).toBe(fresh[0]!.body.transaction.id);
  });

  it('one key sent at once for two wallets makes one transfer; the rest are refused as reused', async () => {
    const otherWallet = await walletWithPolicy({ perTxLimit: '1', dailyLimit: '100' });
    const before = await h.prisma.transaction.count();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        transfer(i % 2 === 0 ? walletId : otherWallet, { amount: '0.01' }, 'two-wallets-1'),
      ),
    );
    const made = results.filter((r) => r.headers['idempotent-replayed'] === undefined);
    const winner = made.filter((r) => r.status === 201);
    expect(winner).toHaveLength(1);
    const winnerId = winner[0]!.body.transaction.id as string;
    const winnerWallet = winner[0]!.body.transaction.walletId as string;
    for (const r of results) {
      if (r.status === 201) expect(r.body.transaction.id).toBe(winnerId);
      else expectProblem(r, 422, 'IDEMPOTENCY_KEY_REUSED');
    }
    // Every request for the winner's wallet replayed it; every one for the other was refused.
    const forWinner = results.filter(
      (_, i) => (i % 2 === 0 ? walletId : otherWallet) === winnerWallet,
    );
    expect(forWinner.every((r) => r.status === 201)).toBe(true);
    expect(await h.prisma.transaction.count()).toBe(before + 1);
  });

  it('scopes keys per agent and keeps them at least 24 h', async () => {
    const other = await createAgent(h.app, owner.key, 'other');
    await grant(h.app, owner.key, walletId, other.id);
    const mine = await transfer(walletId, { amount: '0.01' }, 'shared-key');
    const theirs = await transfer(walletId, { amount: '0.01' }, 'shared-key', other.key);
    expect(theirs.status).toBe(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.transaction.id).not.toBe(mine.body.transaction.id);
    const record = await h.prisma.idempotencyRecord.findFirstOrThrow({
      where: { agentId: agent.id, key: 'shared-key' },
    });
    expect(record.expiresAt.getTime() - record.createdAt.getTime()).toBeGreaterThanOrEqual(
      24 * 3600 * 1000,
    );
  });

  it('an expired record is replaced: the key is judged anew unless a transfer was made with it', async () => {
    const denied = await transfer(walletId, { amount: '5' }, 'expired-1');
    expectProblem(denied, 403, 'POLICY_DENIED');
    const made = await transfer(walletId, { amount: '0.01' }, 'expired-2');
    expect(made.status).toBe(201);
    await h.prisma.idempotencyRecord.updateMany({
      where: { agentId: agent.id, key: { in: ['expired-1', 'expired-2'] } },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    // A denial made no transfer: past its record's life, the key is free for another request.
    const fresh = await transfer(walletId, { amount: '0.02' }, 'expired-1');
    expect(fresh.status).toBe(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
    const record = await h.prisma.idempotencyRecord.findFirstOrThrow({
      where: { agentId: agent.id, key: 'expired-1' },
    });
    expect(record.transactionId).toBe(fresh.body.transaction.id);
    expect(record.expiresAt.getTime()).toBeGreaterThan(Date.now());
    // A transfer keeps its key for good: never a second transfer under it.
    expectProblem(
      await transfer(walletId, { amount: '0.01' }, 'expired-2'),
      422,
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await h.prisma.transaction.count({ where: { idempotencyKey: 'expired-2' } })).toBe(1);
  });

  it('a custody failure stores nothing, answers 503, and the key can be retried', async () => {
    const before = await h.prisma.transaction.count();
    custody.failing = true;
    try {
      expectProblem(
        await transfer(walletId, { amount: '0.1' }, 'custody-1'),
        503,
        'CUSTODY_UNAVAILABLE',
      );
    } finally {
      custody.failing = false;
    }
    expect(await h.prisma.transaction.count()).toBe(before);
    expect(await h.prisma.idempotencyRecord.count({ where: { key: 'custody-1' } })).toBe(0);
    const retry = await transfer(walletId, { amount: '0.1' }, 'custody-1');
    expect(retry.status).toBe(201);
    expect(retry.body.transaction.status).toBe('PENDING');
  });
});

describe('limits under concurrency', () => {
  it('30 concurrent transfers never exceed the daily limit, fees included', async () => {
    const walletId = await walletWithPolicy({ perTxLimit: '1', dailyLimit: '10' });
    // 1 SOL less the 5,000-lamport fee: each costs exactly the per-transaction limit.
    const results = await Promise.all(
      Array.from({ length: 30 }, () => transfer(walletId, { amount: '0.999995' })),
    );
    const created = results.filter((r) => r.status === 201);
    const denied = results.filter((r) => r.status === 403);
    expect(created).toHaveLength(10);
    expect(denied).toHaveLength(20);
    for (const r of denied) {
      expectProblem(r, 403, 'POLICY_DENIED');
      expect((r.body.reasons as { code: string }[]).map((x) => x.code)).toEqual([
        'DAILY_LIMIT_EXCEEDED',
      ]);
    }
    const rows = await h.prisma.transaction.findMany({
      where: { walletId, status: { notIn: ['FAILED', 'REJECTED'] } },
    });
    const total = rows.reduce(
      (sum, row) => sum + BigInt(row.amount.toFixed(0)) + BigInt(row.networkFee.toFixed(0)),
      0n,
    );
    expect(total).toBe(10_000_000_000n);
    expect(rows.every((row) => row.networkFee.toFixed(0) === '5000')).toBe(true);
    expect(new Set(rows.map((row) => row.signature)).size).toBe(10);
  });
});

describe('evaluate', () => {
  it('returns the decision and writes nothing', async () => {
    const walletId = await walletWithPolicy({
      perTxLimit: '1',
      dailyLimit: '2',
      allowedAddresses: [RECIPIENT],
    });
    const count = () =>
      Promise.all([
        h.prisma.transaction.count(),
        h.prisma.event.count(),
        h.prisma.idempotencyRecord.count(),
      ]);
    const before = await count();
    const ok = await call(h.app, 'POST', `/v1/wallets/${walletId}/transfers/evaluate`, {
      token: agent.key,
      body: { to: RECIPIENT, amount: '0.5' },
    });
    expect(ok.body).toEqual({
      decision: { outcome: 'ALLOW', reasons: [] },
      asset: null,
      amountBaseUnits: '500000000',
      decimals: 9,
      networkFee: '5000',
    });
    const no = await call(h.app, 'POST', `/v1/wallets/${walletId}/transfers/evaluate`, {
      token: owner.key,
      body: { to: '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin', amount: '1.5' },
    });
    expect(no.body.decision.outcome).toBe('DENY');
    expect((no.body.decision.reasons as { code: string }[]).map((r) => r.code).sort()).toEqual([
      'PER_TX_LIMIT_EXCEEDED',
      'RECIPIENT_NOT_ALLOWED',
    ]);
    expect(await count()).toEqual(before);
  });
});

describe('approval flow', () => {
  it('approve, reject, and a denial at approval time', async () => {
    const walletId = await walletWithPolicy({
      perTxLimit: '5',
      dailyLimit: '5',
      requiresApproval: true,
      metadata: { approvalThreshold: '1' },
    });

    const small = await transfer(walletId, { amount: '0.5' });
    expect(small.body.transaction.status).toBe('PENDING');

    const big = await transfer(walletId, { amount: '2' });
    expect(big.status).toBe(201);
    expect(big.body.transaction).toEqual(
      expect.objectContaining({ status: 'AWAITING_APPROVAL', signature: null }),
    );
    expect((big.body.transaction.policy.reasons as { code: string }[]).map((r) => r.code)).toEqual([
      'APPROVAL_REQUIRED',
    ]);
    const row = await h.prisma.transaction.findUniqueOrThrow({
      where: { id: big.body.transaction.id },
    });
    expect(row.wireTransaction).toBeNull();

    const approved = await call(
      h.app,
      'POST',
      `/v1/transactions/${big.body.transaction.id}/approve`,
      { token: owner.key },
    );
    expect(approved.status).toBe(200);
    expect(approved.body.transaction).toEqual(
      expect.objectContaining({ status: 'PENDING', decidedAt: expect.any(String) }),
    );
    expect(approved.body.transaction.signature).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
    expectProblem(
      await call(h.app, 'POST', `/v1/transactions/${big.body.transaction.id}/approve`, {
        token: owner.key,
      }),
      409,
      'TRANSACTION_NOT_AWAITING_APPROVAL',
    );
    expectProblem(
      await call(h.app, 'POST', `/v1/transactions/${big.body.transaction.id}/reject`, {
        token: owner.key,
      }),
      409,
      'TRANSACTION_NOT_AWAITING_APPROVAL',
    );

    // 2.5 SOL spent. A waiting 2 SOL reservation counts: 1 more would exceed 5.
    const waiting = await transfer(walletId, { amount: '2' });
    expect(waiting.body.transaction.status).toBe('AWAITING_APPROVAL');
    expectProblem(await transfer(walletId, { amount: '1' }), 403, 'POLICY_DENIED');
    const rejected = await call(
      h.app,
      'POST',
      `/v1/transactions/${waiting.body.transaction.id}/reject`,
      { token: owner.key },
    );
    expect(rejected.body.transaction.status).toBe('REJECTED');
    // Rejecting freed the reservation.
    expect((await transfer(walletId, { amount: '1' })).body.transaction.status).toBe('PENDING');

    // 3.5 SOL and three fees spent; 1.4 fits and waits. Then the budget shrinks before the
    // owner decides.
    const late = await transfer(walletId, { amount: '1.4' });
    expect(late.body.transaction.status).toBe('AWAITING_APPROVAL');
    const lowered = await call(h.app, 'PUT', `/v1/wallets/${walletId}/policy`, {
      token: owner.key,
      body: {
        perTxLimit: '4',
        dailyLimit: '4',
        requiresApproval: true,
        metadata: { approvalThreshold: '1' },
      },
    });
    expect(lowered.body.policy.version).toBe(2);
    const denied = await call(
      h.app,
      'POST',
      `/v1/transactions/${late.body.transaction.id}/approve`,
      { token: owner.key },
    );
    expectProblem(denied, 403, 'POLICY_DENIED');
    expect((denied.body.reasons as { code: string }[]).map((r) => r.code)).toContain(
      'DAILY_LIMIT_EXCEEDED',
    );
    expect(denied.body.transaction).toEqual(
      expect.objectContaining({
        id: late.body.transaction.id,
        status: 'FAILED',
        failureReason: 'POLICY',
      }),
    );
    const stored = await h.prisma.transaction.findUniqueOrThrow({
      where: { id: late.body.transaction.id },
    });
    expect(stored.status).toBe('FAILED');
    expect(stored.signature).toBeNull();

    const list = await call(h.app, 'GET', `/v1/wallets/${walletId}/transactions?limit=2`, {
      token: agent.key,
    });
    expect(list.body.transactions).toHaveLength(2);
    const page2 = await call(
      h.app,
      'GET',
      `/v1/wallets/${walletId}/transactions?limit=2&cursor=${list.body.nextCursor}`,
      { token: agent.key },
    );
    const page3 = await call(
      h.app,
      'GET',
      `/v1/wallets/${walletId}/transactions?limit=2&cursor=${page2.body.nextCursor}`,
      { token: agent.key },
    );
    expect(page3.body.nextCursor).toBeNull();
    const all = [
      ...list.body.transactions,
      ...page2.body.transactions,
      ...page3.body.transactions,
    ] as { id: string }[];
    expect(all).toHaveLength(5);
    expect(new Set(all.map((t) => t.id)).size).toBe(5);
    const failed = await call(h.app, 'GET', `/v1/wallets/${walletId}/transactions?status=FAILED`, {
      token: owner.key,
    });
    expect((failed.body.transactions as { id: string }[]).map((t) => t.id)).toEqual([
      late.body.transaction.id,
    ]);
  });
});

describe('SPL tokens', () => {
  it('reads decimals from the mint, shows token balances, and applies token policies', async () => {
    const wallet = await createWallet(h.app, owner.key);
    await grant(h.app, owner.key, wallet.id, agent.id);
    const mint = await mintTo(h.ledger, address(wallet.address), 6, 5_000_000n);

    const balance = await call(h.app, 'GET', `/v1/wallets/${wallet.id}/balance`, {
      token: agent.key,
    });
    expect(balance.body.balance.tokens).toEqual([
      expect.objectContaining({ mint, amount: '5000000', decimals: 6, uiAmount: '5' }),
    ]);

    await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: { perTxLimit: '1', dailyLimit: '1' },
    });
    const notAllowed = await transfer(wallet.id, { amount: '1', mint });
    expectProblem(notAllowed, 403, 'POLICY_DENIED');
    expect((notAllowed.body.reasons as { code: string }[]).map((r) => r.code)).toEqual([
      'ASSET_NOT_ALLOWED',
    ]);

    // Seven decimals on a six-decimal mint: refused before anything else, nothing written.
    const before = await h.prisma.transaction.count();
    expectProblem(
      await transfer(wallet.id, { amount: '0.0000001', mint }),
      400,
      'AMOUNT_PRECISION_EXCEEDED',
    );
    expect(await h.prisma.transaction.count()).toBe(before);

    await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: {
        perTxLimit: '1',
        dailyLimit: '1',
        allowedAssets: [mint],
        metadata: { tokenLimits: { [mint]: { perTx: '2', daily: '3', decimals: 6 } } },
      },
    });
    const ok = await transfer(wallet.id, { amount: '1.5', mint });
    expect(ok.status).toBe(201);
    expect(ok.body.transaction).toEqual(
      expect.objectContaining({
        status: 'PENDING',
        asset: mint,
        decimals: 6,
        amount: '1.5',
        amountBaseUnits: '1500000',
      }),
    );
    const over = await transfer(wallet.id, { amount: '2', mint });
    expectProblem(over, 403, 'POLICY_DENIED');
    expect(
      (over.body.reasons as { code: string; scope?: string }[]).map((r) => `${r.code}:${r.scope}`),
    ).toEqual(['TOKEN_LIMIT_EXCEEDED:DAILY']);
  });
});

describe('idempotency recovery', () => {
  it('a record left in progress by a dead process is taken over once stale', async () => {
    const walletId = await walletWithPolicy({ perTxLimit: '1', dailyLimit: '100' });
    const { requestFingerprint } = await import('../src/transfers/fingerprint.js');
    const body = { to: RECIPIENT, amount: '0.3' };
    const fingerprint = requestFingerprint('POST', `/v1/wallets/${walletId}/transfers`, body);
    const started = new Date();
    await h.prisma.idempotencyRecord.create({
      data: {
        agentId: agent.id,
        key: 'orphan-1',
        fingerprint,
        state: 'IN_PROGRESS',
        createdAt: started,
        expiresAt: new Date(started.getTime() + 86_400_000),
      },
    });
    expectProblem(
      await transfer(walletId, { amount: '0.3' }, 'orphan-1'),
      409,
      'IDEMPOTENCY_REQUEST_IN_PROGRESS',
    );
    await h.prisma.idempotencyRecord.updateMany({
      where: { key: 'orphan-1' },
      data: { createdAt: new Date(started.getTime() - 3 * 60_000) },
    });
    const taken = await transfer(walletId, { amount: '0.3' }, 'orphan-1');
    expect(taken.status).toBe(201);
    expect(taken.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a record left in progress after its transaction committed is completed from that transaction', async () => {
    const walletId = await walletWithPolicy({ perTxLimit: '1', dailyLimit: '100' });
    const first = await transfer(walletId, { amount: '0.2' }, 'crash-after-commit');
    // As if the process died between the commit and storing the response.
    await h.prisma.idempotencyRecord.updateMany({
      where: { key: 'crash-after-commit' },
      data: { state: 'IN_PROGRESS', responseStatus: null, completedAt: null },
    });
    const again = await transfer(walletId, { amount: '0.2' }, 'crash-after-commit');
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.transaction.id).toBe(first.body.transaction.id);
    expect(
      await h.prisma.transaction.count({ where: { idempotencyKey: 'crash-after-commit' } }),
    ).toBe(1);
  });
});

describe('approval with allowedPrograms (the programs judged at reservation are stored)', () => {
  // The real worker sends what the approval signed and follows it to CONFIRMED.
  let worker: ConfirmationWorker;
  beforeAll(async () => {
    worker = await startWorker(h);
  });
  afterAll(async () => {
    await worker.stop();
  });

  async function confirmed(id: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await call(h.app, 'GET', `/v1/transactions/${id}`, { token: owner.key });
      const status = r.body.transaction?.status;
      if (status === 'CONFIRMED') return r.body.transaction as Record<string, unknown>;
      if (status === 'FAILED' || Date.now() > deadline)
        throw new Error(`transaction ${id} ended ${JSON.stringify(r.body.transaction)}`);
      // This ledger makes slots only when told: one per look once it was sent.
      if (status === 'SUBMITTED') h.ledger.advanceSlots(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const COMPUTE_BUDGET = 'ComputeBudget111111111111111111111111111111';
  const SYSTEM = '11111111111111111111111111111111';
  const ATA = 'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL';
  const TOKEN = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';

  async function approve(id: string) {
    return call(h.app, 'POST', `/v1/transactions/${id}/approve`, { token: owner.key });
  }

  it('a SOL transfer is approved, signed and CONFIRMED, its fee shown', async () => {
    const walletId = await walletWithPolicy({
      perTxLimit: '1',
      dailyLimit: '2',
      requiresApproval: true,
      metadata: { allowedPrograms: [COMPUTE_BUDGET, SYSTEM] },
    });
    const waiting = await transfer(walletId, { amount: '0.5' });
    expect(waiting.body.transaction).toEqual(
      expect.objectContaining({ status: 'AWAITING_APPROVAL', networkFee: '5000' }),
    );
    const approved = await approve(String(waiting.body.transaction.id));
    expect(approved.status).toBe(200);
    expect(approved.body.transaction).toEqual(
      expect.objectContaining({ status: 'PENDING', networkFee: '5000' }),
    );
    expect(approved.body.transaction.signature).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);
    // On chain the fee is what was counted.
    expect(await confirmed(String(waiting.body.transaction.id))).toEqual(
      expect.objectContaining({ networkFee: '5000', fee: '5000' }),
    );
  });

  it('a retry after the transfer spent the wallet is replayed, not refused for want of funds', async () => {
    const wallet = await createWallet(h.app, owner.key, { fund: 1_000_000_000n });
    await grant(h.app, owner.key, wallet.id, agent.id);
    const policy = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: { perTxLimit: '1', dailyLimit: '5' },
    });
    expect(policy.status).toBe(200);
    const first = await transfer(wallet.id, { amount: '0.9' }, 'spent-then-retried');
    expect(first.status).toBe(201);
    await confirmed(String(first.body.transaction.id));
    // The sender's funds are remembered for a second: past it, preparing 0.9 SOL again fails.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expectProblem(await transfer(wallet.id, { amount: '0.9' }), 422, 'INSUFFICIENT_FUNDS');
    const again = await transfer(wallet.id, { amount: '0.9' }, 'spent-then-retried');
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.transaction.id).toBe(first.body.transaction.id);
  });

  it('a token transfer is approved, signed and CONFIRMED', async () => {
    const wallet = await createWallet(h.app, owner.key);
    await grant(h.app, owner.key, wallet.id, agent.id);
    const mint = await mintTo(h.ledger, address(wallet.address), 6, 5_000_000n);
    const policy = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: {
        perTxLimit: '1',
        dailyLimit: '1',
        allowedAssets: [mint],
        requiresApproval: true,
        metadata: { allowedPrograms: [COMPUTE_BUDGET, ATA, TOKEN] },
      },
    });
    expect(policy.status).toBe(200);
    const waiting = await transfer(wallet.id, { amount: '1', mint });
    expect(waiting.body.transaction.status).toBe('AWAITING_APPROVAL');
    const approved = await approve(String(waiting.body.transaction.id));
    expect(approved.status).toBe(200);
    expect(approved.body.transaction.status).toBe('PENDING');
    await confirmed(String(waiting.body.transaction.id));
  });
});

/** Rows a refused request must not have written. */
const counts = () =>
  Promise.all([
    h.prisma.transaction.count(),
    h.prisma.idempotencyRecord.count(),
    h.prisma.event.count(),
  ]);

describe('transfers that cannot succeed are refused before signing (nothing stored)', () => {
  it.each([
    ['11111111111111111111111111111111', '0.1', 'RECIPIENT_IS_PROGRAM'],
    ['SysvarRent111111111111111111111111111111111', '0.1', 'RECIPIENT_IS_PROGRAM'],
    ['Stake11111111111111111111111111111111111111', '0.1', 'RECIPIENT_IS_PROGRAM'],
    [
      '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin',
      '0.000000001',
      'RECIPIENT_BELOW_RENT_EXEMPTION',
    ],
    ['self', '0.1', 'RECIPIENT_IS_SENDER'],
  ])('to %s, amount %s → 400 %s', async (to, amount, code) => {
    const wallet = await createWallet(h.app, owner.key);
    await grant(h.app, owner.key, wallet.id, agent.id);
    await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: { perTxLimit: '1', dailyLimit: '1' },
    });
    const before = await counts();
    const r = await transfer(wallet.id, {
      to: to === 'self' ? wallet.address : to,
      amount,
    });
    expectProblem(r, 400, code);
    expect(r.body.errors).toEqual([expect.objectContaining({ path: 'to', code })]);
    expect(await counts()).toEqual(before);
    // The dry run says the same.
    const evaluated = await call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers/evaluate`, {
      token: agent.key,
      body: { to: to === 'self' ? wallet.address : to, amount },
    });
    expectProblem(evaluated, 400, code);
  });
});

describe('the sender must be able to pay amount + fee (422 INSUFFICIENT_FUNDS, nothing stored)', () => {
  /** Past the engine's memory of the sender's funds (1 s), so a top-up is seen. */
  const fundsForgotten = () => new Promise((resolve) => setTimeout(resolve, 1_100));

  async function fundedWallet(lamports: bigint, policy: Record<string, unknown>) {
    const wallet = await createWallet(h.app, owner.key, { fund: lamports });
    await grant(h.app, owner.key, wallet.id, agent.id);
    const r = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: policy,
    });
    expect(r.status).toBe(200);
    return wallet;
  }

  it('an empty wallet is refused with the figures; the same key works after a top-up', async () => {
    const wallet = await fundedWallet(0n, { perTxLimit: '1', dailyLimit: '5' });
    const before = await counts();
    const refused = await transfer(wallet.id, { amount: '0.5' }, 'top-up-then-retry');
    expectProblem(refused, 422, 'INSUFFICIENT_FUNDS');
    expect(refused.body.funds).toEqual({
      address: wallet.address,
      asset: null,
      balance: '0',
      required: '500005000',
      minimumRemaining: '890880',
    });
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: 'amount', code: 'INSUFFICIENT_FUNDS' }),
    ]);
    expect(await counts()).toEqual(before);
    // The dry run says the same.
    const evaluated = await call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers/evaluate`, {
      token: agent.key,
      body: { to: RECIPIENT, amount: '0.5' },
    });
    expectProblem(evaluated, 422, 'INSUFFICIENT_FUNDS');

    await h.ledger.airdrop(address(wallet.address), 1_000_000_000n);
    await fundsForgotten();
    const sent = await transfer(wallet.id, { amount: '0.5' }, 'top-up-then-retry');
    expect(sent.status).toBe(201);
    expect(sent.body.transaction.status).toBe('PENDING');
  });

  it('a policy denial comes first (and is stored and audited as one)', async () => {
    const wallet = await fundedWallet(0n, { perTxLimit: '1', dailyLimit: '5' });
    const denied = await transfer(wallet.id, { amount: '2' });
    expectProblem(denied, 403, 'POLICY_DENIED');
  });

  it('refuses to leave the wallet between 0 and rent exemption, and allows emptying it', async () => {
    const wallet = await fundedWallet(1_000_000_000n, { perTxLimit: '1', dailyLimit: '5' });
    // 1 SOL − fee − 1 lamport would leave 1 lamport: the chain would fail it and keep the fee.
    const strands = await transfer(wallet.id, { amount: '0.999994999' });
    expectProblem(strands, 422, 'INSUFFICIENT_FUNDS');
    expect(strands.body.funds).toEqual(
      expect.objectContaining({ balance: '1000000000', required: '999999999' }),
    );
    const empties = await transfer(wallet.id, { amount: '0.999995' });
    expect(empties.status).toBe(201);
  });

  it('a token transfer needs the tokens, and SOL for the fee', async () => {
    const wallet = await fundedWallet(0n, { perTxLimit: '1', dailyLimit: '5' });
    const mint = await mintTo(h.ledger, address(wallet.address), 6, 1_000_000n);
    await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: { perTxLimit: '1', dailyLimit: '5', allowedAssets: [mint] },
    });
    // Tokens enough (1.0), no SOL for the fee.
    const noFee = await transfer(wallet.id, { amount: '1', mint });
    expectProblem(noFee, 422, 'INSUFFICIENT_FUNDS');
    expect(noFee.body.funds).toEqual(expect.objectContaining({ asset: null, required: '5000' }));
    await h.ledger.airdrop(address(wallet.address), 1_000_000_000n);
    await fundsForgotten();
    const tooMany = await transfer(wallet.id, { amount: '1.5', mint });
    expectProblem(tooMany, 422, 'INSUFFICIENT_FUNDS');
    expect(tooMany.body.funds).toEqual(
      expect.objectContaining({ asset: mint, balance: '1000000', required: '1500000' }),
    );
    expect((await transfer(wallet.id, { amount: '1', mint })).status).toBe(201);
  });

  it('approval checks again: refused while the wallet cannot pay, the transfer keeps waiting', async () => {
    const wallet = await fundedWallet(0n, {
      perTxLimit: '1',
      dailyLimit: '5',
      requiresApproval: true,
    });
    // Waiting transfers are not signed, so nothing is refused yet.
    const waiting = await transfer(wallet.id, { amount: '0.5' });
    expect(waiting.body.transaction.status).toBe('AWAITING_APPROVAL');
    const id = String(waiting.body.transaction.id);
    const approve = () =>
      call(h.app, 'POST', `/v1/transactions/${id}/approve`, { token: owner.key });
    expectProblem(await approve(), 422, 'INSUFFICIENT_FUNDS');
    const still = await call(h.app, 'GET', `/v1/transactions/${id}`, { token: owner.key });
    expect(still.body.transaction.status).toBe('AWAITING_APPROVAL');
    await h.ledger.airdrop(address(wallet.address), 1_000_000_000n);
    await fundsForgotten();
    const approved = await approve();
    expect(approved.status).toBe(200);
    expect(approved.body.transaction.status).toBe('PENDING');
  });
});
