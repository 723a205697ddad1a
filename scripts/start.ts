/**
 * `pnpm start`: the whole WAIaaS system on one machine, with nothing configured.
 *
 * Starts, as separate child processes (each in its own process group, stopped in reverse
 * order on Ctrl-C/SIGTERM with nothing left behind): an embedded PostgreSQL (data in
 * `.waiaas/postgres`, kept across restarts) unless DATABASE_URL is set; the migrations;
 * the local Solana ledger (LiteSVM, port LEDGER_PORT) unless SOLANA_RPC_URL is set; the
 * API (PORT) and the confirmation worker. Secrets it needs and nobody gave it (ADMIN_TOKEN,
 * WALLET_MASTER_KEY unless Turnkey is configured) are generated once into `.waiaas/`
 * (mode 0600). On first start it creates a demo owner, agent and funded wallet through the
 * API and prints how to use them.
 */
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { type DemoSetupResult, ensureDemo, fundDemoWallet } from './lib/demo-setup.js';
import { createLogger } from './lib/logs.js';
import { randomHex, StateDir } from './lib/state.js';
import { type Child, Supervisor } from './lib/supervisor.js';

const REPO = resolve(import.meta.dirname, '..');
// Children run from their own package folder and find its tsconfig.json; the one this
// script was started with (SWC_NODE_PROJECT) must not leak into them.
const { SWC_NODE_PROJECT: scriptsProject, TS_NODE_PROJECT: _unused, ...env } = process.env;
const set = (name: string): string | undefined => {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
};

const production = set('NODE_ENV') === 'production';
const log = createLogger(production ? 'json' : 'pretty');
const supervisor = new Supervisor(log);
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
supervisor.onUnexpectedExit = (child: Child, code, signal) => {
  log.error(`${child.spec.name} exited unexpectedly (code ${code}, signal ${signal})`);
  void shutdown(`${child.spec.name} exited`, 1);
};

function int(name: string, fallback: number): number {
  const raw = set(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65_535)
    throw new Error(`${name} must be a port number, got "${raw}"`);
  return Number(raw);
}

/** Polls `url` until it answers 200, failing early if `child` exits. */
async function waitHttpOk(url: string, child: Child, timeoutMs: number): Promise<void> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.spec.name} exited before ${url} answered`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(300);
  }
  throw new Error(`${url} not ready after ${timeoutMs / 1000} s (last: ${last})`);
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

/** Our own children only: a pid can be reused by an unrelated process after a reboot. */
function looksLikeOurChild(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('@swc-node/register') || cmdline.includes('postgres');
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
  if (previous.pid !== process.pid && pidAlive(previous.pid) && looksLikeOurChild(previous.pid)) {
    throw new Error(
      `pnpm start is already running on ${state.root} (pid ${previous.pid}); stop it first`,
    );
  }
  for (const [name, pid] of Object.entries(previous.children).reverse()) {
    if (!pidAlive(pid) || !looksLikeOurChild(pid)) continue;
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
/**
 * Written as each child starts (so a later run can clean up if this one dies unannounced)
 * and once everything is ready. Writes are queued so an older snapshot never lands last.
 */
function writeRunFile(extra: Partial<RunFile> = {}): Promise<void> {
  const run: RunFile = {
    pid: process.pid,
    ready: false,
    startedAt,
    children: supervisor.pids,
    ...extra,
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

async function main(): Promise<void> {
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

  // PostgreSQL
  let databaseUrl = set('DATABASE_URL');
  if (databaseUrl === undefined) {
    const password = (await state.secret('postgres-password', () => randomHex(16))).value;
    pgDir = postgresDataDir();
    const pg = supervisor.start({
      name: 'postgres',
      args: [join(REPO, 'scripts/postgres.ts')],
      cwd: REPO,
      env: {
        ...env,
        WAIAAS_PG_DIR: pgDir,
        WAIAAS_PG_PORT: String(pgPort),
        WAIAAS_PG_PASSWORD: password,
        WAIAAS_PG_DATABASE: 'waiaas',
        SWC_NODE_PROJECT: scriptsProject ?? join(REPO, 'scripts/tsconfig.json'),
      },
      readyLine: 'WAIAAS_POSTGRES_READY',
    });
    await pg.ready;
    databaseUrl = `postgresql://postgres:${password}@127.0.0.1:${pgPort}/waiaas`;
    log.info(`embedded PostgreSQL ready on 127.0.0.1:${pgPort} (data in ${pgDir})`);
  }

  await supervisor.run({
    name: 'migrate',
    args: ['src/cli/migrate.ts'],
    cwd: join(REPO, 'packages/database'),
    env: { ...env, DATABASE_URL: databaseUrl },
  });

  // Solana
  let rpcUrl = set('SOLANA_RPC_URL');
  const localLedger = rpcUrl === undefined;
  if (rpcUrl === undefined) {
    const ledger = supervisor.start({
      name: 'ledger',
      args: ['src/cli.ts', '--port', String(ledgerPort), '--host', '127.0.0.1'],
      cwd: join(REPO, 'packages/local-ledger'),
      env: { ...env },
      readyLine: 'listening on',
    });
    await ledger.ready;
    rpcUrl = `http://127.0.0.1:${ledgerPort}`;
  }

  const appEnv: Record<string, string | undefined> = {
    ...env,
    DATABASE_URL: databaseUrl,
    SOLANA_RPC_URL: rpcUrl,
    ADMIN_TOKEN: adminToken,
    WALLET_MASTER_KEY: masterKey,
    PORT: String(apiPort),
    HOST: host,
  };
  const api = supervisor.start({
    name: 'api',
    args: ['src/main.ts'],
    cwd: join(REPO, 'apps/api'),
    env: appEnv,
  });
  const worker = supervisor.start({
    name: 'worker',
    args: ['src/main.ts'],
    cwd: join(REPO, 'apps/confirmation-worker'),
    env: {
      ...appEnv,
      METRICS_PORT: String(workerMetricsPort),
      METRICS_HOST: set('METRICS_HOST') ?? '127.0.0.1',
    },
  });
  await Promise.all([
    waitHttpOk(`${apiUrl}/health/ready`, api, 180_000),
    waitHttpOk(`http://127.0.0.1:${workerMetricsPort}/health`, worker, 180_000),
  ]);

  // Demo data, through the API like any user.
  let demo: DemoSetupResult | null = null;
  if (set('WAIAAS_SKIP_DEMO') === undefined) {
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
  }

  await writeRunFile({ ready: true, apiUrl, rpcUrl, localLedger });
  printBanner({
    apiUrl,
    rpcUrl,
    localLedger,
    adminToken,
    adminFromEnv: set('ADMIN_TOKEN') !== undefined,
    demo,
    embeddedPg: set('DATABASE_URL') === undefined,
    pgPort,
  });
}

