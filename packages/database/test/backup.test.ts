import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '@waiaas/testing';
import pg from 'pg';
import { createPrismaClient, SpendRepository } from '../src/index.js';
import { fakeSign, newAddress, ownerWithWallet, setPolicy } from './support/fixtures.js';

const run = promisify(execFile);
const script = (name: string) =>
  fileURLToPath(new URL(`../../../infra/backup/${name}`, import.meta.url));

async function rowCounts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    );
    const counts: Record<string, number> = {};
    for (const { table_name } of tables.rows) {
      const r = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table_name}"`);
      counts[table_name] = r.rows[0]!.n;
    }
    return counts;
  } finally {
    await client.end();
  }
}

describe('infra/backup', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    source = await createTestDatabase();
    target = await createEmptyDatabase();
    dir = await mkdtemp(join(tmpdir(), 'waiaas-backup-'));
    const prisma = createPrismaClient({ url: source.url });
    const spend = new SpendRepository(prisma);
    for (let i = 0; i < 3; i++) {
      const { wallet } = await ownerWithWallet(prisma);
      await setPolicy(prisma, wallet.id, {
        perTxLimit: '1',
        dailyLimit: '1',
        requiresApproval: i === 2,
      });
      await spend.reserveTransfer(
        {
          walletId: wallet.id,
          agentId: null,
          idempotencyKey: null,
          asset: null,
          amount: 5n,
          decimals: 9,
          destination: newAddress(),
          memo: null,
          now: new Date(),
        },
        fakeSign,
      );
    }
    await prisma.$disconnect();
  });

  afterAll(async () => {
    await Promise.all([source.drop(), target.drop(), rm(dir, { recursive: true, force: true })]);
  });

  it('restores a backup into a fresh database with every row', async () => {
    const dump = join(dir, 'waiaas.dump');
    await run(script('backup.sh'), [dump], { env: { ...process.env, DATABASE_URL: source.url } });

    await run(script('restore.sh'), [dump], { env: { ...process.env, DATABASE_URL: target.url } });

    const [before, after] = await Promise.all([rowCounts(source.url), rowCounts(target.url)]);
    expect(after).toEqual(before);
    expect(before.transactions).toBe(3);
    expect(before._prisma_migrations).toBeGreaterThan(0);
  });

  it('refuses to restore over a database that has tables', async () => {
    const dump = join(dir, 'again.dump');
    await run(script('backup.sh'), [dump], { env: { ...process.env, DATABASE_URL: source.url } });

    const attempt = run(script('restore.sh'), [dump], {
      env: { ...process.env, DATABASE_URL: source.url },
    });

    await expect(attempt).rejects.toMatchObject({ code: 3 });
  });
});
