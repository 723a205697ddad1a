// Jest global setup for integration suites (plain JS: Jest loads it with Node's own loader,
// outside the TypeScript transform). Resolves PostgreSQL and Redis (DATABASE_URL / REDIS_URL,
// else Testcontainers when a Docker engine answers, else a clear failure), then builds one
// template database per run from the real migrations with the offline migrator. Each test
// file clones it with CREATE DATABASE ... TEMPLATE (see src/database.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

function dockerAnswers() {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
      stdio: 'ignore',
      timeout: 5000,
    });
    return true;
  } catch {
    return false;
  }
}

async function resolveServices() {
  const stops = [];
  let databaseUrl = process.env.DATABASE_URL;
  let redisUrl = process.env.REDIS_URL;
  if ((!databaseUrl || !redisUrl) && !dockerAnswers()) {
    const missing = [!databaseUrl && 'DATABASE_URL', !redisUrl && 'REDIS_URL'].filter(Boolean);
    throw new Error(
      `Integration tests need PostgreSQL and Redis. Set ${missing.join(' and ')} ` +
        '(e.g. DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379), ' +
        'or run a Docker engine so Testcontainers can start them.',
    );
  }
  if (!databaseUrl) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:15-alpine').start();
    databaseUrl = container.getConnectionUri();
    stops.push(() => container.stop());
  }
  if (!redisUrl) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    redisUrl = container.getConnectionUrl();
    stops.push(() => container.stop());
  }
  return { databaseUrl, redisUrl, stop: () => Promise.all(stops.map((s) => s())) };
}

function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export default async function globalSetup(globalConfig) {
  const services = await resolveServices();
  globalThis.__WAIAAS_TEST_SERVICES__ = services;
  const runId = `${process.pid.toString(36)}${randomBytes(4).toString('hex')}`;
  const template = `waiaas_tpl_${runId}`;

  const admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }

  // The migrator is TypeScript source; run it the way `pnpm db:migrate` does, imported by its
  // package name from the package under test (every user of this harness depends on
  // @waiaas/database, so Turborepo sees that its tests depend on the migrations). Not a
  // dependency of this package: @waiaas/database's own tests use this harness, and a dependency
  // each way would be a cycle.
  const register = import.meta.resolve('@swc-node/register/esm-register');
  const script = [
    "const { migrate } = await import('@waiaas/database/migrator');",
    'await migrate({ connectionString: process.env.DATABASE_URL });',
  ].join('\n');
  const result = spawnSync(
    process.execPath,
    [
      '--conditions=@waiaas/source',
      `--import=${register}`,
      '--input-type=module',
      '--eval',
      script,
    ],
    {
      cwd: globalConfig.rootDir,
      env: {
        ...process.env,
        DATABASE_URL: withDatabase(services.databaseUrl, template),
        NODE_OPTIONS: '',
      },
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) {
    throw new Error(`Migrating the template database failed:\n${result.stderr || result.stdout}`);
  }

  process.env.WAIAAS_TEST_ADMIN_DATABASE_URL = services.databaseUrl;
  process.env.WAIAAS_TEST_TEMPLATE_DATABASE = template;
  process.env.WAIAAS_TEST_REDIS_URL = services.redisUrl;
  process.env.WAIAAS_TEST_RUN_ID = runId;
}
