/**
 * `pnpm start`: the whole WAIaaS system on one machine, with nothing configured.
 *
 * Run by scripts/start.mjs once Turborepo has the compiled JavaScript (cached: compiled
 * again only when a source changed). Starts, as separate child processes of this
 * supervisor (see lib/supervisor.ts: they die with it however it dies, a crashed one is
 * restarted): an embedded PostgreSQL (data in `.waiaas/postgres`, kept across restarts)
 * unless DATABASE_URL is set; the migrations; the local Solana ledger (LiteSVM, port
 * LEDGER_PORT) unless SOLANA_RPC_URL is set; the API (PORT) and the confirmation worker.
 * What does not depend on anything starts at once and in parallel: PostgreSQL, the ledger,
 * and the API and worker loading their code, held back until the database is migrated.
 * Secrets it needs and nobody gave it (ADMIN_TOKEN, WALLET_MASTER_KEY unless Turnkey is
 * configured) are generated once into `.waiaas/` (mode 0600). On first start it creates a
 * demo owner, agent and funded wallet through the API and prints how to use them.
 */
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { renderBanner } from './lib/banner.js';
import type { DemoSetupResult } from './lib/demo-setup.js';
import { createLogger } from './lib/logs.js';
import { Progress } from './lib/progress.js';
import { repoRoot } from './lib/repo.js';
import { randomHex, StateDir } from './lib/state.js';
import { Supervisor } from './lib/supervisor.js';

declare global {
  /** Set by scripts/start.mjs: how long making sure of the compiled output took. */
  var waiaasBuild: { ms: number } | undefined;
}

const REPO = repoRoot(import.meta.dirname);
const env: Record<string, string | undefined> = { ...process.env };
const set = (name: string): string | undefined => {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
};

const production = set('NODE_ENV') === 'production';
const log = createLogger(production ? 'json' : 'pretty');
const supervisor = new Supervisor(log);
const progress = new Progress(log);
const state = new StateDir(resolve(set('WAIAAS_HOME') ?? join(REPO, '.waiaas')));
export const RUN_FILE = 'run.json';
let pgDir = '';

