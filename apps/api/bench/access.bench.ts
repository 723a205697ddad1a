/**
 * The access path under load, measured from outside the API: the API runs as its own process
 * (`src/main.ts`, as a user runs it), the ceiling (a bare Fastify route returning a small JSON)
 * runs as another, the local ledger as a third, and the load comes from autocannon in this one.
 *
 * 1. Cached reads (64 connections, 10 s each, cache warm): `GET /v1/wallets/:id/balance` and
 *    `GET /v1/wallets/:id` by a granted agent and by the owner, each right after a run of the
 *    bare route, so that every ratio compares two runs under the same machine load.
 * 2. Unknown-key flood: a well-behaved agent (1 connection, 100 req/s) reading its balance,
 *    alone and then while another process sends random well-formed agent keys over 50
 *    connections as fast as the API answers them.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 \
 *     pnpm --filter @waiaas/api bench:access
 *
 * BENCH_SECONDS (default 10), BENCH_CONNECTIONS (64), BENCH_PORT (32010; the bare route uses
 * the next port), BENCH_ONLY=reads|flood. Figures on a shared machine are indicative: read the
 * ratios.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import bs58 from 'bs58';
import { address } from '@solana/kit';
import { migrate } from '@waiaas/database';
import { Redis } from 'ioredis';
import pg from 'pg';

const FLOOD_FLAG = '--flood';
const BARE_FLAG = '--bare';

/** A random key that looks exactly like a real agent key (prefix + 32 bytes in base58). */
const randomAgentKey = (): string => `waiaas_agent_${bs58.encode(randomBytes(32))}`;

