import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  appendTransactionMessageInstruction,
  createSolanaRpc,
  createTransactionMessage,
  generateKeyPairSigner,
  getSignatureFromTransaction,
  getTransactionEncoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type Address,
  type Blockhash,
  type KeyPairSigner,
} from '@solana/kit';
import { getTransferSolInstruction } from '@solana-program/system';
import { pino } from 'pino';
import {
  Prisma,
  type PrismaClient,
  type TransactionModel as Transaction,
  createPrismaClient,
  SpendRepository,
} from '@waiaas/database';
import { startLocalLedger, type LocalLedger, type LocalLedgerOptions } from '@waiaas/local-ledger';
import { createTestDatabase, spawnSourceEntry, type TestDatabase } from '@waiaas/testing';
import { loadConfig, type WorkerConfig } from '../src/index.js';

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A wallet of ours with its key (tests sign directly; custody is tested in solana-signer). */
export interface TestWallet {
  id: string;
  ownerId: string;
  agentId: string;
  signer: KeyPairSigner;
  address: Address;
}

export async function createOwner(
  prisma: PrismaClient,
): Promise<{ ownerId: string; agentId: string }> {
  const owner = await prisma.owner.create({
    data: { email: `${randomUUID()}@example.com`, apiKeyHash: randomBytes(32).toString('hex') },
  });
  const agent = await prisma.agent.create({
    data: { ownerId: owner.id, name: 'agent', apiKeyHash: randomBytes(32).toString('hex') },
  });
  return { ownerId: owner.id, agentId: agent.id };
}

/** Creates a funded wallet of ours with a policy (limits in SOL). */
export async function createWallet(
  prisma: PrismaClient,
  ledger: LocalLedger,
  owner: { ownerId: string; agentId: string },
  options: { fundLamports?: bigint; perTxLimit?: string; dailyLimit?: string } = {},
): Promise<TestWallet> {
  const signer = await generateKeyPairSigner();
  const wallet = await prisma.wallet.create({
    data: { ownerId: owner.ownerId, address: signer.address, custody: 'LOCAL' },
  });
  await prisma.walletAgent.create({ data: { walletId: wallet.id, agentId: owner.agentId } });
  await prisma.walletPolicy.create({
    data: {
      walletId: wallet.id,
      perTxLimit: new Prisma.Decimal(options.perTxLimit ?? '100'),
      dailyLimit: new Prisma.Decimal(options.dailyLimit ?? '100000'),
    },
  });
  if ((options.fundLamports ?? 100_000_000_000n) > 0n)
    await ledger.airdrop(signer.address, options.fundLamports ?? 100_000_000_000n);
  return {
    id: wallet.id,
    ownerId: owner.ownerId,
    agentId: owner.agentId,
    signer,
    address: signer.address,
  };
}

export async function newAddress(): Promise<Address> {
  return (await generateKeyPairSigner()).address;
}

/** Reserves and signs a real SOL transfer exactly as the API does (SpendRepository.reserveTransfer). */
export async function reserveSolTransfer(
  spend: SpendRepository,
  ledgerUrl: string,
  wallet: TestWallet,
  to: Address,
  lamports: bigint,
  lifetime?: { blockhash: Blockhash; lastValidBlockHeight: bigint },
  /** The planned network fee stored on the row (as the engine stores it); none by default. */
  fee?: bigint,
): Promise<Transaction> {
  const result = await spend.reserveTransfer(
    {
      walletId: wallet.id,
      agentId: wallet.agentId,
      idempotencyKey: randomUUID(),
      asset: null,
      amount: lamports,
      decimals: 9,
      destination: to,
      memo: null,
      now: new Date(),
      ...(fee === undefined ? {} : { fee }),
    },
    async () => {
      const life = lifetime ?? (await latestBlockhash(ledgerUrl));
      return signSolTransfer(wallet.signer, to, lamports, life);
    },
  );
  if (result.outcome !== 'ALLOW')
    throw new Error(`transfer not allowed: ${JSON.stringify(result.decision.reasons)}`);
  return result.transaction;
}

