import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  createPrismaClient,
  isRepositoryError,
  Prisma,
  SpendRepository,
  type PrismaClient,
  type TransferRequest,
} from '../src/index.js';
import {
  fakeSign,
  LAMPORTS_PER_SOL,
  newAddress,
  ownerWithWallet,
  setPolicy,
} from './support/fixtures.js';

let db: TestDatabase;
let prisma: PrismaClient;
let spend: SpendRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  // Requests queue for the wallet lock and for pool connections; give them room on a loaded CI machine.
  prisma = createPrismaClient({
    url: db.url,
    poolSize: 12,
    connectionTimeoutMs: 60_000,
    statementTimeoutMs: 60_000,
  });
  spend = new SpendRepository(prisma, { maxWaitMs: 60_000, transactionTimeoutMs: 60_000 });
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const SOL = (text: string) => BigInt(new Prisma.Decimal(text).mul(1e9).toFixed(0));

function request(walletId: string, overrides: Partial<TransferRequest> = {}): TransferRequest {
  return {
    walletId,
    agentId: null,
    idempotencyKey: null,
    asset: null,
    amount: SOL('0.1'),
    decimals: 9,
    destination: newAddress(),
    memo: null,
    now: new Date(),
    ...overrides,
  };
}

async function countedSpend(walletId: string, asset: string | null = null): Promise<bigint> {
  const rows = await prisma.transaction.findMany({
    where: { walletId, asset, status: { notIn: ['FAILED', 'REJECTED'] } },
    select: { amount: true },
  });
  return rows.reduce((sum, r) => sum + BigInt(r.amount.toFixed(0)), 0n);
}

describe('reserveTransfer under concurrency', () => {
  it('lets 50 concurrent 0.1 SOL requests against a 1 SOL daily limit record exactly 10', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '1', dailyLimit: '1' });

    const results = await Promise.all(
      Array.from({ length: 50 }, () => spend.reserveTransfer(request(wallet.id), fakeSign)),
    );

    expect(results.filter((r) => r.outcome === 'ALLOW')).toHaveLength(10);
    const denied = results.filter((r) => r.outcome === 'DENY');
    expect(denied).toHaveLength(40);
    expect(
      denied.every((r) =>
        r.decision.reasons.some((reason) => reason.code === 'DAILY_LIMIT_EXCEEDED'),
      ),
    ).toBe(true);
    expect(await prisma.transaction.count({ where: { walletId: wallet.id } })).toBe(10);
    expect(await countedSpend(wallet.id)).toBe(LAMPORTS_PER_SOL);
  });

  it('holds across two Node processes reserving at once', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '1', dailyLimit: '1' });
    const script = fileURLToPath(new URL('./support/reserve-many.ts', import.meta.url));
    // The package exports its ESM hook for `import` only; address the file directly.
    const register = new URL(
      '../node_modules/@swc-node/register/esm/esm-register.mjs',
      import.meta.url,
    ).href;
    const run = () =>
      new Promise<{ allowed: number }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--conditions=@waiaas/source', `--import=${register}`, script],
          {
            env: {
              ...process.env,
              NODE_OPTIONS: '',
              DATABASE_URL: db.url,
              WALLET_ID: wallet.id,
              COUNT: '25',
              AMOUNT: SOL('0.1').toString(),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('error', reject);
        child.on('exit', (code) =>
          code === 0 ? resolve(JSON.parse(out) as { allowed: number }) : reject(new Error(err)),
        );
      });

    const [a, b] = await Promise.all([run(), run()]);

    expect(a.allowed + b.allowed).toBe(10);
    expect(await prisma.transaction.count({ where: { walletId: wallet.id } })).toBe(10);
    expect(await countedSpend(wallet.id)).toBe(LAMPORTS_PER_SOL);
  });

  it('enforces per-mint daily limits under concurrency, separately from SOL', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    const mint = newAddress();
    await setPolicy(prisma, wallet.id, {
      perTxLimit: '1',
      dailyLimit: '1',
      allowedAssets: [mint],
      metadata: { tokenLimits: { [mint]: { perTx: '2', daily: '5', decimals: 6 } } },
    });
    const oneToken = 1_000_000n;

    const results = await Promise.all([
      ...Array.from({ length: 20 }, () =>
        spend.reserveTransfer(
          request(wallet.id, { asset: mint, amount: oneToken, decimals: 6 }),
          fakeSign,
        ),
      ),
      ...Array.from({ length: 4 }, () =>
        spend.reserveTransfer(request(wallet.id, { amount: SOL('0.25') }), fakeSign),
      ),
    ]);

    const allowed = results.filter((r) => r.outcome === 'ALLOW');
    expect(allowed.filter((r) => r.transaction?.asset === mint)).toHaveLength(5);
    expect(allowed.filter((r) => r.transaction?.asset === null)).toHaveLength(4);
    expect(await countedSpend(wallet.id, mint)).toBe(5n * oneToken);
    const tokenDenials = results.filter(
      (r) =>
        r.outcome === 'DENY' &&
        r.decision.reasons.some((reason) => reason.code === 'TOKEN_LIMIT_EXCEEDED'),
    );
    expect(tokenDenials).toHaveLength(15);
  });
});

