/**
 * `pnpm bench`: measures the built WAIaaS stack the way a user runs it, against ceilings
 * measured in the same run with the same generator, and prints (and, for a full run, writes
 * into bench/RESULTS.md) the table. See bench/README.md for what each line means.
 *
 *   pnpm bench                    # build, then 10 s per run, 64 connections
 *   pnpm bench -- --quick         # 3 s per run (checks the harness, figures meaningless)
 *   pnpm bench -- --profile       # also CPU-profile the API, worker and ledger per scenario
 *   pnpm bench -- --worker        # only the worker drain against the ledger's ceiling
 *   pnpm bench -- --reads         # only the Fastify ceiling and the two cached reads
 *   pnpm bench -- --evaluate      # the same and the dry run
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import * as prettier from 'prettier';
import { callChild } from './child.js';
import type { LedgerCeilingResult, LedgerCeilingSpec } from './ledger-ceiling.js';
import { runLoad, type LoadResult, type RequestSpec } from './load.js';
import { Runner, type Managed } from './processes.js';
import {
  formatProfile,
  formatTable,
  percentile,
  replaceGenerated,
  summariseProfile,
  type Row,
} from './report.js';
import { createFixture } from './stack.js';
import { CpuMeter, type CpuPerRequest, processTree } from './cpu.js';

const REPO = resolve(import.meta.dirname, '../..');
const { values: flags } = parseArgs({
  // `pnpm bench -- --profile` hands the script a literal `--` before the flags.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    write: { type: 'boolean' },
    worker: { type: 'boolean', default: false },
    reads: { type: 'boolean', default: false },
    evaluate: { type: 'boolean', default: false },
  },
  strict: true,
});
const env = process.env;
const durationSec = Number(env.BENCH_DURATION ?? (flags.quick ? 3 : 10));
const connections = Number(env.BENCH_CONNECTIONS ?? 64);
/**
 * How many times the Fastify ceiling and the rows measured against it (the reads, the dry run)
 * are measured, alternating: ceiling, then each row, then the ceiling again. The host's speed
 * drifts by a factor of two within minutes on a shared machine; a ratio of two runs a minute
 * apart measured the drift as much as the code. Each row's ratio is the median over rounds of
 * its run divided by the ceiling run of the same round; its other figures are medians.
 */
const rounds = Number(env.BENCH_ROUNDS ?? (flags.quick ? 1 : 3));
const walletCount = Number(env.BENCH_WALLETS ?? 100);
// Below Linux's ephemeral range (32768–60999): a port in it can be the local end of one of the
// run's own outgoing connections, and the next server's listen() then fails with EADDRINUSE.
const portBase = Number(env.BENCH_PORT_BASE ?? 27000);
const adminUrl = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// A profiled run is slower than a plain one: its figures do not replace the table unless asked.
const writeResults =
  flags.write ??
  (durationSec >= 10 && !flags.worker && !flags.reads && !flags.evaluate && !flags.profile);
/**
 * The worker drain needs enough PENDING transfers to measure a rate rather than start-up and
 * one slot of confirmation latency: when the worker-stopped run made fewer, more are created
 * (not timed) before the worker starts. 6,000: with 3,000 the drain lasted about 3 s, of which
 * the last transfers' confirmation latency (a slot, then the worker's status cadence of one
 * slot, where the ceiling's client polls without pause) was a tenth or more; the ceiling sends
 * the same number, so both rates are measured over the same amount of work.
 */
const minDrain = Number(env.BENCH_MIN_DRAIN ?? (flags.quick ? 300 : 6000));
const ports = {
  api: portBase,
  ledger: portBase + 1,
  workerMetrics: portBase + 2,
  fastify: portBase + 3,
  pg: portBase + 4,
};

const runId = new Date().toISOString().replace(/[:.]/g, '-');
const runDir = join(REPO, 'bench/.runs', runId);
const profileDir = flags.profile ? join(runDir, 'profiles') : undefined;
mkdirSync(profileDir ?? runDir, { recursive: true });
const runner = new Runner({ logDir: runDir, profileDir });
const dbName = `waiaas_bench_${randomBytes(4).toString('hex')}`;
const databaseUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const keyPrefix = `waiaas-bench-${randomBytes(4).toString('hex')}:`;
const profiles: { title: string; files: string[] }[] = [];
/** How many processes served the API (read once it is up). */
let apiProcesses = 1;
const rows: Row[] = [];
const notes: string[] = [];