let stopping: Promise<never> | null = null;
function shutdown(reason: string, code: number, bySignal = false): Promise<never> {
  if (stopping !== null) {
    // A second Ctrl-C means "now"; a second internal failure just joins the stop under way.
    if (!bySignal) return stopping;
    log.warn('second stop request: killing every child now');
    supervisor.killAll();
    process.exit(code === 0 ? 130 : code);
  }
  log.info(`stopping (${reason})`);
  stopping = (async () => {
    try {
      // Longer than the worker's own SHUTDOWN_TIMEOUT_MS default (20 s) before SIGKILL.
      await supervisor.stopAll(25_000);
      await runWrites;
      if (ownsRunFile) await rm(state.path(RUN_FILE), { force: true });
      log.info('stopped: every child process has exited');
    } catch (e) {
      log.error(`shutdown failed: ${e instanceof Error ? e.message : String(e)}`);
      supervisor.killAll();
      code = code === 0 ? 1 : code;
    }
    process.exit(code);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void shutdown(signal, 0, true));
}
supervisor.onFatal = (reason) => {
  log.error(reason);
  progress.abandon();
  void shutdown(reason, 1);
};

function int(name: string, fallback: number): number {
  const raw = set(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65_535)
    throw new Error(`${name} must be a port number, got "${raw}"`);
  return Number(raw);
}

interface RunFile {
  pid: number;
  ready: boolean;
  apiUrl?: string;
  rpcUrl?: string;
  localLedger?: boolean;
  startedAt: string;
  children: Record<string, number>;
}

/** Our own processes only: a pid can be reused by an unrelated process after a reboot. */
function looksLikeOurs(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return ['scripts/start', 'lifeline.js', 'postgres'].some((m) => cmdline.includes(m));
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Refuses to start twice on one state folder, and cleans up after an earlier orchestrator
 * that died without stopping its children (SIGKILL, a crash): their process groups are
 * still listed in run.json.
 */
async function checkPreviousRun(): Promise<void> {
  const previous = await state.readJson<RunFile>(RUN_FILE, (m) => log.warn(m));
  if (previous === null) return;
  if (previous.pid !== process.pid && pidAlive(previous.pid) && looksLikeOurs(previous.pid)) {
    throw new Error(
      `pnpm start is already running on ${state.root} (pid ${previous.pid}); stop it first`,
    );
  }
  for (const [name, pid] of Object.entries(previous.children).reverse()) {
    if (!pidAlive(pid) || !looksLikeOurs(pid)) continue;
    log.warn(`stopping ${name} (pid ${pid}) left over from an earlier run`);
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
    const deadline = Date.now() + 20_000;
    while (pidAlive(pid) && Date.now() < deadline) await sleep(100);
    if (pidAlive(pid)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  await rm(state.path(RUN_FILE), { force: true });
}

const startedAt = new Date().toISOString();
let runWrites: Promise<void> = Promise.resolve();
let ownsRunFile = false;
let runInfo: Partial<RunFile> = {};
/**
 * Written as each child starts (so a later run can clean up if this one dies unannounced)
 * and once everything is ready. Writes are queued so an older snapshot never lands last.
 */
function writeRunFile(extra: Partial<RunFile> = {}): Promise<void> {
  // What was said once (ready, the URLs) stays true when a restarted child changes a pid.
  runInfo = { ...runInfo, ...extra };
  const run: RunFile = {
    pid: process.pid,
    ready: false,
    startedAt,
    ...runInfo,
    children: supervisor.pids,
  };
  ownsRunFile = true;
  runWrites = runWrites
    .then(() => state.writeJson(RUN_FILE, run).then(() => undefined))
    .catch((e: unknown) => {
      log.warn(`could not write ${RUN_FILE}: ${e instanceof Error ? e.message : String(e)}`);
    });
  return runWrites;
}

/**
 * Where the embedded PostgreSQL keeps its data: `.waiaas/postgres`, unless we are root and
 * the `postgres` user (that initdb and postgres run as) cannot reach it — a checkout under
 * `/root` (mode 0700), say. Then a folder under /var/lib/waiaas named after the state
 * folder, so it still survives restarts.
 */
function postgresDataDir(): string {
  const preferred = state.path('postgres');
  if (process.getuid?.() !== 0) return preferred;
  let blocked: string | undefined;
  for (let dir = state.root; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) blocked = dir;
    if (dirname(dir) === dir) break;
  }
  if (blocked === undefined) return preferred;
  const fallback = join(
    '/var/lib/waiaas',
    createHash('sha256').update(state.root).digest('hex').slice(0, 12),
    'postgres',
  );
  mkdirSync(dirname(fallback), { recursive: true, mode: 0o711 });
  log.info(`${blocked} is closed to the postgres user: PostgreSQL data goes to ${fallback}`);
  return fallback;
}

/** The compiled entry point of a workspace package. */
const dist = (pkg: string, file: string) => join(REPO, pkg, 'dist', file);

async function main(): Promise<void> {
  if (globalThis.waiaasBuild !== undefined)
    progress.durations.push(['build', globalThis.waiaasBuild.ms]);
  await state.ensure();
  await checkPreviousRun();
  supervisor.onStart = () => void writeRunFile();
  const apiPort = int('PORT', 3000);
  const ledgerPort = int('LEDGER_PORT', 8899);
  const pgPort = int('WAIAAS_PG_PORT', 54329);
  const workerMetricsPort = int('METRICS_PORT', 9464);
  // Bound to loopback unless told otherwise: a zero-configuration run should not be on the network.
  const host = set('HOST') ?? '127.0.0.1';
  const apiHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const apiUrl = `http://${apiHost}:${apiPort}`;

  const adminToken =
    set('ADMIN_TOKEN') ??
    (await state.secret('admin-token', () => `waiaas_admin_${randomHex(24)}`)).value;
  // The API switches to Turnkey custody as soon as any TURNKEY_* variable is set.
  const turnkey = [
    'TURNKEY_ORGANIZATION_ID',
    'TURNKEY_API_PUBLIC_KEY',
    'TURNKEY_API_PRIVATE_KEY',
    'TURNKEY_API_BASE_URL',
  ].some((n) => set(n) !== undefined);
  let masterKey = set('WALLET_MASTER_KEY') ?? set('KEYSTORE_MASTER_KEY');
  if (masterKey === undefined && !turnkey) {
    const generated = await state.secret('master.key', () => randomHex(32));
    if (generated.created)
      log.info(
        `generated the local keystore master key into ${generated.file} (mode 0600): back it up, wallets are sealed with it`,
      );
    masterKey = generated.value;
  }
  log.info(
    `custody: ${turnkey ? 'Turnkey' : 'local encrypted keystore'}; cache and rate limits: ${set('REDIS_URL') === undefined ? 'in-process (no REDIS_URL)' : 'Redis'}`,
  );

  // Where everything will be is known now, so every process can start at once.
  const embeddedPg = set('DATABASE_URL') === undefined;
  const pgPassword = embeddedPg
    ? (await state.secret('postgres-password', () => randomHex(16))).value
    : '';
  const databaseUrl =
    set('DATABASE_URL') ?? `postgresql://postgres:${pgPassword}@127.0.0.1:${pgPort}/waiaas`;
  const localLedger = set('SOLANA_RPC_URL') === undefined;
  const rpcUrl = set('SOLANA_RPC_URL') ?? `http://127.0.0.1:${ledgerPort}`;

  // PostgreSQL, then the migrations.
  const database = (async () => {
    if (embeddedPg) {
      pgDir = postgresDataDir();
      const phase = progress.begin(
        'postgres',
        `starting embedded PostgreSQL on 127.0.0.1:${pgPort}`,
      );
      await supervisor.start({
        name: 'postgres',
        script: join(REPO, 'scripts/dist/postgres.js'),
        cwd: REPO,
        env: {
          ...env,
          WAIAAS_PG_DIR: pgDir,
          WAIAAS_PG_PORT: String(pgPort),
          WAIAAS_PG_PASSWORD: pgPassword,
          WAIAAS_PG_DATABASE: 'waiaas',
        },
        ready: { line: 'WAIAAS_POSTGRES_READY' },
      }).ready;
      phase.done(`data in ${pgDir}`);
    }
    const phase = progress.begin('migrations', 'applying pending migrations');
    await supervisor.run({
      name: 'migrate',
      script: dist('packages/database', 'cli/migrate.js'),
      cwd: join(REPO, 'packages/database'),
      env: { ...env, DATABASE_URL: databaseUrl },
    });
    phase.done();
  })();

  // Solana
  const solana = (async () => {
    if (!localLedger) return;
    const phase = progress.begin('ledger', `starting the local Solana ledger on ${rpcUrl}`);
    await supervisor.start({
      name: 'ledger',
      script: dist('packages/local-ledger', 'cli.js'),
      args: ['--port', String(ledgerPort), '--host', '127.0.0.1'],
      cwd: join(REPO, 'packages/local-ledger'),
      env: { ...env },
      ready: { line: 'listening on' },
      afterRestart: () => refundAfterLedgerRestart(rpcUrl),
    }).ready;
    phase.done();
  })();

  // The API and the worker load their code now and run once the database is migrated.
  const appEnv: Record<string, string | undefined> = {
    ...env,
    DATABASE_URL: databaseUrl,
    SOLANA_RPC_URL: rpcUrl,
    ADMIN_TOKEN: adminToken,
    WALLET_MASTER_KEY: masterKey,
    PORT: String(apiPort),
    HOST: host,
  };
  const apiPhase = progress.begin('api', 'loading; it serves once the database is ready');
  const api = supervisor.start({
    name: 'api',
    script: dist('apps/api', 'main.js'),
    cwd: join(REPO, 'apps/api'),
    env: appEnv,
    warmWhileHeld: [dist('apps/api', 'app.factory.js')],
    ready: { url: `${apiUrl}/health/ready` },
  });
  const workerMetrics = `http://127.0.0.1:${workerMetricsPort}`;
  const workerPhase = progress.begin('worker', 'loading; it runs once the database is ready');
  const worker = supervisor.start({
    name: 'worker',
    script: dist('apps/confirmation-worker', 'main.js'),
    cwd: join(REPO, 'apps/confirmation-worker'),
    env: {
      ...appEnv,
      METRICS_PORT: String(workerMetricsPort),
      METRICS_HOST: set('METRICS_HOST') ?? '127.0.0.1',
    },
    warmWhileHeld: [dist('apps/confirmation-worker', 'worker.js')],
    ready: { url: `${workerMetrics}/health` },
  });
  // Loaded meanwhile rather than up front: @solana/kit takes a moment, and nothing before
  // the demo needs it.
  const withDemo = set('WAIAAS_SKIP_DEMO') === undefined;
  const demoSetup = withDemo ? import('./lib/demo-setup.js') : null;
  demoSetup?.catch(() => undefined); // a failure shows where it is awaited, below
  await Promise.all([database, solana]);
  log.info('database and ledger ready: the API and the worker start');
  api.openGate();
  worker.openGate();
  await Promise.all([
    api.ready.then(() => apiPhase.done(apiUrl)),
    worker.ready.then(() => workerPhase.done(`health and metrics on ${workerMetrics}`)),
  ]);

  // Demo data, through the API like any user.
  let demo: DemoSetupResult | null = null;
  if (demoSetup !== null) {
    const phase = progress.begin('demo', 'checking the demo owner, agent and wallet');
    const { ensureDemo, fundDemoWallet } = await demoSetup;
    demo = await ensureDemo(state, apiUrl, adminToken);
    if (demo.replacedReason !== undefined) log.warn(`created a new demo: ${demo.replacedReason}`);
    try {
      const funded = await fundDemoWallet(rpcUrl, demo.credentials.wallet.address);
      if (funded.funded)
        log.info(`airdropped SOL to the demo wallet: balance ${funded.lamports} lamports`);
    } catch (e) {
      const message = `could not airdrop to the demo wallet: ${e instanceof Error ? e.message : String(e)}`;
      if (localLedger) throw new Error(message, { cause: e });
      log.warn(`${message} (fund ${demo.credentials.wallet.address} yourself)`);
    }
    demoWallet = demo.credentials.wallet.address;
    phase.done(demo.created ? 'created' : 'reused');
  }

  await writeRunFile({ ready: true, apiUrl, rpcUrl, localLedger });
  supervisor.supervise();
  log.raw(
    renderBanner(
      {
        apiUrl,
        consoleUrl: `${apiUrl}/console/`,
        rpcUrl,
        localLedger,
        postgres: embeddedPg ? `embedded, 127.0.0.1:${pgPort}, data in ${pgDir}` : 'DATABASE_URL',
        adminToken,
        ...(set('ADMIN_TOKEN') === undefined ? { adminTokenFile: state.path('admin-token') } : {}),
        demo,
        readyInMs: performance.now(),
        phases: progress.durations,
      },
      // Secrets only on a terminal: redirected output lands in logs (see lib/banner.ts).
      { showSecrets: process.stdout.isTTY === true },
    ),
  );
}

/** The demo wallet's address once the demo is set up (the ledger re-funds it on restart). */
let demoWallet: string | undefined;

/**
 * The local ledger keeps the chain in memory, so a crashed ledger comes back empty: every
 * balance and transaction on it is gone (transfers it had not confirmed fail as expired;
 * rows already CONFIRMED stay in the database). The supervisor restarts it on the same
 * port so the API and the worker carry on; this says so loudly and funds the demo wallet again.
 */
async function refundAfterLedgerRestart(rpcUrl: string): Promise<void> {
  log.warn(
    'the local ledger restarted empty: balances and on-chain history are reset; transfers it had not confirmed will fail as expired',
  );
  if (demoWallet === undefined) return;
  const { fundDemoWallet } = await import('./lib/demo-setup.js');
  const funded = await fundDemoWallet(rpcUrl, demoWallet);
  log.info(`airdropped SOL to the demo wallet again: balance ${funded.lamports} lamports`);
}

main().catch((e: unknown) => {
  progress.abandon();
  log.error(`start failed: ${e instanceof Error ? e.message : String(e)}`);
  void shutdown('start failed', 1);
});
