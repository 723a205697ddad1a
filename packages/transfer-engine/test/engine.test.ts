// The engine against real PostgreSQL, the local ledger (LiteSVM behind JSON-RPC) and a real
// Ed25519 custody: approvals under allowedPrograms, fees, doomed transfers, round trips.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type Address,
  createSolanaRpc,
  generateKeyPair,
  generateKeyPairSigner,
  getAddressFromPublicKey,
  getBase64EncodedWireTransaction,
  getTransactionDecoder,
  type ReadonlyUint8Array,
  signBytes,
} from '@solana/kit';
import { createPrismaClient, Prisma, type PrismaClient } from '@waiaas/database';
import { startLocalLedger, type LocalLedger } from '@waiaas/local-ledger';
import { createRpc, type KeyCustody, TOKEN_PROGRAM_ADDRESS } from '@waiaas/solana-signer';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import {
  isTransferEngineError,
  type ResponsePresenter,
  TransferEngine,
  type TransferInput,
} from '../src/index.js';
import { mintTo } from '@waiaas/local-ledger/testing';

class KeyPairCustody implements KeyCustody {
  readonly kind = 'LOCAL' as const;
  private readonly keys = new Map<string, Awaited<ReturnType<typeof generateKeyPair>>>();
  async createWallet() {
    const pair = await generateKeyPair();
    const address = await getAddressFromPublicKey(pair.publicKey);
    this.keys.set(address, pair);
    return { address, custodyRef: null, kind: this.kind };
  }
  async signMessage(address: Address, message: ReadonlyUint8Array) {
    return signBytes(this.keys.get(address)!.privateKey, message);
  }
}

const COMPUTE_BUDGET = 'ComputeBudget111111111111111111111111111111';
const SYSTEM = '11111111111111111111111111111111';
const ATA = 'ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL';
const SOL = 1_000_000_000n;
const FEE = 5_000n;

let db: TestDatabase;
let ledger: LocalLedger;
let prisma: PrismaClient;
let custody: KeyPairCustody;
let engine: TransferEngine;
/** Every round trip of the engine's client to the database, as the slow-query hook at 0 ms reports it. */
let statements: string[] = [];

const present: ResponsePresenter = {
  created: (transaction) => ({ status: 201, body: { id: transaction.id } }),
  denied: (decision) => ({ status: 403, body: { reasons: decision.reasons } }),
};

beforeAll(async () => {
  db = await createTestDatabase();
  ledger = await startLocalLedger({ port: 0, slotMs: 0 });
  prisma = createPrismaClient({
    url: db.url,
    poolSize: 12,
    connectionTimeoutMs: 60_000,
    statementTimeoutMs: 60_000,
    slowQueryMs: 0,
    onSlowQuery: (e) => statements.push(e.query),
  });
  custody = new KeyPairCustody();
  engine = new TransferEngine({
    prisma,
    custody,
    rpc: createRpc({ url: ledger.url }),
    spendOptions: { maxWaitMs: 60_000, transactionTimeoutMs: 60_000 },
  });
});

afterAll(async () => {
  await prisma.$disconnect();
  await ledger.close();
  await db.drop();
});

async function setup(policy: {
  perTxLimit: string;
  dailyLimit: string;
  allowedAssets?: string[];
  requiresApproval?: boolean;
  metadata?: Record<string, unknown>;
}) {
  const owner = await prisma.owner.create({
    data: { email: `${randomUUID()}@example.com`, apiKeyHash: randomBytes(32).toString('hex') },
  });
  const agent = await prisma.agent.create({
    data: { ownerId: owner.id, name: 'agent', apiKeyHash: randomBytes(32).toString('hex') },
  });
  const { address } = await custody.createWallet();
  const wallet = await prisma.wallet.create({
    data: { ownerId: owner.id, address, custody: 'LOCAL' },
  });
  await prisma.walletPolicy.create({
    data: {
      walletId: wallet.id,
      perTxLimit: new Prisma.Decimal(policy.perTxLimit),
      dailyLimit: new Prisma.Decimal(policy.dailyLimit),
      allowedAssets: policy.allowedAssets ?? [],
      allowedAddresses: [],
      requiresApproval: policy.requiresApproval ?? false,
      metadata: (policy.metadata ?? {}) as Prisma.InputJsonObject,
    },
  });
  await ledger.airdrop(address, 10n * SOL);
  ledger.advanceSlots(1);
  const input = (
    over: Partial<Omit<TransferInput, 'agentId'>>,
  ): TransferInput & { agentId: string } => ({
    walletId: wallet.id,
    from: address,
    agentId: agent.id,
    to: '',
    amount: '0.1',
    ...over,
  });
  return { owner, agent, wallet, address, input };
}