describe('connection use', () => {
  it('lets a burst on one wallet hold one pooled connection, so other wallets are not starved', async () => {
    const small = createPrismaClient({
      url: db.url,
      poolSize: 2,
      connectionTimeoutMs: 60_000,
      statementTimeoutMs: 60_000,
    });
    const repo = new SpendRepository(small, { maxWaitMs: 60_000, transactionTimeoutMs: 60_000 });
    try {
      const busy = await ownerWithWallet(prisma);
      const quiet = await ownerWithWallet(prisma);
      await setPolicy(prisma, busy.wallet.id, { perTxLimit: '1', dailyLimit: '100' });
      await setPolicy(prisma, quiet.wallet.id, { perTxLimit: '1', dailyLimit: '100' });
      const finished: string[] = [];
      // A slow custody (think Turnkey): each signature takes 50 ms while the wallet lock is held.
      const slowSign = () =>
        new Promise<Awaited<ReturnType<typeof fakeSign>>>((r) =>
          setTimeout(() => r(fakeSign()), 50),
        );

      const burst = Array.from({ length: 12 }, (_, i) =>
        repo
          .reserveTransfer(request(busy.wallet.id), slowSign)
          .then(() => finished.push(`busy-${i}`)),
      );
      await new Promise((r) => setTimeout(r, 20));
      const other = repo
        .reserveTransfer(request(quiet.wallet.id), fakeSign)
        .then(() => finished.push('quiet'));
      await Promise.all([...burst, other]);

      // Without the per-wallet queue, the burst's waiters hold both connections and the quiet
      // wallet's request queues behind all of them.
      expect(finished.indexOf('quiet')).toBeLessThan(finished.length - 4);
      expect(await small.transaction.count({ where: { walletId: busy.wallet.id } })).toBe(12);
    } finally {
      await small.$disconnect();
    }
  });
});

