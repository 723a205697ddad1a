import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import { createPrismaClient, type SlowQueryEvent } from '../src/index.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe('createPrismaClient', () => {
  it('reports queries slower than the threshold as db_query_slow, without parameter values', async () => {
    const slow: SlowQueryEvent[] = [];
    const prisma = createPrismaClient({
      url: db.url,
      slowQueryMs: 150,
      onSlowQuery: (e) => slow.push(e),
    });
    try {
      await prisma.$queryRaw`SELECT 1`;
      await prisma.$queryRaw`SELECT pg_sleep(0.3)::text AS slept, ${'secret-value'}::text AS v`;

      // Only the sleeping query is slow by construction (SELECT 1 may cross the line on a loaded machine).
      const sleeping = slow.filter((e) => e.query.includes('pg_sleep'));
      expect(sleeping).toHaveLength(1);
      expect(sleeping[0]).toMatchObject({ event: 'db_query_slow' });
      expect(sleeping[0]!.durationMs).toBeGreaterThanOrEqual(150);
      expect(JSON.stringify(slow)).not.toContain('secret-value');
    } finally {
      await prisma.$disconnect();
    }
  });

  it('cuts off a statement that runs past the statement timeout', async () => {
    const prisma = createPrismaClient({ url: db.url, statementTimeoutMs: 100 });
    try {
      await expect(prisma.$queryRaw`SELECT pg_sleep(2)`).rejects.toThrow(/statement timeout/);
    } finally {
      await prisma.$disconnect();
    }
  });
});