/** An agent key allowed to transfer from any of the agent's wallets, with a daily cap in SOL or none. */
function createKey(agentId: string, capSol: string | null) {
  return prisma.agentKey.create({
    data: {
      agentId,
      name: 'key',
      keyHash: randomBytes(32).toString('hex'),
      scopes: ['transfer'],
      walletIds: [],
      dailyCap: capSol === null ? null : new Prisma.Decimal(capSol).mul(1e9),
    },
  });
}

function create(input: TransferInput & { agentId: string }, key: string = randomUUID()) {
  return createWith(engine, input, key);
}

function createWith(
  on: TransferEngine,
  input: TransferInput & { agentId: string },
  key: string = randomUUID(),
) {
  return on.create(input, { agentId: input.agentId, key, fingerprint: key }, present);
}

/** Sends the stored wire bytes as the worker would and waits until the ledger confirms them. */
async function landConfirmed(transactionId: string): Promise<void> {
  const row = await prisma.transaction.findUniqueOrThrow({ where: { id: transactionId } });
  const rpc = createSolanaRpc(ledger.url);
  const wire = getBase64EncodedWireTransaction(
    getTransactionDecoder().decode(row.wireTransaction!),
  );
  await rpc.sendTransaction(wire, { encoding: 'base64' }).send();
  ledger.advanceSlots(2);
  const { value } = await rpc.getSignatureStatuses([row.signature as never]).send();
  expect(value[0]?.err).toBeNull();
  expect(['confirmed', 'finalized']).toContain(value[0]?.confirmationStatus);
}

async function rowCounts() {
  return Promise.all([
    prisma.transaction.count(),
    prisma.idempotencyRecord.count(),
    prisma.event.count(),
  ]);
}

describe('approval under allowedPrograms', () => {
  it('a SOL transfer waits, is approved on the programs stored at reservation, and lands', async () => {
    const { owner, input } = await setup({
      perTxLimit: '1',
      dailyLimit: '2',
      requiresApproval: true,
      metadata: { allowedPrograms: [COMPUTE_BUDGET, SYSTEM] },
    });
    const to = (await generateKeyPairSigner()).address;
    const created = await create(input({ to, amount: '0.5' }));
    expect(created.replayed).toBe(false);
    if (created.replayed) return;
    expect(created.result.outcome).toBe('REQUIRE_APPROVAL');
    const waiting = created.result.transaction!;
    expect(waiting.programs).toEqual([COMPUTE_BUDGET, SYSTEM]);
    expect(waiting.networkFee.toFixed(0)).toBe('5000');

    const approved = await engine.approve({ transactionId: waiting.id, ownerId: owner.id });
    expect(approved.outcome).toBe('ALLOW');
    expect(approved.transaction.status).toBe('PENDING');
    await landConfirmed(waiting.id);
    expect(await createSolanaRpc(ledger.url).getBalance(to).send()).toEqual(
      expect.objectContaining({ value: SOL / 2n }),
    );
  });

  it('a token transfer too (ATA creation included in the declared programs)', async () => {
    const { owner, address, input } = await setup({
      perTxLimit: '1',
      dailyLimit: '2',
      requiresApproval: true,
      metadata: { allowedPrograms: [COMPUTE_BUDGET, ATA, TOKEN_PROGRAM_ADDRESS] },
    });
    const mint = await mintTo(ledger, address, 6, 5_000_000n);
    await prisma.walletPolicy.update({
      where: { walletId: input({}).walletId },
      data: { allowedAssets: [mint] },
    });
    const to = (await generateKeyPairSigner()).address;
    const created = await create(input({ to, amount: '1.5', mint }));
    if (created.replayed) throw new Error('unexpected replay');
    expect(created.result.outcome).toBe('REQUIRE_APPROVAL');
    const waiting = created.result.transaction!;
    expect(waiting.programs).toEqual([COMPUTE_BUDGET, ATA, TOKEN_PROGRAM_ADDRESS]);
    const approved = await engine.approve({ transactionId: waiting.id, ownerId: owner.id });
    expect(approved.outcome).toBe('ALLOW');
    await landConfirmed(waiting.id);
  });
});