describe('what counts against the limits', () => {
  it('stops counting spend from 24 h + 1 s ago in a rolling window, and counts exactly 24 h ago', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '1', dailyLimit: '1' });
    const now = new Date('2026-11-22T12:00:00.000Z');
    const old = await spend.reserveTransfer(
      request(wallet.id, { amount: SOL('1'), now: new Date(now.getTime() - 86_400_000 - 1_000) }),
      fakeSign,
    );
    expect(old.outcome).toBe('ALLOW');

    const afterWindow = await spend.reserveTransfer(
      request(wallet.id, { amount: SOL('1'), now }),
      fakeSign,
    );

    expect(afterWindow.outcome).toBe('ALLOW');

    // A second wallet whose full-budget spend is exactly 24 h old: still inside the window.
    const other = await ownerWithWallet(prisma);
    await setPolicy(prisma, other.wallet.id, { perTxLimit: '1', dailyLimit: '1' });
    await spend.reserveTransfer(
      request(other.wallet.id, { amount: SOL('1'), now: new Date(now.getTime() - 86_400_000) }),
      fakeSign,
    );
    const atBoundary = await spend.reserveTransfer(
      request(other.wallet.id, { amount: SOL('0.000000001'), now }),
      fakeSign,
    );
    expect(atBoundary.outcome).toBe('DENY');
  });

  it('counts a reservation stamped later than the request (its clock was read before the lock)', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '1', dailyLimit: '1' });
    const now = new Date();
    await spend.reserveTransfer(
      request(wallet.id, { amount: SOL('1'), now: new Date(now.getTime() + 50) }),
      fakeSign,
    );

    const late = await spend.reserveTransfer(
      request(wallet.id, { amount: SOL('0.1'), now }),
      fakeSign,
    );

    expect(late.outcome).toBe('DENY');
  });

  it('frees the amount of a transaction that FAILED', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '1', dailyLimit: '1' });
    const first = await spend.reserveTransfer(request(wallet.id, { amount: SOL('1') }), fakeSign);
    expect(
      (await spend.reserveTransfer(request(wallet.id, { amount: SOL('0.5') }), fakeSign)).outcome,
    ).toBe('DENY');
    if (first.outcome === 'DENY') throw new Error('first transfer should have been allowed');

    await prisma.transaction.update({
      where: { id: first.transaction.id },
      data: { status: 'FAILED', failureReason: 'EXPIRED' },
    });

    expect(
      (await spend.reserveTransfer(request(wallet.id, { amount: SOL('1') }), fakeSign)).outcome,
    ).toBe('ALLOW');
  });

  it('counts transfers awaiting approval until they are rejected', async () => {
    const { owner, wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, {
      perTxLimit: '1',
      dailyLimit: '1',
      requiresApproval: true,
    });
    const waiting = await spend.reserveTransfer(
      request(wallet.id, { amount: SOL('0.8') }),
      fakeSign,
    );
    expect(waiting.outcome).toBe('REQUIRE_APPROVAL');
    expect(waiting.transaction?.status).toBe('AWAITING_APPROVAL');
    expect(waiting.transaction?.signature).toBeNull();
    expect(
      (await spend.reserveTransfer(request(wallet.id, { amount: SOL('0.5') }), fakeSign)).outcome,
    ).toBe('DENY');

    await spend.rejectTransfer({
      transactionId: waiting.transaction!.id,
      ownerId: owner.id,
      now: new Date(),
    });

    expect(
      (await spend.reserveTransfer(request(wallet.id, { amount: SOL('0.5') }), fakeSign)).outcome,
    ).toBe('REQUIRE_APPROVAL');
  });
});

