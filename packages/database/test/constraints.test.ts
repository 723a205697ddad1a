import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  createPrismaClient,
  isCheckViolation,
  isForeignKeyViolation,
  isUniqueViolation,
  NOT_COUNTING_STATUSES,
  sqlState,
  Prisma,
  type PrismaClient,
} from '../src/index.js';

let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url, poolSize: 4 });
});

afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

const U64_MAX = '18446744073709551615';
const hash = () => randomBytes(32).toString('hex');
const address = () => randomBytes(22).toString('hex'); // unique string; format is checked by the API
const signature = () => randomBytes(40).toString('hex');

async function owner() {
  return prisma.owner.create({
    data: { email: `${randomUUID()}@example.com`, apiKeyHash: hash() },
  });
}
async function agent(ownerId: string) {
  return prisma.agent.create({ data: { ownerId, name: 'agent', apiKeyHash: hash() } });
}
async function wallet(ownerId: string) {
  return prisma.wallet.create({ data: { ownerId, address: address(), custody: 'LOCAL' } });
}
function pendingTx(
  walletId: string,
  agentId: string | null,
  extra: Partial<Prisma.TransactionUncheckedCreateInput> = {},
) {
  return {
    walletId,
    agentId,
    amount: new Prisma.Decimal(1000),
    decimals: 9,
    destination: address(),
    status: 'PENDING' as const,
    signature: signature(),
    wireTransaction: new Uint8Array([1, 2, 3]),
    blockhash: 'hash',
    lastValidBlockHeight: 150n,
    policyOutcome: 'ALLOW' as const,
    policyDecision: { outcome: 'ALLOW', reasons: [] },
    ...extra,
  } satisfies Prisma.TransactionUncheckedCreateInput;
}

async function expectCheckViolation(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeDefined();
  expect(isCheckViolation(error)).toBe(true);
}

describe('relations', () => {
  it('deleting an owner cascades to its agents, wallets, grants, policies and transactions', async () => {
    const o = await owner();
    const a = await agent(o.id);
    const w = await wallet(o.id);
    await prisma.walletAgent.create({ data: { walletId: w.id, agentId: a.id } });
    await prisma.walletPolicy.create({
      data: {
        walletId: w.id,
        dailyLimit: new Prisma.Decimal(1),
        perTxLimit: new Prisma.Decimal(1),
      },
    });
    await prisma.transaction.create({ data: pendingTx(w.id, a.id) });
    await prisma.event.create({
      data: { type: 'owner.created', actorType: 'OPERATOR', ownerId: o.id },
    });

    await prisma.owner.delete({ where: { id: o.id } });

    expect(await prisma.agent.count({ where: { ownerId: o.id } })).toBe(0);
    expect(await prisma.wallet.count({ where: { ownerId: o.id } })).toBe(0);
    expect(await prisma.walletAgent.count({ where: { walletId: w.id } })).toBe(0);
    expect(await prisma.walletPolicy.count({ where: { walletId: w.id } })).toBe(0);
    expect(await prisma.transaction.count({ where: { walletId: w.id } })).toBe(0);
    // The audit log outlives what it describes.
    expect(await prisma.event.count({ where: { ownerId: o.id } })).toBe(1);
  });

  it('deleting an agent keeps its transactions, with the agent set to null', async () => {
    const o = await owner();
    const a = await agent(o.id);
    const w = await wallet(o.id);
    const tx = await prisma.transaction.create({ data: pendingTx(w.id, a.id) });

    await prisma.agent.delete({ where: { id: a.id } });

    const after = await prisma.transaction.findUniqueOrThrow({ where: { id: tx.id } });
    expect(after.agentId).toBeNull();
  });
});

describe('foreign keys', () => {
  it('refuse an agent whose owner does not exist', async () => {
    const error = await prisma.agent
      .create({ data: { ownerId: randomUUID(), name: 'orphan', apiKeyHash: hash() } })
      .catch((e: unknown) => e);

    expect(isForeignKeyViolation(error)).toBe(true);
  });
});

