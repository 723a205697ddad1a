// A transfer PostgreSQL cancels to settle a deadlock: answered 503 DATABASE_CONFLICT with
// Retry-After (not a 500), nothing of it written, and its retry with the same Idempotency-Key
// goes through. The deadlock is made on purpose from another session: it holds the wallet's
// spend buckets while the transfer, holding the wallet's lock, waits to add to them, then asks
// for the wallet's lock.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  agentWithWallet,
  call,
  expectProblem,
  type Harness,
  startHarness,
  waitFor,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';

let h: Harness;
let agent: { id: string; key: string };
let wallet: { id: string; address: string };

beforeAll(async () => {
  h = await startHarness();
  ({ agent, wallet } = await agentWithWallet(h.app, { perTxLimit: '1', dailyLimit: '1000' }));
});

afterAll(async () => {
  await h.close();
});

const transfer = (key: string) =>
  call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers`, {
    token: agent.key,
    headers: { 'idempotency-key': key },
    body: { to: RECIPIENT, amount: '0.001' },
  });

describe('a transfer cancelled by a deadlock', () => {
  it('is 503 DATABASE_CONFLICT with Retry-After, writes nothing, and its retry is created', async () => {
    // This minute's buckets exist once a transfer has counted in them.
    expect((await transfer(randomUUID())).status).toBe(201);
    const key = randomUUID();
    const answer = await h.prisma.$transaction(
      async (tx) => {
        // Only the transfer's session may find the deadlock (after its own 1 s), so it is the
        // one PostgreSQL cancels.
        await tx.$executeRaw`SET LOCAL deadlock_timeout = '30s'`;
        const [session] = await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        await tx.$queryRaw`
          SELECT 1 FROM spend_buckets WHERE wallet_id = ${wallet.id}::uuid FOR UPDATE`;
        const pending = transfer(key);
        // The transfer holds the wallet's lock and waits for a bucket this session holds.
        await waitFor(
          async () => {
            const [locks] = await h.prisma.$queryRaw<{ waiting: number }[]>`
            SELECT count(*)::int AS waiting FROM pg_locks
            WHERE NOT granted AND pid <> ${session!.pid}::int
              AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())`;
            return locks!.waiting > 0;
          },
          'the transfer to wait for a spend bucket',
          20_000,
        );
        // Now this session waits for the transfer's lock: a circle, which the transfer's
        // session finds.
        await tx.$queryRaw`SELECT 1 FROM wallets WHERE id = ${wallet.id}::uuid FOR UPDATE`;
        return pending;
      },
      { timeout: 30_000, maxWait: 5_000 },
    );
    expectProblem(answer, 503, 'DATABASE_CONFLICT');
    expect(answer.headers['retry-after']).toBe('1');
    expect(await h.prisma.transaction.count({ where: { idempotencyKey: key } })).toBe(0);
    expect(await h.prisma.idempotencyRecord.count({ where: { key } })).toBe(0);
    const retried = await transfer(key);
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(await h.prisma.transaction.count({ where: { idempotencyKey: key } })).toBe(1);
  }, 60_000);
});