describe('fees count', () => {
  it('a wallet never spends more than its limits including fees, under a burst', async () => {
    const { wallet, input } = await setup({ perTxLimit: '1', dailyLimit: '3' });
    const to = (await generateKeyPairSigner()).address;
    // 0.5 SOL + fee each: five would fit without fees (2.5 + 5 fees ≤ 3), six would not.
    const amount = '0.6';
    const results = await Promise.all(
      Array.from({ length: 12 }, () => create(input({ to, amount }))),
    );
    const allowed = results.filter((r) => !r.replayed && r.result.outcome === 'ALLOW');
    expect(allowed).toHaveLength(4); // 4 × 0.6 + 4 × fee ≤ 3 < 5 × 0.6 + 5 × fee
    const rows = await prisma.transaction.findMany({ where: { walletId: wallet.id } });
    const spent = rows.reduce(
      (sum, r) => sum + BigInt(r.amount.toFixed(0)) + BigInt(r.networkFee.toFixed(0)),
      0n,
    );
    expect(spent).toBe(4n * (600_000_000n + FEE));
    expect(spent <= 3n * SOL).toBe(true);
  });

  it('an amount that fits only without its fee is denied with the figures', async () => {
    const { input } = await setup({ perTxLimit: '1', dailyLimit: '5' });
    const to = (await generateKeyPairSigner()).address;
    const denied = await create(input({ to, amount: '1' }));
    if (denied.replayed) throw new Error('unexpected replay');
    expect(denied.result.outcome).toBe('DENY');
    expect(denied.result.decision.reasons).toEqual([
      {
        code: 'PER_TX_LIMIT_EXCEEDED',
        asset: null,
        decimals: 9,
        limit: '1000000000',
        requested: '1000000000',
        fee: '5000',
      },
    ]);
    const allowed = await create(input({ to, amount: '0.999995' }));
    if (allowed.replayed) throw new Error('unexpected replay');
    expect(allowed.result.outcome).toBe('ALLOW');
  });
});

describe('doomed transfers are refused before anything is stored', () => {
  it.each([
    ['the System program', SYSTEM, '1', 'RECIPIENT_IS_PROGRAM'],
    ['the rent sysvar', 'SysvarRent111111111111111111111111111111111', '1', 'RECIPIENT_IS_PROGRAM'],
    [
      'the stake program',
      'Stake11111111111111111111111111111111111111',
      '1',
      'RECIPIENT_IS_PROGRAM',
    ],
    ['a fresh address, 1 lamport', null, '0.000000001', 'RECIPIENT_BELOW_RENT_EXEMPTION'],
    ['the wallet itself', 'self', '0.1', 'RECIPIENT_IS_SENDER'],
  ])('%s → %s', async (_name, target, amount, code) => {
    const { address, input } = await setup({ perTxLimit: '1', dailyLimit: '5' });
    const to =
      target === 'self'
        ? address
        : target === null
          ? (await generateKeyPairSigner()).address
          : target;
    const before = await rowCounts();
    const error = await create(input({ to, amount })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isTransferEngineError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    expect(await rowCounts()).toEqual(before);
  });

  it('a mint that does not exist is a client error, not an outage', async () => {
    const { input } = await setup({ perTxLimit: '1', dailyLimit: '5' });
    const error = await create(
      input({
        to: (await generateKeyPairSigner()).address,
        mint: (await generateKeyPairSigner()).address,
      }),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as { code: string }).code).toBe('MINT_NOT_FOUND');
  });
});