if (process.argv.includes(BARE_FLAG)) {
  // The ceiling: the same framework with nothing in front of the handler.
  const { default: Fastify } = await import('fastify');
  const bare = Fastify();
  bare.get('/ping', () => ({ ok: true }));
  await bare.listen({ port: Number(process.argv[process.argv.indexOf(BARE_FLAG) + 1]) });
  process.send?.('ready');
} else if (process.argv.includes(FLOOD_FLAG)) {
  // The attacker, in a process of its own so it never competes with the measuring generator.
  const [url = '', seconds = '10'] = process.argv.slice(process.argv.indexOf(FLOOD_FLAG) + 1);
  const result = await autocannon({
    url,
    connections: 50,
    duration: Number(seconds),
    requests: [
      {
        setupRequest: (req) => ({
          ...req,
          headers: { authorization: `Bearer ${randomAgentKey()}` },
        }),
      },
    ],
  });
  process.send?.({ requests: result.requests.total, statusCodes: result.statusCodeStats });
} else {
  await main();
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const apiRoot = join(here, '..');
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
  const only = process.env.BENCH_ONLY;
  const apiPort = Number(process.env.BENCH_PORT ?? 32010);
  const barePort = apiPort + 1;
  const ledgerPort = apiPort + 2;
  const ledgerUrl = `http://127.0.0.1:${ledgerPort}`;
  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const r = await fetch(ledgerUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    return ((await r.json()) as { result: unknown }).result;
  };
  const base = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const dbName = `waiaas_accessbench_${randomBytes(4).toString('hex')}`;
  const dbUrl = Object.assign(new URL(base), { pathname: `/${dbName}` }).toString();
  const prefix = `waiaas-accessbench:${randomBytes(4).toString('hex')}:`;
  const adminToken = randomBytes(24).toString('hex');
  const children: ChildProcess[] = [];

  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  try {
    await migrate({ connectionString: dbUrl });
    const node = [
      '--conditions=@waiaas/source',
      '--import=@swc-node/register/esm-register',
      '--disable-warning=ExperimentalWarning',
    ];
    // The ledger in a process of its own, as `pnpm start` runs it: a balance refill (every
    // 10 s) must not wait on this process while it generates load.
    children.push(
      await startChild(
        join(apiRoot, '../../packages/local-ledger'),
        [...node, 'src/cli.ts', '--port', String(ledgerPort)],
        {},
        async () => (await rpc('getSlot').catch(() => undefined)) !== undefined,
      ),
    );
    children.push(
      await startChild(
        apiRoot,
        [...node, 'src/main.ts'],
        {
          DATABASE_URL: dbUrl,
          ...(process.env.REDIS_URL
            ? { REDIS_URL: process.env.REDIS_URL, REDIS_KEY_PREFIX: prefix }
            : {}),
          SOLANA_RPC_URL: ledgerUrl,
          ADMIN_TOKEN: adminToken,
          WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
          RATE_LIMIT_PER_MINUTE: '10000000',
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
          PORT: String(apiPort),
          HOST: '127.0.0.1',
        },
        async () =>
          (await fetch(`http://127.0.0.1:${apiPort}/health/live`).catch(() => null))?.ok === true,
      ),
    );
    children.push(
      await startChild(
        apiRoot,
        [...node, 'bench/access.bench.ts', BARE_FLAG, String(barePort)],
        {},
        null,
      ),
    );

    const api = `http://127.0.0.1:${apiPort}`;
    const send = async (method: string, path: string, token: string, body?: unknown) => {
      const r = await fetch(api + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
      return (await r.json().catch(() => ({}))) as Record<string, unknown>;
    };
    const owner = await send('POST', '/v1/owners', adminToken, { email: 'bench@example.com' });
    const ownerKey = owner.apiKey as string;
    const agent = await send('POST', '/v1/agents', ownerKey, { name: 'bench' });
    const agentKey = agent.apiKey as string;
    const wallet = (await send('POST', '/v1/wallets', ownerKey, {})).wallet as {
      id: string;
      address: string;
    };
    await send(
      'PUT',
      `/v1/wallets/${wallet.id}/agents/${(agent.agent as { id: string }).id}`,
      ownerKey,
    );
    await rpc('requestAirdrop', [address(wallet.address), 10_000_000_000]);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a few slots: confirmed

    const load = (path: string, token: string | null, options: Partial<autocannon.Options> = {}) =>
      autocannon({
        url: path.startsWith('http') ? path : api + path,
        connections,
        duration: seconds,
        ...(token === null ? {} : { headers: { authorization: `Bearer ${token}` } }),
        ...options,
      });

    console.log(
      `\nWAIaaS access benchmark: autocannon in the benchmark process, API and bare route in their own; ` +
        `${connections} connections, ${seconds} s per row, cache ${process.env.REDIS_URL ? 'Redis' : 'in-process'}`,
    );

    if (only !== 'flood') {
      // Warm every cache the reads touch (principal, wallet, balance), and the JIT.
      await load(`/v1/wallets/${wallet.id}/balance`, agentKey, { duration: 3 });
      await load(`/v1/wallets/${wallet.id}/balance`, ownerKey, { duration: 2 });
      const bare = `http://127.0.0.1:${barePort}/ping`;
      const rows: { measure: string; ceiling: autocannon.Result; result: autocannon.Result }[] = [];
      for (const [measure, path, token] of [
        ['GET /v1/wallets/:id/balance (agent, warm)', `/v1/wallets/${wallet.id}/balance`, agentKey],
        ['GET /v1/wallets/:id (agent, warm)', `/v1/wallets/${wallet.id}`, agentKey],
        ['GET /v1/wallets/:id/balance (owner, warm)', `/v1/wallets/${wallet.id}/balance`, ownerKey],
        ['GET /v1/wallets/:id (owner, warm)', `/v1/wallets/${wallet.id}`, ownerKey],
      ] as const) {
        const ceiling = await load(bare, null);
        rows.push({ measure, ceiling, result: await load(path, token) });
      }
      console.table(
        rows.map(({ measure, ceiling, result }) => ({
          measure,
          'req/s': Math.round(result.requests.average),
          'p50 ms': result.latency.p50,
          'p99 ms': result.latency.p99,
          non2xx: result.non2xx,
          'ceiling req/s': Math.round(ceiling.requests.average),
          'ceiling p99 ms': ceiling.latency.p99,
          'req/s vs ceiling': `${((result.requests.average / ceiling.requests.average) * 100).toFixed(0)} %`,
          'p99 vs ceiling': `${(result.latency.p99 / Math.max(ceiling.latency.p99, 1)).toFixed(1)}×`,
        })),
      );
    }

    if (only !== 'reads') {
      const victim = (): Promise<autocannon.Result> =>
        load(`/v1/wallets/${wallet.id}/balance`, agentKey, { connections: 1, overallRate: 100 });
      await victim(); // warm
      const alone = await victim();
      const flooder = spawn(
        process.execPath,
        [
          ...node,
          'bench/access.bench.ts',
          FLOOD_FLAG,
          `${api}/v1/wallets/${wallet.id}/balance`,
          String(seconds + 2),
        ],
        {
          cwd: apiRoot,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        },
      );
      children.push(flooder);
      const floodReport = new Promise<{
        requests: number;
        statusCodes: Record<string, { count: number }>;
      }>((resolve) => flooder.once('message', (m) => resolve(m as never)));
      await new Promise((resolve) => setTimeout(resolve, 1000)); // let the flood ramp up
      const flooded = await victim();
      const flood = await floodReport;
      const row = (label: string, r: autocannon.Result) => ({
        'well-behaved agent (1 connection, 100 req/s)': label,
        'req/s': Math.round(r.requests.average),
        'p50 ms': r.latency.p50,
        'p90 ms': r.latency.p90,
        'p99 ms': r.latency.p99,
        non2xx: r.non2xx,
      });
      console.log(
        '\nUnknown-key flood: 50 connections of random well-formed agent keys from another process',
      );
      console.table([row('alone', alone), row('during the flood', flooded)]);
      console.log(
        `flood: ${flood.requests} requests in ${seconds + 2} s, status codes ${JSON.stringify(
          Object.fromEntries(Object.entries(flood.statusCodes).map(([code, s]) => [code, s.count])),
        )}`,
      );
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((c) =>
        c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve(),
      ),
    );
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
}

/** Spawns `node args` in `cwd` and waits until `ready()` holds (or the child says 'ready'). */
async function startChild(
  cwd: string,
  args: string[],
  env: Record<string, string>,
  ready: (() => Promise<boolean>) | null,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    // The API's warn-level log lines (db_query_slow under load) would drown the table.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${args.at(-1)} exited (${String(code)})`))),
  );
  const up = ready
    ? (async () => {
        for (;;) {
          if (await ready()) return;
          await new Promise((r) => setTimeout(r, 200));
        }
      })()
    : new Promise<void>((resolve) => child.once('message', () => resolve()));
  await Promise.race([up, exited]);
  return child;
}