export async function latestBlockhash(
  ledgerUrl: string,
): Promise<{ blockhash: Blockhash; lastValidBlockHeight: bigint }> {
  const { value } = await createSolanaRpc(ledgerUrl)
    .getLatestBlockhash({ commitment: 'confirmed' })
    .send();
  return value;
}

export async function signSolTransfer(
  signer: KeyPairSigner,
  to: Address,
  lamports: bigint,
  lifetime: { blockhash: Blockhash; lastValidBlockHeight: bigint },
) {
  const message = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(signer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
    (m) =>
      appendTransactionMessageInstruction(
        getTransferSolInstruction({ source: signer, destination: to, amount: lamports }),
        m,
      ),
  );
  const signed = await signTransactionMessageWithSigners(message);
  return {
    signature: getSignatureFromTransaction(signed),
    wireTransaction: new Uint8Array(getTransactionEncoder().encode(signed)),
    blockhash: lifetime.blockhash,
    lastValidBlockHeight: lifetime.lastValidBlockHeight,
  };
}

export async function balanceOf(ledgerUrl: string, address: Address): Promise<bigint> {
  const { value } = await createSolanaRpc(ledgerUrl)
    .getBalance(address, { commitment: 'processed' })
    .send();
  return value;
}

/** Environment for a worker under test: short intervals everywhere. */
export function testEnv(
  databaseUrl: string,
  rpcUrl: string,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    SOLANA_RPC_URL: rpcUrl,
    POLL_INTERVAL_MS: '100',
    REBROADCAST_INTERVAL_MS: '250',
    BATCH_SIZE: '50',
    CONFIRM_BATCH_SIZE: '50',
    SOLANA_RPC_TIMEOUT_MS: '3000',
    SOLANA_RPC_RETRIES: '2',
    WEBHOOK_BACKOFF_BASE_MS: '20',
    WEBHOOK_BACKOFF_MAX_MS: '200',
    WEBHOOK_MAX_ATTEMPTS: '5',
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    DATABASE_POOL_SIZE: '6',
    SHUTDOWN_TIMEOUT_MS: '10000',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

export function testConfig(
  databaseUrl: string,
  rpcUrl: string,
  overrides: Record<string, string> = {},
): WorkerConfig {
  return loadConfig(testEnv(databaseUrl, rpcUrl, overrides), 'test-worker');
}

/** Polls `check` until it returns true (or throws after `timeoutMs`, with `describe()` in the message). */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  describe: () => Promise<string> = () => Promise.resolve(''),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms ${await describe()}`);
}

export async function statusCounts(prisma: PrismaClient): Promise<Record<string, number>> {
  const rows = await prisma.transaction.groupBy({ by: ['status'], _count: { _all: true } });
  return Object.fromEntries(rows.map((r) => [r.status, r._count._all]));
}

export async function allTerminal(prisma: PrismaClient): Promise<boolean> {
  return (
    (await prisma.transaction.count({ where: { status: { in: ['PENDING', 'SUBMITTED'] } } })) === 0
  );
}

/** Starts `src/main.ts` as a real worker process (`stdio` entries as spawn's, or descriptors). */
export function spawnWorker(
  env: Record<string, string>,
  stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'ignore', 'pipe'],
): ChildProcess {
  return spawnSourceEntry(new URL('../', import.meta.url), env, stdio);
}

/** What most worker test files share: their own database, a local ledger, a client and spend. */
export interface WorkerEnvironment {
  db: TestDatabase;
  ledger: LocalLedger;
  prisma: PrismaClient;
  spend: SpendRepository;
  close(): Promise<void>;
}

/**
 * Opens a fresh migrated database, a local ledger on a free port and a Prisma client with a
 * SpendRepository over it; `close()` releases them in reverse order.
 */
export async function openWorkerEnvironment(options: {
  poolSize: number;
  ledger: Omit<LocalLedgerOptions, 'port'>;
}): Promise<WorkerEnvironment> {
  const db = await createTestDatabase();
  const ledger = await startLocalLedger({ port: 0, ...options.ledger });
  const prisma = createPrismaClient({ url: db.url, poolSize: options.poolSize });
  return {
    db,
    ledger,
    prisma,
    spend: new SpendRepository(prisma),
    close: async () => {
      await prisma.$disconnect();
      await ledger.close();
      await db.drop();
    },
  };
}
