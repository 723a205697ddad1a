/**
 * HTTP benchmark of the API's hot paths against a ceiling measured in the same run on the same
 * machine: a bare Fastify route (SPEC §10). Real PostgreSQL (a scratch database, dropped after),
 * Redis when REDIS_URL is set (a scratch key prefix, deleted after; otherwise the in-process
 * cache), the local LiteSVM ledger and the local keystore. Prints a table.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
 *     pnpm --filter @waiaas/api bench
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { address } from '@solana/kit';
import { migrate } from '@waiaas/database';
import { startLocalLedger } from '@waiaas/local-ledger';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { createApp } from '../src/app.factory.js';
import { loadConfig } from '../src/config/app-config.js';

const base = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const N = Number(process.env.BENCH_N ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const TRANSFERS = Number(process.env.BENCH_TRANSFERS ?? 400);
const dbName = `waiaas_apibench_${randomBytes(4).toString('hex')}`;
const url = (() => {
  const u = new URL(base);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const prefix = `waiaas-bench:${randomBytes(4).toString('hex')}:`;
const ADMIN = randomBytes(24).toString('hex');
const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';

type Row = {
  scenario: string;
  'req/s': number;
  'p50 ms': string;
  'p99 ms': string;
  'vs bare route': string;
};

async function run(
  label: string,
  total: number,
  concurrency: number,
  op: (i: number, worker: number) => Promise<Response>,
): Promise<Omit<Row, 'vs bare route'>> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        const r = await op(i, worker);
        await r.arrayBuffer();
        if (r.status >= 400) throw new Error(`${label}: HTTP ${r.status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(2);
  return {
    scenario: label,
    'req/s': Math.round(total / elapsed),
    'p50 ms': pct(50),
    'p99 ms': pct(99),
  };
}

const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`CREATE DATABASE "${dbName}"`);
const ledger = await startLocalLedger({ port: 0, slotMs: 400 });
const bare = Fastify();
bare.get('/ping', () => ({ ok: true }));
try {
  await migrate({ connectionString: url });
  const config = loadConfig({
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: String(CONCURRENCY + 4),
    ...(process.env.REDIS_URL
      ? { REDIS_URL: process.env.REDIS_URL, REDIS_KEY_PREFIX: prefix }
      : {}),
    SOLANA_RPC_URL: ledger.url,
    ADMIN_TOKEN: ADMIN,
    WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
    RATE_LIMIT_PER_MINUTE: '10000000',
    NODE_ENV: 'production',
  });
  const app = await createApp(config, { logger: pino({ level: 'warn' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const apiUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });

  const post = (path: string, token: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(apiUrl + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const put = (path: string, token: string, body?: unknown) =>
    fetch(apiUrl + path, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const get = (path: string, token: string) =>
    fetch(apiUrl + path, { headers: { authorization: `Bearer ${token}` } });

  const ownerKey = (
    (await (await post('/v1/owners', ADMIN, { email: 'bench@example.com' })).json()) as {
      apiKey: string;
    }
  ).apiKey;
  const agent = (await (await post('/v1/agents', ownerKey, { name: 'bench' })).json()) as {
    agent: { id: string };
    apiKey: string;
  };
  const wallets: string[] = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    const w = (await (await post('/v1/wallets', ownerKey, {})).json()) as {
      wallet: { id: string; address: string };
    };
    await put(`/v1/wallets/${w.wallet.id}/agents/${agent.agent.id}`, ownerKey);
    await put(`/v1/wallets/${w.wallet.id}/policy`, ownerKey, {
      perTxLimit: '1',
      dailyLimit: '1000000',
    });
    await ledger.airdrop(address(w.wallet.address), 10_000_000_000n);
    wallets.push(w.wallet.id);
  }

  const rows: Omit<Row, 'vs bare route'>[] = [];
  // Warm-up, then measure.
  await run('warm-up', 200, CONCURRENCY, (i) =>
    get(`/v1/wallets/${wallets[i % wallets.length]}/policy`, agent.apiKey),
  );
  rows.push(
    await run('bare Fastify route (ceiling)', N, CONCURRENCY, () => fetch(`${bareUrl}/ping`)),
  );
  rows.push(await run('GET /health/live', N, CONCURRENCY, () => fetch(`${apiUrl}/health/live`)));
  rows.push(
    await run('GET /v1/wallets/:id/policy (agent, cache hit)', N, CONCURRENCY, (i) =>
      get(`/v1/wallets/${wallets[i % wallets.length]}/policy`, agent.apiKey),
    ),
  );
  rows.push(
    await run('GET /v1/wallets/:id/balance (agent, cache hit)', N, CONCURRENCY, (i) =>
      get(`/v1/wallets/${wallets[i % wallets.length]}/balance`, agent.apiKey),
    ),
  );
  rows.push(
    await run(
      `POST /v1/wallets/:id/transfers (signed, ${CONCURRENCY} wallets)`,
      TRANSFERS,
      CONCURRENCY,
      (_i, worker) =>
        post(
          `/v1/wallets/${wallets[worker]}/transfers`,
          agent.apiKey,
          { to: RECIPIENT, amount: '0.000001' },
          { 'idempotency-key': randomUUID() },
        ),
    ),
  );
  rows.push(
    await run(
      'POST /v1/wallets/:id/transfers (one wallet: per-wallet lock)',
      Math.min(TRANSFERS, 200),
      CONCURRENCY,
      () =>
        post(
          `/v1/wallets/${wallets[0]}/transfers`,
          agent.apiKey,
          { to: RECIPIENT, amount: '0.000001' },
          { 'idempotency-key': randomUUID() },
        ),
    ),
  );
  const ceiling = rows[0]!['req/s'];
  console.log(
    `\nWAIaaS API benchmark: concurrency ${CONCURRENCY}, cache ${process.env.REDIS_URL ? 'Redis' : 'in-process'}, local ledger, local keystore`,
  );
  console.table(
    rows.map((r): Row => ({
      ...r,
      'vs bare route': `${((r['req/s'] / ceiling) * 100).toFixed(1)}%`,
    })),
  );
  await app.close();
} finally {
  await bare.close();
  await ledger.close();
  if (process.env.REDIS_URL) {
    const redis = new Redis(process.env.REDIS_URL);
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = nextCursor;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
}
