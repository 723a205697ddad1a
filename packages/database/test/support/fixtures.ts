import { randomBytes, randomUUID } from 'node:crypto';
import { getAddressDecoder } from '@solana/addresses';
import { Prisma, type PrismaClient, sqlPool } from '../../src/index.js';
import type { SignedTransfer, TransferRequest } from '../../src/index.js';

const addresses = getAddressDecoder();

/** A fresh, valid base58 Solana address. */
export function newAddress(): string {
  return addresses.decode(randomBytes(32));
}

export const LAMPORTS_PER_SOL = 1_000_000_000n;

/** A 1,000-lamport SOL transfer from `walletId` by `agentId` to a fresh address, now. */
export function smallTransfer(
  walletId: string,
  agentId: string,
  extra: Partial<TransferRequest> = {},
): TransferRequest {
  return {
    walletId,
    agentId,
    idempotencyKey: null,
    asset: null,
    amount: 1_000n,
    decimals: 9,
    destination: newAddress(),
    memo: null,
    now: new Date(),
    ...extra,
  };
}

export async function ownerWithWallet(prisma: PrismaClient) {
  const owner = await prisma.owner.create({
    data: { email: `${randomUUID()}@example.com`, apiKeyHash: randomBytes(32).toString('hex') },
  });
  const agent = await prisma.agent.create({
    data: { ownerId: owner.id, name: 'agent', apiKeyHash: randomBytes(32).toString('hex') },
  });
  const wallet = await prisma.wallet.create({
    data: { ownerId: owner.id, address: newAddress(), custody: 'LOCAL' },
  });
  await prisma.walletAgent.create({ data: { walletId: wallet.id, agentId: agent.id } });
  return { owner, agent, wallet };
}

export async function setPolicy(
  prisma: PrismaClient,
  walletId: string,
  policy: {
    perTxLimit: string;
    dailyLimit: string;
    allowedAssets?: string[];
    allowedAddresses?: string[];
    requiresApproval?: boolean;
    metadata?: Record<string, unknown>;
  },
): Promise<void> {
  await prisma.walletPolicy.create({
    data: {
      walletId,
      perTxLimit: new Prisma.Decimal(policy.perTxLimit),
      dailyLimit: new Prisma.Decimal(policy.dailyLimit),
      allowedAssets: policy.allowedAssets ?? [],
      allowedAddresses: policy.allowedAddresses ?? [],
      requiresApproval: policy.requiresApproval ?? false,
      metadata: (policy.metadata ?? {}) as Prisma.InputJsonObject,
    },
  });
}

/**
 * Stands in for custody in accounting tests: the repository stores whatever the callback
 * returns; real signing is tested in @waiaas/solana-signer.
 */
export function fakeSign(): Promise<SignedTransfer> {
  return Promise.resolve({
    signature: addresses.decode(randomBytes(32)) + addresses.decode(randomBytes(32)).slice(0, 20),
    wireTransaction: new Uint8Array(randomBytes(200)),
    blockhash: newAddress(),
    lastValidBlockHeight: 1_000n,
  });
}

/**
 * `count` transfers of 1,000 base units (fee 5,000) stored straight into `walletId`'s history,
 * one every `everySeconds` back from now: awaiting approval by default (they hold budget, and
 * need no signed bytes). One statement: the spend triggers run once for all of them.
 */
export async function pastTransfers(
  prisma: PrismaClient,
  walletId: string,
  options: {
    count: number;
    everySeconds?: number;
    status?: 'AWAITING_APPROVAL' | 'REJECTED';
    agentKeyId?: string;
  },
): Promise<void> {
  const { count, everySeconds = 4, status = 'AWAITING_APPROVAL', agentKeyId = null } = options;
  await prisma.$executeRaw`
    INSERT INTO transactions (id, wallet_id, agent_key_id, amount, network_fee, decimals,
                              destination, status, policy_outcome, policy_decision, created_at,
                              updated_at)
    SELECT gen_random_uuid(), ${walletId}::uuid, ${agentKeyId}::uuid, 1000, 5000, 9, 'history',
           ${status}::"TxStatus", 'REQUIRE_APPROVAL', '{}',
           now() - g * ${everySeconds}::int * interval '1 second', now()
    FROM generate_series(1, ${count}::int) AS g`;
}

/**
 * Rows of `table` read so far (through indexes and sequential scans), as the statistics count
 * them. Statistics are sent when a session goes idle; this first asks `session`'s connections
 * (a client of pool size 1: one for transactions, one for autocommit statements, the ones that
 * did the reading) to send their own, so the count is exact.
 */
export async function rowsRead(session: PrismaClient, table: string): Promise<number> {
  await session.$executeRawUnsafe('SELECT pg_stat_force_next_flush()');
  await sqlPool(session).query('SELECT pg_stat_force_next_flush()');
  const rows = await sqlPool(session).query<{ n: string }>(
    `SELECT (idx_tup_fetch + seq_tup_read)::text AS n
     FROM pg_stat_user_tables WHERE relname = $1`,
    [table],
  );
  return Number(rows[0]!.n);
}

/** Rows of `transactions` read so far: see {@link rowsRead}. */
export function transactionRowsRead(session: PrismaClient): Promise<number> {
  return rowsRead(session, 'transactions');
}

/** An agent key of `agentId` allowed to transfer, with a daily cap of `cap` lamports (or none). */
export async function agentKeyWithCap(
  prisma: PrismaClient,
  agentId: string,
  cap: bigint | null,
): Promise<string> {
  const key = await prisma.agentKey.create({
    data: {
      agentId,
      name: cap === null ? 'uncapped' : 'capped',
      keyHash: randomBytes(32).toString('hex'),
      scopes: ['transfer'],
      walletIds: [],
      dailyCap: cap === null ? null : cap.toString(),
    },
  });
  return key.id;
}