function log(message: string): void {
  process.stdout.write(`[bench] ${message}\n`);
}

async function admin<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query<T>(sql, params);
  } finally {
    await client.end();
  }
}

/** A pool on the bench database, for the SUBMITTED timings and the worker drain. */
let db: pg.Pool | undefined;

/**
 * One measured run. `server` is the process whose CPU per request is reported, with the bench
 * database's PostgreSQL backends' when `postgres` (see `cpu.ts`).
 */
async function load(
  label: string,
  url: string,
  request: RequestSpec,
  measured: { server: Managed; postgres: boolean },
): Promise<LoadResult & { cpu: CpuPerRequest | undefined }> {
  const meter = new CpuMeter(measured.server.pid, measured.postgres ? dbName : undefined);
  const result = await runLoad({ url, connections, durationSec, request });
  const cpu = meter.perRequest(result.total);
  log(
    `${label}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}` +
      (cpu === undefined
        ? ''
        : `, CPU ${cpu.server.toFixed(2)} ms/req` +
          (cpu.postgres === undefined ? '' : ` + PostgreSQL ${cpu.postgres.toFixed(2)} ms/req`)),
  );
  for (const sample of result.sampleErrors) log(`  ${label} non-2xx: ${sample}`);
  return { ...result, cpu };
}

/** A short run first, so the measured one sees compiled code and warm pools and caches. */
async function warm(url: string, request: RequestSpec): Promise<void> {
  await runLoad({ url, connections, durationSec: 1, request });
}

async function profiled<T>(
  title: string,
  processes: readonly Managed[],
  work: () => Promise<T>,
): Promise<T> {
  let run: () => Promise<T> = work;
  const files: { title: string; files: string[] | undefined }[] = [];
  for (const p of processes) {
    const inner = run;
    run = async () => {
      const { value, profile } = await p.profile(inner);
      files.push({ title: `${title} — ${p.name}`, files: profile });
      return value;
    };
  }
  const value = await run();
  for (const f of files.reverse())
    if (f.files !== undefined) profiles.push({ title: f.title, files: f.files });
  return value;
}

function ratio(result: { rps: number }, ceiling: { rps: number }, of: string) {
  return { of, value: result.rps / ceiling.rps };
}

type Measured = LoadResult & { cpu: CpuPerRequest | undefined };

/** A row measured in several rounds: the median of each figure; failures summed. */
function median(results: readonly Measured[]): Omit<Row, 'measure'> {
  const of = (pick: (r: Measured) => number | undefined): number | undefined => {
    return percentile(
      results.map(pick).filter((v): v is number => v !== undefined),
      50,
    );
  };
  const server = of((r) => r.cpu?.server);
  return {
    rps: of((r) => r.rps),
    p50: of((r) => r.p50),
    p99: of((r) => r.p99),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    ...(server === undefined ? {} : { cpu: { server, postgres: of((r) => r.cpu?.postgres) } }),
  };
}