describe('decisions and their side effects', () => {
  it('denies by default when the wallet has no policy, and audits the denial without a transaction', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    const sign = jest.fn(fakeSign);

    const result = await spend.reserveTransfer(request(wallet.id), sign);

    expect(result.outcome).toBe('DENY');
    expect(result.decision.reasons.map((r) => r.code)).toEqual(['NO_POLICY']);
    expect(sign).not.toHaveBeenCalled();
    expect(await prisma.transaction.count({ where: { walletId: wallet.id } })).toBe(0);
    const events = await prisma.event.findMany({ where: { walletId: wallet.id } });
    expect(events.map((e) => e.type)).toEqual(['transfer.denied']);
  });

  it('signs only allowed transfers and stores them PENDING with the signed bytes and an audit event', async () => {
    const { agent, wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '1', dailyLimit: '1' });
    const sign = jest.fn(fakeSign);

    const result = await spend.reserveTransfer(
      request(wallet.id, { agentId: agent.id, idempotencyKey: 'k-1' }),
      sign,
    );

    expect(sign).toHaveBeenCalledTimes(1);
    expect(result.outcome).toBe('ALLOW');
    const row = await prisma.transaction.findUniqueOrThrow({
      where: { id: result.transaction!.id },
    });
    expect(row).toMatchObject({
      status: 'PENDING',
      agentId: agent.id,
      idempotencyKey: 'k-1',
      policyOutcome: 'ALLOW',
      policyVersion: 1,
    });
    expect(row.signature).not.toBeNull();
    expect(row.wireTransaction?.length).toBe(200);
    const events = await prisma.event.findMany({ where: { transactionId: row.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'transaction.created',
      actorType: 'AGENT',
      actorId: agent.id,
    });
  });

  it('stores nothing when signing fails', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '1', dailyLimit: '1' });

    await expect(
      spend.reserveTransfer(request(wallet.id), () =>
        Promise.reject(new Error('custody unavailable')),
      ),
    ).rejects.toThrow('custody unavailable');

    expect(await prisma.transaction.count({ where: { walletId: wallet.id } })).toBe(0);
    expect(await prisma.event.count({ where: { walletId: wallet.id } })).toBe(0);
  });

  it('re-evaluates at approval time: approved when the budget allows, FAILED/POLICY when it was used elsewhere', async () => {
    const { owner, wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, {
      perTxLimit: '1',
      dailyLimit: '1',
      requiresApproval: true,
      metadata: { approvalThreshold: '0.5' },
    });
    const big = await spend.reserveTransfer(request(wallet.id, { amount: SOL('0.6') }), fakeSign);
    expect(big.outcome).toBe('REQUIRE_APPROVAL');
    const approved = await spend.approveTransfer(
      { transactionId: big.transaction!.id, ownerId: owner.id, now: new Date() },
      fakeSign,
    );
    expect(approved.outcome).toBe('ALLOW');
    expect(approved.transaction.status).toBe('PENDING');

    const second = await spend.reserveTransfer(
      request(wallet.id, { amount: SOL('0.4') }),
      fakeSign,
    );
    expect(second.outcome).toBe('ALLOW'); // below the threshold: no approval needed
    const third = await spend.reserveTransfer(request(wallet.id, { amount: SOL('0.6') }), fakeSign);
    expect(third.outcome).toBe('DENY'); // 0.6 + 0.4 + 0.6 > 1
  });

  it('fails an approval whose budget was spent while it waited', async () => {
    const { owner, wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, {
      perTxLimit: '1',
      dailyLimit: '1',
      requiresApproval: true,
      metadata: { approvalThreshold: '0.5' },
    });
    const waiting = await spend.reserveTransfer(
      request(wallet.id, { amount: SOL('0.6') }),
      fakeSign,
    );
    // The policy is tightened while the transfer waits.
    await prisma.walletPolicy.update({
      where: { walletId: wallet.id },
      data: { dailyLimit: new Prisma.Decimal('0.5'), version: 2 },
    });
    const sign = jest.fn(fakeSign);

    const result = await spend.approveTransfer(
      { transactionId: waiting.transaction!.id, ownerId: owner.id, now: new Date() },
      sign,
    );

    expect(result.outcome).toBe('DENY');
    expect(sign).not.toHaveBeenCalled();
    expect(result.transaction).toMatchObject({
      status: 'FAILED',
      failureReason: 'POLICY',
      policyVersion: 2,
    });
    expect(result.decision.reasons.map((r) => r.code)).toContain('DAILY_LIMIT_EXCEEDED');
  });

  it("refuses to decide twice, and hides other owners' transactions", async () => {
    const { owner, wallet } = await ownerWithWallet(prisma);
    const stranger = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, {
      perTxLimit: '1',
      dailyLimit: '1',
      requiresApproval: true,
    });
    const waiting = await spend.reserveTransfer(request(wallet.id), fakeSign);
    const id = waiting.transaction!.id;

    const foreign = await spend
      .rejectTransfer({ transactionId: id, ownerId: stranger.owner.id, now: new Date() })
      .catch((e: unknown) => e);
    expect(isRepositoryError(foreign, 'TRANSACTION_NOT_FOUND')).toBe(true);
    await spend.rejectTransfer({ transactionId: id, ownerId: owner.id, now: new Date() });
    const again = await spend
      .approveTransfer({ transactionId: id, ownerId: owner.id, now: new Date() }, fakeSign)
      .catch((e: unknown) => e);
    expect(isRepositoryError(again, 'TRANSACTION_NOT_AWAITING_APPROVAL')).toBe(true);
  });

  it('evaluates a dry run without writing anything', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, { perTxLimit: '0.5', dailyLimit: '1' });

    const decision = await spend.evaluateTransfer(request(wallet.id, { amount: SOL('0.6') }));

    expect(decision.outcome).toBe('DENY');
    expect(decision.reasons.map((r) => r.code)).toEqual(['PER_TX_LIMIT_EXCEEDED']);
    expect(await prisma.transaction.count({ where: { walletId: wallet.id } })).toBe(0);
    expect(await prisma.event.count({ where: { walletId: wallet.id } })).toBe(0);
  });

  it('rejects an unknown wallet with a coded error', async () => {
    const error = await spend
      .reserveTransfer(request('00000000-0000-4000-8000-000000000000'), fakeSign)
      .catch((e: unknown) => e);

    expect(isRepositoryError(error, 'WALLET_NOT_FOUND')).toBe(true);
  });
});