describe('unique constraints', () => {
  it('rejects a second transaction with the same signature', async () => {
    const o = await owner();
    const w = await wallet(o.id);
    const sig = signature();
    await prisma.transaction.create({ data: pendingTx(w.id, null, { signature: sig }) });

    const error = await prisma.transaction
      .create({ data: pendingTx(w.id, null, { signature: sig }) })
      .catch((e: unknown) => e);

    expect(isUniqueViolation(error)).toBe(true);
  });

  it('allows many unsigned (awaiting approval) transactions: signature is nullable-unique', async () => {
    const o = await owner();
    const w = await wallet(o.id);
    const unsigned = {
      ...pendingTx(w.id, null),
      status: 'AWAITING_APPROVAL' as const,
      signature: null,
      wireTransaction: null,
      blockhash: null,
      lastValidBlockHeight: null,
      policyOutcome: 'REQUIRE_APPROVAL' as const,
    };
    await prisma.transaction.create({ data: unsigned });
    await prisma.transaction.create({ data: unsigned });

    expect(await prisma.transaction.count({ where: { walletId: w.id, signature: null } })).toBe(2);
  });

  it('rejects a second wallet with the same address', async () => {
    const o = await owner();
    const addr = address();
    await prisma.wallet.create({ data: { ownerId: o.id, address: addr, custody: 'LOCAL' } });

    const error = await prisma.wallet
      .create({ data: { ownerId: o.id, address: addr, custody: 'LOCAL' } })
      .catch((e: unknown) => e);

    expect(isUniqueViolation(error)).toBe(true);
  });

  it('scopes idempotency keys per agent', async () => {
    const o = await owner();
    const [a1, a2] = [await agent(o.id), await agent(o.id)];
    const record = (agentId: string) => ({
      agentId,
      key: 'order-42',
      fingerprint: 'f',
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    await prisma.idempotencyRecord.create({ data: record(a1.id) });
    await prisma.idempotencyRecord.create({ data: record(a2.id) });

    const error = await prisma.idempotencyRecord
      .create({ data: record(a1.id) })
      .catch((e: unknown) => e);

    expect(isUniqueViolation(error)).toBe(true);
    const w = await wallet(o.id);
    await prisma.transaction.create({ data: pendingTx(w.id, a1.id, { idempotencyKey: 'k' }) });
    const txError = await prisma.transaction
      .create({ data: pendingTx(w.id, a1.id, { idempotencyKey: 'k' }) })
      .catch((e: unknown) => e);
    expect(isUniqueViolation(txError)).toBe(true);
  });
});

describe('CHECK constraints', () => {
  it('rejects policy metadata that is not a JSON object', async () => {
    const o = await owner();
    const w = await wallet(o.id);
    await expectCheckViolation(
      prisma.walletPolicy.create({
        data: {
          walletId: w.id,
          dailyLimit: new Prisma.Decimal(1),
          perTxLimit: new Prisma.Decimal(1),
          metadata: ['not', 'an', 'object'],
        },
      }),
    );
  });

  it('rejects negative limits', async () => {
    const o = await owner();
    const w = await wallet(o.id);
    await expectCheckViolation(
      prisma.walletPolicy.create({
        data: {
          walletId: w.id,
          dailyLimit: new Prisma.Decimal('-0.000000001'),
          perTxLimit: new Prisma.Decimal(1),
        },
      }),
    );
    await expectCheckViolation(
      prisma.walletPolicy.create({
        data: {
          walletId: w.id,
          dailyLimit: new Prisma.Decimal(1),
          perTxLimit: new Prisma.Decimal(-1),
        },
      }),
    );
  });

  it('rejects zero, negative and above-u64 amounts', async () => {
    const o = await owner();
    const w = await wallet(o.id);
    for (const amount of ['0', '-1', '18446744073709551616']) {
      await expectCheckViolation(
        prisma.transaction.create({
          data: pendingTx(w.id, null, { amount: new Prisma.Decimal(amount) }),
        }),
      );
    }
  });

  it('rejects a signed status without the bytes the worker needs, and FAILED without a reason', async () => {
    const o = await owner();
    const w = await wallet(o.id);
    await expectCheckViolation(
      prisma.transaction.create({ data: pendingTx(w.id, null, { signature: null }) }),
    );
    await expectCheckViolation(
      prisma.transaction.create({ data: pendingTx(w.id, null, { wireTransaction: null }) }),
    );
    await expectCheckViolation(
      prisma.transaction.create({ data: pendingTx(w.id, null, { status: 'FAILED' }) }),
    );
    await expectCheckViolation(
      prisma.transaction.create({ data: pendingTx(w.id, null, { failureReason: 'EXPIRED' }) }),
    );
  });

  it('ties turnkeyWalletId to TURNKEY custody', async () => {
    const o = await owner();
    await expectCheckViolation(
      prisma.wallet.create({ data: { ownerId: o.id, address: address(), custody: 'TURNKEY' } }),
    );
    await expectCheckViolation(
      prisma.wallet.create({
        data: { ownerId: o.id, address: address(), custody: 'LOCAL', turnkeyWalletId: 'tk-1' },
      }),
    );
  });
});

describe('the audit log', () => {
  it('is append-only', async () => {
    const event = await prisma.event.create({
      data: { type: 'test.event', actorType: 'SYSTEM', payload: { a: 1 } },
    });

    // Prisma reports SQLSTATE 23001 (the trigger's restrict_violation) under its foreign-key
    // code P2003 with a generic message, so the refusal is recognised by its SQLSTATE.
    const refusals = await Promise.all([
      prisma.event
        .update({ where: { id: event.id }, data: { type: 'rewritten' } })
        .catch((e: unknown) => e),
      prisma.event.delete({ where: { id: event.id } }).catch((e: unknown) => e),
      prisma.$executeRawUnsafe('TRUNCATE events CASCADE').catch((e: unknown) => e),
    ]);

    expect(refusals.map((e) => sqlState(e))).toEqual(['23001', '23001', '23001']);
    expect(isForeignKeyViolation(refusals[0])).toBe(false);
    expect((await prisma.event.findUniqueOrThrow({ where: { id: event.id } })).type).toBe(
      'test.event',
    );
  });
});

describe('exact amounts', () => {
  it('round-trips DECIMAL(20,9) SOL limits without loss', async () => {
    const o = await owner();
    const w = await wallet(o.id);
    await prisma.walletPolicy.create({
      data: {
        walletId: w.id,
        dailyLimit: new Prisma.Decimal('12345678901.123456789'),
        perTxLimit: new Prisma.Decimal('0.000000001'),
      },
    });

    const policy = await prisma.walletPolicy.findUniqueOrThrow({ where: { walletId: w.id } });

    expect(policy.dailyLimit.toFixed(9)).toBe('12345678901.123456789');
    expect(policy.perTxLimit.toFixed(9)).toBe('0.000000001');
  });

  it('round-trips u64 base-unit amounts up to 18446744073709551615', async () => {
    const o = await owner();
    const w = await wallet(o.id);
    const tx = await prisma.transaction.create({
      data: pendingTx(w.id, null, { amount: new Prisma.Decimal(U64_MAX) }),
    });

    const read = await prisma.transaction.findUniqueOrThrow({ where: { id: tx.id } });

    expect(read.amount.toFixed(0)).toBe(U64_MAX);
    expect(BigInt(read.amount.toFixed(0))).toBe(18446744073709551615n);
  });
});

describe('the spend buckets', () => {
  it('are kept by triggers that name exactly the statuses that stop counting', async () => {
    // The list lives in places the compiler cannot tie together: spend-accounting.ts and the
    // statement triggers' functions. A status added to one and not the others would count in
    // the decision and not in the buckets (or the reverse).
    const quoted = (text: string) => [...text.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!);
    const expected = [...NOT_COUNTING_STATUSES].sort();
    const functions = await prisma.$queryRaw<{ name: string; src: string }[]>`
      SELECT proname AS name, prosrc AS src FROM pg_proc
      WHERE proname IN ('spend_buckets_insert_rows', 'spend_buckets_delete_rows',
                        'spend_buckets_update_rows')
      ORDER BY proname`;
    expect(functions.map((f) => f.name)).toEqual([
      'spend_buckets_delete_rows',
      'spend_buckets_insert_rows',
      'spend_buckets_update_rows',
    ]);
    for (const { name, src } of functions) {
      const lists = [...src.matchAll(/NOT IN \(([^)]*)\)/g)].map((m) => quoted(m[1]!).sort());
      // Wallet buckets and key buckets; an update reads its old rows and its new rows for each.
      expect(lists).toHaveLength(name === 'spend_buckets_update_rows' ? 4 : 2);
      for (const list of lists) expect(list).toEqual(expected);
    }
  });
});