async function main(): Promise<void> {
  log(
    `run ${runId}: ${durationSec} s per run, ${connections} connections, ${walletCount} wallets; logs in ${runDir}`,
  );
  await admin(`CREATE DATABASE "${dbName}"`);
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  execFileSync(process.execPath, ['packages/database/dist/cli/migrate.js'], {
    cwd: REPO,
    env: { ...env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'ignore', 'inherit'],
  });

  // Ceilings, each in a process of its own.
  let pgResult = { rps: Number.NaN };
  if (!flags.worker && !flags.reads && !flags.evaluate) {
    const pgCeiling = await runner.start({
      name: 'ceiling-pg',
      script: 'bench/dist/ceilings/pg-server.js',
      cwd: REPO,
      env: { ...env, PORT: String(ports.pg), DATABASE_URL: databaseUrl },
      readyLine: 'ready',
    });
    const pgUrl = `http://127.0.0.1:${ports.pg}`;
    const pgReq: RequestSpec = { method: 'POST', paths: ['/'] };
    await warm(pgUrl, pgReq);
    pgResult = await load('ceiling: bare pg', pgUrl, pgReq, { server: pgCeiling, postgres: true });
    rows.push({
      measure: 'ceiling: bare `pg` (pool 10): BEGIN; UPDATE one of 100 rows; INSERT; COMMIT',
      ...pgResult,
    });
    await pgCeiling.stop();
  }

  // The product, started as `pnpm start` starts it, from the built output.
  const adminToken = `waiaas_admin_${randomBytes(24).toString('hex')}`;
  const rpcUrl = `http://127.0.0.1:${ports.ledger}`;
  const apiUrl = `http://127.0.0.1:${ports.api}`;
  const ledger = await runner.start({
    name: 'ledger',
    script: 'packages/local-ledger/dist/cli.js',
    args: ['--port', String(ports.ledger), '--host', '127.0.0.1'],
    cwd: join(REPO, 'packages/local-ledger'),
    env: { ...env },
    readyLine: 'listening on',
  });
  const appEnv: NodeJS.ProcessEnv = {
    ...env,
    DATABASE_URL: databaseUrl,
    SOLANA_RPC_URL: rpcUrl,
    ADMIN_TOKEN: adminToken,
    WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
    PORT: String(ports.api),
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '10000000',
  };
  const api = await runner.start({
    name: 'api',
    script: 'apps/api/dist/main.js',
    cwd: join(REPO, 'apps/api'),
    env: appEnv,
    readyUrl: `${apiUrl}/health/ready`,
  });
  const workerSpec = {
    name: 'worker',
    script: 'apps/confirmation-worker/dist/main.js',
    cwd: join(REPO, 'apps/confirmation-worker'),
    env: { ...appEnv, METRICS_PORT: String(ports.workerMetrics), METRICS_HOST: '127.0.0.1' },
    readyUrl: `http://127.0.0.1:${ports.workerMetrics}/health`,
  };

  log('creating the fixture through the API (owner, agent, wallets, policies, airdrops)');
  const fixture = await createFixture(apiUrl, rpcUrl, adminToken, walletCount);
  // One unless API_PROCESSES says otherwise (a cluster's processes are up by now).
  apiProcesses = Math.max(1, processTree(api.pid).length - 1);
  log(`the API serves from ${apiProcesses} process${apiProcesses === 1 ? '' : 'es'}`);
  const auth = { authorization: `Bearer ${fixture.agentKey}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const transferBody = JSON.stringify({ to: fixture.recipient, amount: '0.000001' });

  if (!flags.worker) {
    // The Fastify ceiling and what is measured against it, in alternating rounds.
    const fastify = await runner.start({
      name: 'ceiling-fastify',
      script: 'bench/dist/ceilings/fastify-server.js',
      cwd: REPO,
      env: { ...env, PORT: String(ports.fastify) },
      readyLine: 'ready',
    });
    const fastifyUrl = `http://127.0.0.1:${ports.fastify}`;
    const fastifyReq: RequestSpec = { method: 'GET', paths: ['/'] };
    const against: { title: string; measure: string; target: string; request: RequestSpec }[] = [
      {
        title: 'GET balance',
        measure: 'GET /v1/wallets/:id/balance (cache warm)',
        target: '≥ 40 %',
        request: {
          method: 'GET',
          paths: fixture.walletIds.map((id) => `/v1/wallets/${id}/balance`),
          headers: auth,
        },
      },
      {
        title: 'GET wallet',
        measure: 'GET /v1/wallets/:id',
        target: '≥ 40 %',
        request: {
          method: 'GET',
          paths: fixture.walletIds.map((id) => `/v1/wallets/${id}`),
          headers: auth,
        },
      },
    ];
    if (!flags.reads) {
      against.push({
        title: 'POST evaluate',
        measure: 'POST /v1/wallets/:id/transfers/evaluate',
        target: '≥ 25 %',
        request: {
          method: 'POST',
          paths: fixture.walletIds.map((id) => `/v1/wallets/${id}/transfers/evaluate`),
          headers: json,
          body: transferBody,
        },
      });
    }
    const ceilingRuns: Measured[] = [];
    const runs = against.map(() => ({ results: [] as Measured[], ratios: [] as number[] }));
    for (let round = 1; round <= rounds; round++) {
      const of = rounds > 1 ? ` (round ${round}/${rounds})` : '';
      await warm(fastifyUrl, fastifyReq);
      const ceiling = await load(`ceiling: bare Fastify GET${of}`, fastifyUrl, fastifyReq, {
        server: fastify,
        postgres: false,
      });
      ceilingRuns.push(ceiling);
      for (const [i, row] of against.entries()) {
        const measure = () =>
          load(`${row.title}${of}`, apiUrl, row.request, { server: api, postgres: true });
        await warm(apiUrl, row.request);
        // Profiled in the first round only (a profiled run is slower).
        const result = round === 1 ? await profiled(row.title, [api], measure) : await measure();
        runs[i]!.results.push(result);
        runs[i]!.ratios.push(result.rps / ceiling.rps);
      }
    }
    await fastify.stop();
    // The ceiling rows first: Fastify's, then PostgreSQL's (measured before the product started).
    rows.unshift({
      measure: 'ceiling: bare Fastify GET returning a small JSON',
      ...median(ceilingRuns),
    });
    for (const [i, row] of against.entries()) {
      rows.push({
        measure: row.measure,
        ...median(runs[i]!.results),
        ratio: { of: 'Fastify', value: percentile(runs[i]!.ratios, 50)! },
        target: row.target,
      });
    }
  }
  if (flags.reads || flags.evaluate) {
    await runner.stopAll();
    process.stdout.write(`\n${formatTable(rows)}\n\n${profileReport().join('\n\n')}\n`);
    return;
  }

  // Transfers with the worker stopped: they pile up PENDING for the worker drain below.
  const transferReq: RequestSpec = {
    method: 'POST',
    paths: fixture.walletIds.map((id) => `/v1/wallets/${id}/transfers`),
    headers: json,
    body: transferBody,
    uniqueIdempotencyKeys: true,
  };
  let createdPerSecond = 0;
  if (!flags.worker) {
    // Warmed like the routes above: the first second of transfers JIT-compiles their path
    // (kit, custody, the reservation), which a CPU sample of a cold run showed at 15 % of the
    // API's CPU. The warm-up's transfers join the worker drain below.
    await warm(apiUrl, transferReq);
    const stopped = await profiled('POST transfers, worker stopped', [api], () =>
      load('POST transfers (worker stopped)', apiUrl, transferReq, { server: api, postgres: true }),
    );
    rows.push({
      measure: `POST transfers over ${walletCount} wallets, unique keys, worker stopped`,
      ...stopped,
      ratio: ratio(stopped, pgResult, 'pg'),
      target: '≥ 40 %',
    });
    createdPerSecond = stopped.rps;
  }
  // The worker drain against the ledger's batched ceiling, in rounds as the reads are: each
  // round piles up PENDING transfers with the worker stopped, drains them, stops the worker and
  // measures the ceiling; the ratio is the median over rounds of each drain divided by its own
  // round's ceiling (measured once, after one drain, the two were minutes apart and the ratio
  // moved 62-102 % with the host).
  const ceilingOf = (batched: boolean, count: number) =>
    callChild<LedgerCeilingSpec, LedgerCeilingResult>('ledger-ceiling.js', {
      rpcUrl,
      count: Math.max(count, 500),
      inFlight: 100,
      batched,
    });
  const drains: Awaited<ReturnType<typeof waitSettled>>[] = [];
  const batchedRuns: LedgerCeilingResult[] = [];
  const drainRatios: number[] = [];
  let drainedIds: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    const of = rounds > 1 ? ` (round ${round}/${rounds})` : '';
    const made = (await quiescentPending()).length;
    if (made < minDrain) {
      // A signed transfer's blockhash is valid for 150 slots (60 s at 400 ms): the drain must
      // begin well within that, so the top-up is capped in time, not only in count.
      const seconds = Math.min(
        30,
        createdPerSecond > 0 ? Math.ceil((minDrain - made) / createdPerSecond) : 30,
      );
      log(`creating PENDING transfers for the worker drain for ${seconds} s (not timed)${of}`);
      await runLoad({ url: apiUrl, connections, durationSec: seconds, request: transferReq });
    }
    // Timed from the database's own stamps: first SUBMITTED to last CONFIRMED.
    const pendingIds = await quiescentPending();
    log(`worker drain: ${pendingIds.length} PENDING transfers${of}`);
    const worker = await runner.start(workerSpec);
    const drainOf = () => waitSettled(pendingIds);
    // Profiled in the first round only (a profiled run is slower).
    const drain =
      round === 1 ? await profiled('worker drain', [worker, ledger], drainOf) : await drainOf();
    if (flags.worker && round === 1) {
      await printTimeline(pendingIds);
      const metrics = await (await fetch(`http://127.0.0.1:${ports.workerMetrics}/metrics`)).text();
      log(
        metrics
          .split('\n')
          .filter((l) =>
            /rpc_duration_seconds_(sum|count)|transitions_total\{|sends_total\{/.test(l),
          )
          .join('\n'),
      );
    }
    await worker.stop();
    const measureCeiling = () => ceilingOf(true, pendingIds.length);
    const batched =
      round === 1
        ? await profiled('ledger send+status ceiling, batched', [ledger], measureCeiling)
        : await measureCeiling();
    log(
      `worker ${drain.perSecond.toFixed(0)} confirmed/s, ledger ceiling in JSON-RPC batches ${batched.perSecond.toFixed(0)}${of}`,
    );
    drains.push(drain);
    batchedRuns.push(batched);
    drainRatios.push(drain.perSecond / batched.perSecond);
    drainedIds = pendingIds;
  }
  const single = await profiled('ledger send+status ceiling', [ledger], () =>
    ceilingOf(false, drainedIds.length),
  );
  const drainRate = percentile(
    drains.map((d) => d.perSecond),
    50,
  )!;
  const batchedRate = percentile(
    batchedRuns.map((b) => b.perSecond),
    50,
  )!;
  rows.push({
    measure: `ceiling: local ledger send+status, kit client, one HTTP request per call (${single.confirmed} transfers)`,
    rps: single.perSecond,
  });
  rows.push({
    measure: `ceiling: local ledger send+status, kit client, JSON-RPC batches of 100 as the worker sends (${batchedRuns.map((b) => b.confirmed).join(' / ')} transfers)`,
    rps: batchedRate,
  });
  rows.push({
    measure: `worker confirmations/s (drains of ${drains.map((d) => d.confirmed + d.failed).join(' / ')} PENDING; ${Math.round((100 * drainRate) / single.perSecond)} % of the one-request-per-call ceiling)`,
    rps: drainRate,
    ratio: { of: 'ledger (batched)', value: percentile(drainRatios, 50)! },
    target: '≥ 80 %',
  });
  const failed = drains.reduce((sum, d) => sum + d.failed, 0);
  if (failed > 0)
    notes.push(
      `${failed} drained transfers ended FAILED (${[...new Set(drains.flatMap((d) => (d.reasons === '' ? [] : d.reasons.split(', '))))].join(', ')}).`,
    );
  if (flags.worker) {
    await runner.stopAll();
    process.stdout.write(`\n${formatTable(rows)}\n\n${profileReport().join('\n\n')}\n`);
    return;
  }

  // The whole stack: API, worker and ledger share the cores.
  const worker = await runner.start(workerSpec);
  const whole = await profiled('POST transfers, whole stack', [api, worker, ledger], () =>
    load(
      'POST transfers (whole stack)',
      apiUrl,
      { ...transferReq, recordCreated: true },
      { server: api, postgres: true },
    ),
  );
  rows.push({
    measure: `POST transfers over ${walletCount} wallets, unique keys, whole stack running`,
    ...whole,
    ratio: ratio(whole, pgResult, 'pg'),
    target: '≥ 25 %',
  });
  const loaded = await submittedLatency(whole.created);
  rows.push({
    measure: `POST → SUBMITTED, during the whole-stack run (${loaded.count} transfers)`,
    p50: loaded.p50,
    p99: loaded.p99,
    target: 'p50 ≤ 50 ms',
  });
  await waitSettled(whole.created.map(([, id]) => id));
  const paced = await runLoad({
    url: apiUrl,
    connections: 1,
    durationSec,
    overallRate: 20,
    request: { ...transferReq, recordCreated: true },
  });
  const idle = await submittedLatency(paced.created);
  rows.push({
    measure: `POST → SUBMITTED, 20 transfers/s on an otherwise idle stack (${idle.count})`,
    p50: idle.p50,
    p99: idle.p99,
    non2xx: paced.non2xx,
    target: 'p50 ≤ 50 ms',
  });
  await waitSettled(paced.created.map(([, id]) => id));
  await runner.stopAll();

  // Report.
  const table = formatTable(rows);
  process.stdout.write(`\n${table}\n\n`);
  const profileText = profileReport();
  if (profileText.length > 0) process.stdout.write(`${profileText.join('\n\n')}\n`);
  if (writeResults) await writeResultsFile(table, profileText);
}

/**
 * The PENDING transfers once the API has finished the requests still in flight when the
 * generator stopped (the count no longer moves).
 */
async function quiescentPending(): Promise<string[]> {
  if (db === undefined) throw new Error('no database');
  let previous = -1;
  for (;;) {
    const { rows: pending } = await db.query<{ id: string }>(
      `SELECT id::text AS id FROM transactions WHERE status = 'PENDING'`,
    );
    if (pending.length === previous) return pending.map((r) => r.id);
    previous = pending.length;
    await sleep(1_000);
  }
}

/** Per half second from the first SUBMITTED: how many rows became SUBMITTED and CONFIRMED. */
async function printTimeline(ids: readonly string[]): Promise<void> {
  if (db === undefined) return;
  const { rows: buckets } = await db.query<{ t: number; submitted: string; confirmed: string }>(
    `WITH base AS (SELECT min(submitted_at) AS t0 FROM transactions WHERE id = ANY($1::uuid[])),
          s AS (SELECT floor(extract(epoch FROM submitted_at - base.t0) * 2) / 2 AS t FROM transactions, base WHERE id = ANY($1::uuid[])),
          c AS (SELECT floor(extract(epoch FROM confirmed_at - base.t0) * 2) / 2 AS t FROM transactions, base WHERE id = ANY($1::uuid[]) AND confirmed_at IS NOT NULL)
     SELECT t::float8 AS t, sum(sub)::text AS submitted, sum(conf)::text AS confirmed FROM (
       SELECT t, 1 AS sub, 0 AS conf FROM s UNION ALL SELECT t, 0, 1 FROM c) x GROUP BY t ORDER BY t`,
    [ids],
  );
  log('timeline (s from first SUBMITTED: submitted / confirmed)');
  log(buckets.map((b) => `${b.t}: ${b.submitted}/${b.confirmed}`).join('  '));
}

function profileReport(): string[] {
  return profiles.map((p) =>
    formatProfile(
      p.files.length > 1 ? `${p.title} (${p.files.length} processes)` : p.title,
      summariseProfile(p.files),
    ),
  );
}

/**
 * Waits until no transfer is PENDING or SUBMITTED (the bench creates none while it waits, so
 * `ids` are settled then); returns the worker's rate over `ids`, from the rows' own stamps.
 *
 * The wait asks only whether any open row is left: one probe of the (status, created_at)
 * index. It asked how many of `ids` were open, every 100 ms, during the worker drain it
 * times: with 16,000 ids PostgreSQL parsed the array and planned 16,000 equalities per poll,
 * and `perf` put that backend at 9 % of the machine's samples, more than a third of all
 * PostgreSQL time in the drain, taken from the worker and the ledger it measures.
 */
async function waitSettled(ids: readonly string[]) {
  if (db === undefined) throw new Error('no database');
  const deadline = Date.now() + 300_000;
  for (;;) {
    const { rows: open } = await db.query(
      `SELECT 1 FROM transactions WHERE status IN ('PENDING', 'SUBMITTED') LIMIT 1`,
    );
    if (open.length === 0) break;
    if (Date.now() > deadline) throw new Error('transfers still open after 300 s');
    await sleep(100);
  }
  const { rows: stats } = await db.query<{
    confirmed: string;
    failed: string;
    first_ms: number | null;
    last_ms: number | null;
    reasons: string | null;
  }>(
    `SELECT count(*) FILTER (WHERE status = 'CONFIRMED') AS confirmed,
            count(*) FILTER (WHERE status = 'FAILED') AS failed,
            extract(epoch FROM min(submitted_at)) * 1000 AS first_ms,
            extract(epoch FROM max(confirmed_at)) * 1000 AS last_ms,
            string_agg(DISTINCT failure_reason::text, ', ') AS reasons
       FROM transactions WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  const s = stats[0]!;
  const seconds = ((s.last_ms ?? 0) - (s.first_ms ?? 0)) / 1000;
  return {
    confirmed: Number(s.confirmed),
    failed: Number(s.failed),
    reasons: s.reasons ?? '',
    perSecond: seconds > 0 ? Number(s.confirmed) / seconds : 0,
  };
}

/**
 * Time from each 201's arrival at the generator to the row's `submitted_at` (the worker's
 * commit after the send), both on this machine's clock. A row the worker submitted before
 * the 201 reached the generator counts as 0.
 */
async function submittedLatency(created: readonly [number, string][]) {
  if (db === undefined) throw new Error('no database');
  const ids = created.map(([, id]) => id);
  const deadline = Date.now() + 120_000;
  // Until no transfer is PENDING (all are ids' then), probed as waitSettled does: the worker
  // is still submitting the last of them, and a poll of every id competed with it.
  while (Date.now() < deadline) {
    const { rows: open } = await db.query(
      `SELECT 1 FROM transactions WHERE status = 'PENDING' LIMIT 1`,
    );
    if (open.length === 0) break;
    await sleep(100);
  }
  const { rows: stamps } = await db.query<{ id: string; ms: number | null }>(
    `SELECT id::text AS id, extract(epoch FROM submitted_at) * 1000 AS ms FROM transactions WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  const submitted = new Map(stamps.map((r) => [r.id, r.ms === null ? null : Number(r.ms)]));
  const latencies: number[] = [];
  for (const [at, id] of created) {
    const ms = submitted.get(id);
    if (ms !== null && ms !== undefined) latencies.push(Math.max(0, ms - at));
  }
  return {
    count: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function writeResultsFile(table: string, profileText: string[]): Promise<void> {
  const file = join(REPO, 'bench/RESULTS.md');
  const commit = (() => {
    try {
      const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO })
        .toString()
        .trim();
      const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: REPO }).toString().trim();
      return dirty === '' ? sha : `${sha} (with uncommitted changes)`;
    } catch {
      return 'unknown';
    }
  })();
  const cpu = cpus();
  const generated = [
    `## Latest run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `- machine: ${cpu.length} cores, ${cpu[0]?.model ?? 'unknown CPU'}, load average at start ${loadAvgAtStart}`,
    `- git commit: ${commit}`,
    `- settings: autocannon in its own process, ${connections} connections, ${durationSec} s per run (each after a 1 s warm-up run of its own, except the whole-stack transfers, which follow the worker-stopped ones), ${walletCount} wallets; the Fastify ceiling, the reads and the dry run in ${rounds} alternating round${rounds === 1 ? '' : 's'}, the worker drain and the ledger's batched ceiling in as many (figures: medians; a ratio: the median over rounds of the run divided by the same round's ceiling); API (${apiProcesses} process${apiProcesses === 1 ? '' : 'es'}, \`API_PROCESSES\`) and worker from \`dist/\`, PostgreSQL ${pgVersion} and Redis at the system servers (bench database and key prefix of its own), \`LOG_LEVEL=warn\`, \`RATE_LIMIT_PER_MINUTE\` lifted${flags.profile ? '; **CPU profiler on** (figures lower than without)' : ''}`,
    '',
    table,
    ...(notes.length > 0 ? ['', ...notes.map((n) => `- ${n}`)] : []),
    ...(profileText.length > 0
      ? ['', '### CPU profiles of this run (self time)', '', ...profileText.flatMap((p) => [p, ''])]
      : []),
  ].join('\n');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const text = replaceGenerated(existing, generated);
  writeFileSync(file, await prettier.format(text, { filepath: file }));
  log(`wrote ${file}`);
}

const loadAvgAtStart = loadavg()
  .map((x) => x.toFixed(2))
  .join(' / ');
let pgVersion = '';

async function cleanUp(): Promise<void> {
  await runner.stopAll().catch(() => undefined);
  await db?.end().catch(() => undefined);
  await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch((e: unknown) =>
    log(`could not drop ${dbName}: ${String(e)}`),
  );
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } catch (e) {
    log(`could not clean Redis keys ${keyPrefix}*: ${String(e)}`);
  } finally {
    redis.disconnect();
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping`);
    void cleanUp().then(() => process.exit(130));
  });
}

try {
  pgVersion =
    (await admin<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v.split(
      ' ',
    )[0] ?? '';
  await main();
} catch (error) {
  if (!interrupted) {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
} finally {
  if (!interrupted) await cleanUp();
}
