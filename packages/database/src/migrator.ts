/**
 * Offline migration runner, interchangeable with `prisma migrate deploy`.
 *
 * `prisma migrate deploy` needs Prisma's native schema engine, which cannot be downloaded on
 * our build machines. This runner applies the same committed `migration.sql` files, records
 * them in `_prisma_migrations` exactly as Prisma does (same table, same SHA-256 checksum over
 * the file), and takes the same advisory lock Prisma takes, so the two tools can be used on the
 * same database in any order and never run at the same time.
 *
 * Differences from Prisma, on purpose: each migration runs in its own transaction together
 * with its bookkeeping row, so a failed migration leaves nothing behind and can simply be
 * fixed and re-run; and an applied migration whose file changed is refused by name.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The advisory lock key Prisma's schema engine uses for PostgreSQL migrations. */
export const PRISMA_MIGRATION_LOCK_KEY = 72707369;

/** Where this package keeps its committed migrations. */
export const DEFAULT_MIGRATIONS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'prisma',
  'migrations',
);

/** Prisma's own DDL for its bookkeeping table (schema-engine, postgres connector). */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export type MigrationErrorCode =
  'MIGRATION_CHECKSUM_MISMATCH' | 'MIGRATION_FAILED' | 'MIGRATION_PREVIOUSLY_FAILED';

/** A migration problem that names the migration at fault. */
export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    readonly migrationName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateOptions {
  /** PostgreSQL connection string of the database to migrate. */
  connectionString: string;
  /** Defaults to this package's `prisma/migrations`. */
  migrationsDir?: string;
  /** Receives one line per applied migration. */
  log?: (line: string) => void;
}

export interface MigrateResult {
  /** Migrations applied by this run, in order. */
  applied: string[];
  /** Migrations that were already applied. */
  alreadyApplied: string[];
}

/** SHA-256 of the file's bytes as lowercase hex, as Prisma records it. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Reads `<dir>/<name>/migration.sql` for every migration folder, in name order. */
export async function readMigrations(dir = DEFAULT_MIGRATIONS_DIR): Promise<LocalMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: migrationChecksum(sql) };
    }),
  );
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies every pending migration. Safe to run from several processes at once: they
 * serialise on Prisma's advisory lock and the later ones find nothing to do.
 *
 * @example
 * ```ts
 * const { applied } = await migrate({ connectionString: process.env.DATABASE_URL! });
 * ```
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const migrations = await readMigrations(options.migrationsDir);
  const log = options.log ?? (() => undefined);
  const client = new pg.Client({ connectionString: options.connectionString });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
    try {
      await client.query(CREATE_MIGRATIONS_TABLE);
      const { rows } = await client.query<AppliedRow>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
      );
      const applied = new Map<string, AppliedRow>();
      for (const row of rows) {
        if (row.rolled_back_at !== null) continue;
        if (row.finished_at === null) {
          throw new MigrationError(
            'MIGRATION_PREVIOUSLY_FAILED',
            row.migration_name,
            `Migration "${row.migration_name}" failed earlier and is recorded as unfinished. ` +
              'Fix the database, then mark it rolled back (prisma migrate resolve --rolled-back).',
          );
        }
        applied.set(row.migration_name, row);
      }

      const result: MigrateResult = { applied: [], alreadyApplied: [] };
      for (const migration of migrations) {
        const row = applied.get(migration.name);
        if (row) {
          if (row.checksum !== migration.checksum) {
            throw new MigrationError(
              'MIGRATION_CHECKSUM_MISMATCH',
              migration.name,
              `Migration "${migration.name}" was edited after it was applied ` +
                `(recorded checksum ${row.checksum}, file checksum ${migration.checksum}). ` +
                'Never edit an applied migration: add a new one.',
            );
          }
          result.alreadyApplied.push(migration.name);
          continue;
        }
        await applyOne(client, migration);
        result.applied.push(migration.name);
        log(`applied ${migration.name}`);
      }
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function applyOne(client: pg.Client, migration: LocalMigration): Promise<void> {
  const startedAt = new Date();
  await client.query('BEGIN');
  try {
    // Simple-query protocol: the whole file runs as one multi-statement script.
    await client.query(migration.sql);
    await client.query(
      `INSERT INTO "_prisma_migrations"
         (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, NULL, NULL, $4, 1)`,
      [randomUUID(), migration.checksum, migration.name, startedAt],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const detail = error instanceof Error ? error.message : String(error);
    throw new MigrationError(
      'MIGRATION_FAILED',
      migration.name,
      `Migration "${migration.name}" failed and was rolled back: ${detail}`,
      { cause: error },
    );
  }
}
