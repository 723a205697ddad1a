/**
 * `pnpm --filter @waiaas/database db:migration:new <name>`: writes the SQL that takes the
 * database from the last committed schema.prisma (git HEAD, or `--from <ref>`) to the working
 * copy into prisma/migrations/<timestamp>_<name>/migration.sql, offline.
 *
 * Why from git and not from the migrations: the drift test keeps the committed schema and the
 * migrations identical, so the committed schema *is* the migrated state, and diffing two
 * schemas needs no shadow database. Review the SQL, add what Prisma cannot express (CHECKs,
 * expression indexes; list them in prisma/migration-only.json), then commit both together.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MIGRATIONS_DIR } from '../src/migrator.js';
import { diffSchemas, readSchema } from './schema-engine.js';

const args = process.argv.slice(2);
const fromIndex = args.indexOf('--from');
const ref = fromIndex >= 0 ? args[fromIndex + 1] : 'HEAD';
const name = args.filter((_, i) => fromIndex < 0 || (i !== fromIndex && i !== fromIndex + 1))[0];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  process.stderr.write('usage: db:migration:new <snake_case_name> [--from <git-ref>]\n');
  process.exit(2);
}
const connectionString =
  process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const previous = execFileSync('git', ['show', `${ref}:./prisma/schema.prisma`], {
  encoding: 'utf8',
});
const sql = await diffSchemas({ connectionString, from: previous, to: await readSchema() });
if (sql.trim() === '' || /^-- This is an empty migration\.?\s*$/.test(sql.trim())) {
  process.stdout.write('schema.prisma has no changes since ' + ref + '; nothing written.\n');
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
const dir = join(DEFAULT_MIGRATIONS_DIR, `${stamp}_${name}`);
await mkdir(dir);
await writeFile(join(dir, 'migration.sql'), sql);
process.stdout.write(`wrote ${join(dir, 'migration.sql')}\n`);