describe('database round trips', () => {
  it('an allowed SOL transfer costs a fixed number of round trips', async () => {
    const { input } = await setup({ perTxLimit: '1', dailyLimit: '1000' });
    const to = (await generateKeyPairSigner()).address;
    await create(input({ to, amount: '0.01' })); // warm the blockhash cache
    statements = [];
    await create(input({ to, amount: '0.01' }));
    const first = statements.length;
    // Every pooled connection has prepared the statements by now (the first use of a statement
    // on a connection sends BEGIN in a round trip of its own).
    for (let i = 0; i < 10; i++) await create(input({ to, amount: '0.01' }));
    statements = [];
    await create(input({ to, amount: '0.01' }));
    expect(statements.length).toBeLessThanOrEqual(first);
    // BEGIN with lock + policy + the key's record, and the spend sums after it; the idempotency
    // record with its response, the transaction row, its audit event and NOTIFY, with COMMIT.
    // Custody reads no row: the opened key is kept (and this test's custody holds its keys in
    // memory anyway).
    expect(statements).toEqual([
      expect.stringMatching(
        /^BEGIN; SET LOCAL [\s\S]*idempotency_records r[\s\S]*FOR UPDATE OF w; WITH r AS \([\s\S]*spend_buckets/,
      ),
      expect.stringMatching(
        /INSERT INTO idempotency_records[\s\S]*INSERT INTO transactions[\s\S]*; COMMIT$/,
      ),
    ]);
    expect(statements).toHaveLength(TRANSFER_ROUND_TRIPS);
  });

  describe('sums sent with the lock, for the policy the last reservation found', () => {
    // 0.6 SOL spent at 23:00 UTC, 0.5 SOL asked for at 01:00 against a daily limit of 1 SOL:
    // denied over a rolling 24 hours, allowed within the UTC day.
    const spentAt = new Date('2026-11-20T23:00:00.123Z');
    const askedAt = new Date('2026-11-21T01:00:00.456Z');
    let now = spentAt;
    const clocked = () =>
      new TransferEngine({
        prisma,
        custody,
        rpc: createRpc({ url: ledger.url }),
        spendOptions: { maxWaitMs: 60_000, transactionTimeoutMs: 60_000 },
        clock: () => now,
      });
    const sums = (list: string[]) => list.filter((s) => s.includes('spend_buckets')).length;

    it('a policy whose daily window changed since is judged on its new window, at the cost of one round trip', async () => {
      const on = clocked();
      const { wallet, input } = await setup({ perTxLimit: '1', dailyLimit: '1' });
      const to = (await generateKeyPairSigner()).address;
      const setWindow = (dailyWindow: string) =>
        prisma.walletPolicy.update({
          where: { walletId: wallet.id },
          data: { metadata: { dailyWindow }, version: { increment: 1 } },
        });
      const outcome = async (amount: string) => {
        statements = [];
        const created = await createWith(on, input({ to, amount }));
        if (created.replayed) throw new Error('unexpected replay');
        return {
          outcome: created.result.decision.outcome,
          roundTrips: statements.length,
          sums: sums(statements),
        };
      };
      now = spentAt;
      await createWith(on, input({ to, amount: '0.01' })); // blockhash cached, connections warm
      expect((await outcome('0.6')).outcome).toBe('ALLOW');
      now = askedAt;
      // The rolling window this wallet's last reservation found: the guess holds.
      expect(await outcome('0.5')).toEqual({ outcome: 'DENY', roundTrips: 2, sums: 1 });

      await setWindow('UTC_DAY');
      // Sent with the lock: the rolling window's sums (DENY on them); read again for the UTC day.
      expect(await outcome('0.5')).toEqual({ outcome: 'ALLOW', roundTrips: 3, sums: 2 });
      // 0.5 counted since midnight now: 0.5 more still fits, 0.01 more would not.
      expect(await outcome('0.49')).toEqual({ outcome: 'ALLOW', roundTrips: 2, sums: 1 });
      expect(await outcome('0.02')).toEqual({ outcome: 'DENY', roundTrips: 2, sums: 1 });

      await setWindow('ROLLING_24H');
      expect(await outcome('0.01')).toEqual({ outcome: 'DENY', roundTrips: 3, sums: 2 });
    });

    it("a capped key's first reservation in this process reads its day again, and the next ones with the lock", async () => {
      const on = clocked();
      const { agent, input } = await setup({ perTxLimit: '1', dailyLimit: '10' });
      const key = await createKey(agent.id, '1');
      const to = (await generateKeyPairSigner()).address;
      now = askedAt;
      const run = async (amount: string) => {
        statements = [];
        const created = await createWith(on, input({ to, amount, agentKeyId: key.id }));
        if (created.replayed) throw new Error('unexpected replay');
        return { outcome: created.result.decision.outcome, sums: sums(statements) };
      };
      expect(await run('0.6')).toEqual({ outcome: 'ALLOW', sums: 2 });
      // The key's 0.6 SOL and both fees count against its cap of 1 SOL.
      expect(await run('0.39')).toEqual({ outcome: 'ALLOW', sums: 1 });
      expect(await run('0.01')).toEqual({ outcome: 'DENY', sums: 1 });
    });
  });
});

/** Database round trips per allowed transfer, as stated in the README. */
const TRANSFER_ROUND_TRIPS = 2;

describe('the dry run', () => {
  // 0.6 SOL spent at 23:00 UTC, then 0.5 SOL asked for at 01:00: inside the rolling 24 hours,
  // before the UTC day. The key's cap always looks back a rolling 24 hours.
  const spentAt = new Date('2026-11-20T23:00:00.123Z');
  const askedAt = new Date('2026-11-21T01:00:00.456Z');
  let now = spentAt;
  let clocked: TransferEngine;

  beforeAll(() => {
    clocked = new TransferEngine({
      prisma,
      custody,
      rpc: createRpc({ url: ledger.url }),
      spendOptions: { maxWaitMs: 60_000, transactionTimeoutMs: 60_000 },
      clock: () => now,
    });
  });

  it.each([
    ['ROLLING_24H', null, 'DENY', ['DAILY_LIMIT_EXCEEDED']],
    ['UTC_DAY', null, 'ALLOW', []],
    ['ROLLING_24H', '1', 'DENY', ['DAILY_LIMIT_EXCEEDED', 'AGENT_KEY_CAP_EXCEEDED']],
    ['UTC_DAY', '1', 'DENY', ['AGENT_KEY_CAP_EXCEEDED']],
  ] as const)(
    '%s policy, key cap %s: one statement, and the decision the create then makes (%s)',
    async (dailyWindow, cap, outcome, codes) => {
      const { agent, input } = await setup({
        perTxLimit: '1',
        dailyLimit: '1',
        metadata: { dailyWindow },
      });
      const key = await createKey(agent.id, cap);
      const to = (await generateKeyPairSigner()).address;
      const asked = input({ to, amount: '0.5', agentKeyId: key.id });
      now = spentAt;
      const spent = await createWith(clocked, input({ to, amount: '0.6', agentKeyId: key.id }));
      if (spent.replayed) throw new Error('unexpected replay');
      expect(spent.result.outcome).toBe('ALLOW');

      now = askedAt;
      statements = [];
      const { decision } = await clocked.evaluate(asked);
      expect(statements).toEqual([expect.stringMatching(/spend_buckets[\s\S]*freeze_scope/)]);
      expect(statements).toHaveLength(EVALUATE_STATEMENTS);
      expect(decision.outcome).toBe(outcome);
      expect(decision.reasons.map((r) => r.code)).toEqual(codes);

      const created = await createWith(clocked, asked);
      if (created.replayed) throw new Error('unexpected replay');
      expect(created.result.decision).toEqual(decision);
    },
  );
});

/** Statements per dry run, as stated in the README. */
const EVALUATE_STATEMENTS = 1;