describe('fees and declared programs', () => {
  const COMPUTE_BUDGET = 'ComputeBudget111111111111111111111111111111';
  const SYSTEM = '11111111111111111111111111111111';

  it('counts every stored fee toward the SOL daily limit, token transfers included', async () => {
    const { wallet } = await ownerWithWallet(prisma);
    const mint = newAddress();
    await setPolicy(prisma, wallet.id, {
      perTxLimit: '1',
      dailyLimit: '0.3',
      allowedAssets: [mint],
    });
    const fee = 5_000n;
    const sol = await spend.reserveTransfer(
      request(wallet.id, { amount: SOL('0.2'), fee }),
      fakeSign,
    );
    expect(sol.outcome).toBe('ALLOW');
    expect(sol.transaction!.networkFee.toFixed(0)).toBe('5000');
    const token = await spend.reserveTransfer(
      request(wallet.id, { asset: mint, decimals: 6, amount: 7n, fee }),
      fakeSign,
    );
    expect(token.outcome).toBe('ALLOW');
    // 0.2 SOL + two fees are counted: exactly what is left fits, one lamport more does not.
    const left = SOL('0.1') - 2n * fee;
    const over = await spend.reserveTransfer(
      request(wallet.id, { amount: left - fee + 1n, fee }),
      fakeSign,
    );
    expect(over.outcome).toBe('DENY');
    expect(over.decision.reasons).toEqual([
      expect.objectContaining({
        code: 'DAILY_LIMIT_EXCEEDED',
        spent: (SOL('0.2') + 2n * fee).toString(),
        fee: '5000',
      }),
    ]);
    const exact = await spend.reserveTransfer(
      request(wallet.id, { amount: left - fee, fee }),
      fakeSign,
    );
    expect(exact.outcome).toBe('ALLOW');
  });

  it('approves a transfer under allowedPrograms: the programs judged at reservation are stored and judged again', async () => {
    const { owner, wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, {
      perTxLimit: '1',
      dailyLimit: '1',
      requiresApproval: true,
      metadata: { allowedPrograms: [COMPUTE_BUDGET, SYSTEM] },
    });
    const waiting = await spend.reserveTransfer(
      request(wallet.id, { programs: [COMPUTE_BUDGET, SYSTEM], fee: 5_000n }),
      fakeSign,
    );
    expect(waiting.outcome).toBe('REQUIRE_APPROVAL');
    expect(waiting.transaction!.programs).toEqual([COMPUTE_BUDGET, SYSTEM]);
    const approved = await spend.approveTransfer(
      { transactionId: waiting.transaction!.id, ownerId: owner.id, now: new Date() },
      fakeSign,
    );
    expect(approved.decision.reasons.map((r) => r.code)).toEqual(['APPROVAL_REQUIRED']);
    expect(approved.outcome).toBe('ALLOW');
    expect(approved.transaction.status).toBe('PENDING');
  });

  it('refuses at approval a row whose programs were never recorded (undeclared, never assumed empty)', async () => {
    const { owner, wallet } = await ownerWithWallet(prisma);
    await setPolicy(prisma, wallet.id, {
      perTxLimit: '1',
      dailyLimit: '1',
      requiresApproval: true,
      metadata: { allowedPrograms: [COMPUTE_BUDGET, SYSTEM] },
    });
    const waiting = await spend.reserveTransfer(
      request(wallet.id, { programs: [COMPUTE_BUDGET, SYSTEM] }),
      fakeSign,
    );
    // As a row from before programs were stored looks.
    await prisma.transaction.update({
      where: { id: waiting.transaction!.id },
      data: { programs: [] },
    });
    const result = await spend.approveTransfer(
      { transactionId: waiting.transaction!.id, ownerId: owner.id, now: new Date() },
      fakeSign,
    );
    expect(result.outcome).toBe('DENY');
    expect(result.decision.reasons).toContainEqual({ code: 'PROGRAM_NOT_ALLOWED', program: null });
  });
});
