import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDatabase } from './services.js';
import { ENV_ADMIN_URL, ENV_RUN_ID, ENV_TEMPLATE, requireEnv } from './state.js';

export interface TestDatabase {
  /** Database name, unique to this test file. */
  name: string;
  /** Connection string for it. */
  url: string;
  /** Drops it (terminating any connection still open). */
  drop: () => Promise<void>;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: requireEnv(ENV_ADMIN_URL) });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, fully migrated database cloned from the run's template.
 *
 * @example
 * ```ts
 * const db = await createTestDatabase();
 * // ... use db.url
 * await db.drop();
 * ```
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `waiaas_t_${requireEnv(ENV_RUN_ID)}_${randomBytes(5).toString('hex')}`;
  const template = requireEnv(ENV_TEMPLATE);
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    name,
    url: withDatabase(requireEnv(ENV_ADMIN_URL), name),
    drop: () =>
      admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** An empty database (no migrations), for tests of the migrator itself. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const name = `waiaas_e_${requireEnv(ENV_RUN_ID)}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: withDatabase(requireEnv(ENV_ADMIN_URL), name),
    drop: () =>
      admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