function printBanner(o: {
  apiUrl: string;
  rpcUrl: string;
  localLedger: boolean;
  adminToken: string;
  adminFromEnv: boolean;
  demo: DemoSetupResult | null;
  embeddedPg: boolean;
  pgPort: number;
}): void {
  const lines = [
    '',
    '  WAIaaS is running. Ctrl-C stops everything.',
    '',
    `  API             ${o.apiUrl}`,
    `  API docs        ${o.apiUrl}/docs   (OpenAPI JSON: ${o.apiUrl}/docs/json)`,
    `  Solana RPC      ${o.rpcUrl}${o.localLedger ? '   (local ledger, in memory: reset on every start)' : ''}`,
    `  PostgreSQL      ${o.embeddedPg ? `embedded, 127.0.0.1:${o.pgPort}, data in ${pgDir}` : 'DATABASE_URL'}`,
    `  Operator token  ${o.adminToken}${o.adminFromEnv ? '   (ADMIN_TOKEN)' : `   (saved in ${state.path('admin-token')})`}`,
  ];
  const d = o.demo;
  if (d !== null) {
    const c = d.credentials;
    lines.push('');
    if (d.created) {
      lines.push(
        '  Demo (created now; the keys are shown once and saved, mode 0600, in',
        `        ${d.file})`,
        `  Owner key       ${c.owner.apiKey}`,
        `  Agent key       ${c.agent.apiKey}`,
      );
    } else {
      lines.push(`  Demo            reused: owner and agent keys are in ${d.file} (mode 0600)`);
    }
    lines.push(
      `  Demo wallet     ${c.wallet.address}   (id ${c.wallet.id})`,
      `  Policy          ≤ ${c.policy.metadata?.approvalThreshold ?? '?'} SOL sent at once, up to ${c.policy.perTxLimit} SOL with owner approval, ${c.policy.dailyLimit} SOL a day`,
      '',
      '  Try a transfer:',
      `  curl -sS -X POST ${o.apiUrl}/v1/wallets/${c.wallet.id}/transfers -H "Authorization: Bearer ${d.created ? c.agent.apiKey : `$(node -p "require('${d.file}').agent.apiKey")`}" -H "Idempotency-Key: $(date +%s%N)" -H "Content-Type: application/json" -d '{"to":"${c.recipient}","amount":"0.1"}'`,
      '',
      `  Then the whole journey: pnpm demo   (examples/agent-demo.ts)`,
    );
  }
  lines.push('');
  log.raw(lines.join('\n'));
}

main().catch((e: unknown) => {
  log.error(`start failed: ${e instanceof Error ? e.message : String(e)}`);
  void shutdown('start failed', 1);
});
