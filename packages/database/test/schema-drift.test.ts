/**
 * Proves schema.prisma and the committed migrations describe the same database: one database
 * is built by applying the migrations, another from the SQL Prisma's schema engine derives
 * from schema.prisma (WebAssembly engine, offline). Their catalogs must match, except for the
 * objects Prisma's schema language cannot express, which prisma/migration-only.json lists.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createEmptyDatabase, type TestDatabase } from '@waiaas/testing';
import pg from 'pg';
import { migrate } from '../src/migrator.js';
import { diffSchemas, readSchema } from '../scripts/schema-engine.js';

interface MigrationOnly {
  constraints: string[];
  indexes: string[];
  functions: string[];
  triggers: string[];
}

type Catalog = Map<string, string>;

/** Every schema object as "kind name" → definition, in the public schema. */
async function catalog(url: string): Promise<Catalog> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const out: Catalog = new Map();
  try {
    const columns = await client.query<Record<string, string | null>>(`
      SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
             character_maximum_length::text AS len, numeric_precision::text AS prec,
             numeric_scale::text AS scale, datetime_precision::text AS dt_prec
      FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
    for (const c of columns.rows) {
      out.set(
        `column ${c.table_name}.${c.column_name}`,
        [
          c.data_type,
          c.udt_name,
          c.is_nullable === 'YES' ? 'NULL' : 'NOT NULL',
          `default=${c.column_default ?? ''}`,
          c.len,
          c.prec,
          c.scale,
          c.dt_prec,
        ].join(' '),
      );
    }
    const tables = await client.query<{ table_name: string }>(`
      SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
    for (const t of tables.rows) out.set(`table ${t.table_name}`, 'table');
    const constraints = await client.query<{ tbl: string; conname: string; def: string }>(`
      SELECT cl.relname AS tbl, co.conname, pg_get_constraintdef(co.oid) AS def
      FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid
      JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE n.nspname = 'public' AND cl.relname <> '_prisma_migrations'`);
    for (const c of constraints.rows) out.set(`constraint ${c.tbl}.${c.conname}`, c.def);
    const indexes = await client.query<{ tablename: string; indexname: string; indexdef: string }>(`
      SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`);
    for (const i of indexes.rows) out.set(`index ${i.tablename}.${i.indexname}`, i.indexdef);
    const enums = await client.query<{ typname: string; labels: string }>(`
      SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
      JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname`);
    for (const e of enums.rows) out.set(`enum ${e.typname}`, e.labels);
    const functions = await client.query<{ proname: string; def: string }>(`
      SELECT p.proname, pg_get_functiondef(p.oid) AS def FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`);
    for (const f of functions.rows) out.set(`function ${f.proname}`, f.def);
    const triggers = await client.query<{ tbl: string; tgname: string; def: string }>(`
      SELECT c.relname AS tbl, t.tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND NOT t.tgisinternal`);
    for (const t of triggers.rows) out.set(`trigger ${t.tbl}.${t.tgname}`, t.def);
  } finally {
    await client.end();
  }
  return out;
}

function describeDrift(
  fromMigrations: Catalog,
  fromSchema: Catalog,
  allowed: Set<string>,
): string[] {
  const problems: string[] = [];
  for (const [key, def] of fromSchema) {
    const actual = fromMigrations.get(key);
    if (actual === undefined)
      problems.push(`missing from migrations: ${key}\n    schema.prisma: ${def}`);
    else if (actual !== def)
      problems.push(`differs: ${key}\n    migrations:    ${actual}\n    schema.prisma: ${def}`);
  }
  for (const [key, def] of fromMigrations) {
    if (!fromSchema.has(key) && !allowed.has(key)) {
      problems.push(
        `only in migrations (add to schema.prisma or prisma/migration-only.json): ${key}\n    ${def}`,
      );
    }
  }
  return problems;
}

describe('schema.prisma and migrations', () => {
  let migrated: TestDatabase;
  let pushed: TestDatabase;
  let allowed: Set<string>;

  beforeAll(async () => {
    [migrated, pushed] = await Promise.all([createEmptyDatabase(), createEmptyDatabase()]);
    await migrate({ connectionString: migrated.url });
    const sql = await diffSchemas({ connectionString: pushed.url, to: await readSchema() });
    const client = new pg.Client({ connectionString: pushed.url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
    const list = JSON.parse(
      await readFile(new URL('../prisma/migration-only.json', import.meta.url), 'utf8'),
    ) as MigrationOnly;
    allowed = new Set([
      ...list.constraints.map((c) => `constraint ${c}`),
      ...list.indexes.map((i) => `index ${i}`),
      ...list.functions.map((f) => `function ${f}`),
      ...list.triggers.map((t) => `trigger ${t}`),
    ]);
  });

  afterAll(async () => {
    await Promise.all([migrated?.drop(), pushed?.drop()]);
  });

  it('describe the same tables, columns, types, defaults, constraints and indexes', async () => {
    const problems = describeDrift(await catalog(migrated.url), await catalog(pushed.url), allowed);

    expect(problems.join('\n')).toBe('');
  });

  it('list only migration-only objects that really exist in the migrated database', async () => {
    const fromMigrations = await catalog(migrated.url);
    const stale = [...allowed].filter((key) => !fromMigrations.has(key));

    expect(stale).toEqual([]);
  });

  it('would notice drift (a column the migrations lack)', async () => {
    const withExtraColumn = (await readSchema()).replace(
      'label           String?',
      'label           String?\n  nickname        String?',
    );
    const scratch = await createEmptyDatabase();
    try {
      const sql = await diffSchemas({ connectionString: scratch.url, to: withExtraColumn });
      const client = new pg.Client({ connectionString: scratch.url });
      await client.connect();
      await client.query(sql).finally(() => client.end());

      const problems = describeDrift(
        await catalog(migrated.url),
        await catalog(scratch.url),
        allowed,
      );

      expect(problems.join('\n')).toContain('missing from migrations: column wallets.nickname');
    } finally {
      await scratch.drop();
    }
  });
});
