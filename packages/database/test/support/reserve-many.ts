/**
 * Child process for the cross-process accounting test: fires COUNT concurrent reservations
 * of AMOUNT lamports at WALLET_ID and prints how many were allowed, as JSON.
 */
import { createPrismaClient, SpendRepository } from '../../src/index.js';
import { fakeSign, newAddress } from './fixtures.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const prisma = createPrismaClient({
  url: env('DATABASE_URL'),
  poolSize: 10,
  connectionTimeoutMs: 60_000,
  statementTimeoutMs: 60_000,
});
const spend = new SpendRepository(prisma, { maxWaitMs: 60_000, transactionTimeoutMs: 60_000 });
const count = Number(env('COUNT'));
const results = await Promise.all(
  Array.from({ length: count }, () =>
    spend.reserveTransfer(
      {
        walletId: env('WALLET_ID'),
        agentId: null,
        idempotencyKey: null,
        asset: null,
        amount: BigInt(env('AMOUNT')),
        decimals: 9,
        destination: newAddress(),
        memo: null,
        now: new Date(),
      },
      fakeSign,
    ),
  ),
);
await prisma.$disconnect();
process.stdout.write(
  JSON.stringify({ allowed: results.filter((r) => r.outcome === 'ALLOW').length }),
);
