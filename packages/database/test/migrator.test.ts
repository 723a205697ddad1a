import { cp, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createEmptyDatabase, type TestDatabase } from '@waiaas/testing';
import pg from 'pg';
import {
  DEFAULT_MIGRATIONS_DIR,
  MigrationError,
  migrate,
  migrationChecksum,
  readMigrations,
} from '../src/migrator.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function emptyDb(): Promise<TestDatabase> {
  const db = await createEmptyDatabase();
  cleanups.push(db.drop);
  return db;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'waiaas-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe('migrate', () => {
  it('applies every migration to an empty database and records them as Prisma does', async () => {
    const db = await emptyDb();
    const local = await readMigrations();

    const result = await migrate({ connectionString: db.url });

    expect(result.applied).toEqual(local.map((m) => m.name));
    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
      rolled_back_at: Date | null;
    }>(db.url, 'SELECT * FROM "_prisma_migrations" ORDER BY migration_name');
    expect(rows.map((r) => r.migration_name)).toEqual(local.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      const file = await readFile(
        join(DEFAULT_MIGRATIONS_DIR, row.migration_name, 'migration.sql'),
        'utf8',
      );
      expect(row.checksum).toBe(migrationChecksum(file));
      expect(row.checksum).toBe(local[i]!.checksum);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
    const tables = await query<{ n: number }>(
      db.url,
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'transactions'",
    );
    expect(tables[0]!.n).toBe(1);
  });

  it('is a no-op the second time', async () => {
    const db = await emptyDb();
    await migrate({ connectionString: db.url });

    const second = await migrate({ connectionString: db.url });

    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toHaveLength((await readMigrations()).length);
    const rows = await query<{ n: number }>(
      db.url,
      'SELECT count(*)::int AS n FROM "_prisma_migrations"',
    );
    expect(rows[0]!.n).toBe((await readMigrations()).length);
  });

  it('lets concurrent runs succeed without applying anything twice', async () => {
    const db = await emptyDb();

    const results = await Promise.all([
      migrate({ connectionString: db.url }),
      migrate({ connectionString: db.url }),
      migrate({ connectionString: db.url }),
    ]);

    const appliedNames = results.flatMap((r) => r.applied);
    const local = (await readMigrations()).map((m) => m.name);
    expect([...appliedNames].sort()).toEqual(local);
    const rows = await query<{ migration_name: string; n: number }>(
      db.url,
      'SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY migration_name',
    );
    expect(rows).toHaveLength(local.length);
    expect(rows.every((r) => r.n === 1)).toBe(true);
  });

  it('refuses an applied migration whose file changed, naming it', async () => {
    const db = await emptyDb();
    const dir = await copyOfMigrations();
    await migrate({ connectionString: db.url, migrationsDir: dir });
    const [first] = await readMigrations(dir);
    const file = join(dir, first!.name, 'migration.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited after the fact\n`);

    const attempt = migrate({ connectionString: db.url, migrationsDir: dir });

    await expect(attempt).rejects.toBeInstanceOf(MigrationError);
    await expect(attempt).rejects.toMatchObject({
      code: 'MIGRATION_CHECKSUM_MISMATCH',
      migrationName: first!.name,
      message: expect.stringContaining(first!.name) as unknown,
    });
  });

  it('rolls a failing migration back whole and names it', async () => {
    const db = await emptyDb();
    const dir = await copyOfMigrations();
    const name = '29991231000000_broken';
    await mkdir(join(dir, name));
    await writeFile(
      join(dir, name, 'migration.sql'),
      'CREATE TABLE "half_done" (id int);\nSELECT no_such_function();\n',
    );

    await expect(migrate({ connectionString: db.url, migrationsDir: dir })).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
      migrationName: name,
    });

    const leftovers = await query<{ n: number }>(
      db.url,
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'half_done'",
    );
    expect(leftovers[0]!.n).toBe(0);
    const recorded = await query<{ migration_name: string }>(
      db.url,
      'SELECT migration_name FROM "_prisma_migrations"',
    );
    expect(recorded.map((r) => r.migration_name)).not.toContain(name);
    // The migrations before it are applied and stay applied.
    expect(recorded).toHaveLength((await readMigrations()).length);
  });

  it('refuses to run past a migration Prisma recorded as failed', async () => {
    const db = await emptyDb();
    await migrate({ connectionString: db.url });
    await query(
      db.url,
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ('00000000-0000-0000-0000-000000000001', 'x', '20990101000000_crashed', now(), 0)`,
    );

    await expect(migrate({ connectionString: db.url })).rejects.toMatchObject({
      code: 'MIGRATION_PREVIOUSLY_FAILED',
      migrationName: '20990101000000_crashed',
    });
  });
});
