/**
 * `pnpm db:migrate`: applies pending migrations offline to DATABASE_URL.
 */
import { migrate, MigrationError } from '../migrator.js';

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  process.stderr.write(
    'DATABASE_URL is not set: point it at the PostgreSQL database to migrate.\n',
  );
  process.exit(2);
}

try {
  const { applied, alreadyApplied } = await migrate({
    connectionString,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(
    `${applied.length} migration(s) applied, ${alreadyApplied.length} already up to date.\n`,
  );
} catch (error) {
  const message =
    error instanceof MigrationError ? `${error.code}: ${error.message}` : String(error);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
