// Several app instances against one database and Redis prefix (cache invalidation must reach
// every instance), rate limits, readiness, fail-fast start-up, metrics, the OpenAPI document,
// balance caching and the generic 500.
import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { address } from '@solana/kit';
import type { KeyCustody } from '@waiaas/solana-signer';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createApp } from '../src/app.factory.js';
import { ConfigError, loadConfig } from '../src/config/app-config.js';
import {
  call,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  listen,
  startHarness,
  startInstance,
  waitFor,
} from './harness.js';

let h: Harness;
const extra: NestFastifyApplication[] = [];

/** Another instance of the API on the same database and Redis prefix as `h`. */
async function instance(
  env: Record<string, string> = {},
  custody?: KeyCustody,
): Promise<NestFastifyApplication> {
  const app = await startInstance(h, env, custody ? { custody } : {});
  extra.push(app);
  return app;
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  for (const app of extra) await app.close();
  await h.close();
});

describe('several instances', () => {
  it('suspend, revoke and rotate on one instance are refused on the next request to another', async () => {
    const b = await instance();
    const owner = await createOwner(h.app);
    const wallet = await createWallet(h.app, owner.key);
    const agents = await Promise.all(['s', 'r', 'k'].map((n) => createAgent(h.app, owner.key, n)));
    for (const a of agents) await grant(h.app, owner.key, wallet.id, a.id);
    const [suspended, revoked, rotated] = agents as [
      { id: string; key: string },
      { id: string; key: string },
      { id: string; key: string },
    ];
    // Warm instance B's cache for each agent.
    for (const a of agents)
      expect((await call(b, 'GET', `/v1/wallets/${wallet.id}`, { token: a.key })).status).toBe(200);

    await call(h.app, 'PATCH', `/v1/agents/${suspended.id}`, {
      token: owner.key,
      body: { status: 'SUSPENDED' },
    });
    await call(h.app, 'PATCH', `/v1/agents/${revoked.id}`, {
      token: owner.key,
      body: { status: 'REVOKED' },
    });
    const rotatedKey = (
      await call(h.app, 'POST', `/v1/agents/${rotated.id}/rotate-key`, { token: owner.key })
    ).body.apiKey as string;

    expectProblem(
      await call(b, 'GET', `/v1/wallets/${wallet.id}`, { token: suspended.key }),
      403,
      'AGENT_SUSPENDED',
    );
    expectProblem(
      await call(b, 'GET', `/v1/wallets/${wallet.id}`, { token: revoked.key }),
      401,
      'INVALID_API_KEY',
    );
    expectProblem(
      await call(b, 'GET', `/v1/wallets/${wallet.id}`, { token: rotated.key }),
      401,
      'INVALID_API_KEY',
    );
    expect((await call(b, 'GET', `/v1/wallets/${wallet.id}`, { token: rotatedKey })).status).toBe(
      200,
    );

    // Reactivation works too; a revoked agent stays revoked.
    await call(h.app, 'PATCH', `/v1/agents/${suspended.id}`, {
      token: owner.key,
      body: { status: 'ACTIVE' },
    });
    expect(
      (await call(b, 'GET', `/v1/wallets/${wallet.id}`, { token: suspended.key })).status,
    ).toBe(200);
    expectProblem(
      await call(h.app, 'PATCH', `/v1/agents/${revoked.id}`, {
        token: owner.key,
        body: { status: 'ACTIVE' },
      }),
      409,
      'AGENT_REVOKED_FINAL',
    );
    expectProblem(
      await call(h.app, 'POST', `/v1/agents/${revoked.id}/rotate-key`, { token: owner.key }),
      409,
      'AGENT_REVOKED_FINAL',
    );
  });

  it('a policy written on one instance is what every instance reads next', async () => {
    const b = extra[0]!;
    const owner = await createOwner(h.app);
    const wallet = await createWallet(h.app, owner.key);
    await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: { perTxLimit: '1', dailyLimit: '2' },
    });
    expect(
      (await call(b, 'GET', `/v1/wallets/${wallet.id}/policy`, { token: owner.key })).body.policy
        .version,
    ).toBe(1);
    await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: { perTxLimit: '3', dailyLimit: '4' },
    });
    const read = await call(b, 'GET', `/v1/wallets/${wallet.id}/policy`, { token: owner.key });
    expect(read.body.policy).toEqual(
      expect.objectContaining({ version: 2, perTxLimit: '3', dailyLimit: '4' }),
    );
    expect(await h.prisma.walletPolicyVersion.count({ where: { walletId: wallet.id } })).toBe(2);
    expect(
      await h.prisma.event.count({ where: { walletId: wallet.id, type: 'policy.updated' } }),
    ).toBe(2);
  });
});

describe('connection pool', () => {
  it('more concurrent transfers on distinct wallets than pool connections all complete', async () => {
    const small = await instance({
      DATABASE_POOL_SIZE: '3',
      DATABASE_CONNECTION_TIMEOUT_MS: '3000',
    });
    const owner = await createOwner(small);
    const agent = await createAgent(small, owner.key);
    const wallets: string[] = [];
    for (let i = 0; i < 8; i++) {
      const w = await createWallet(small, owner.key);
      await grant(small, owner.key, w.id, agent.id);
      await call(small, 'PUT', `/v1/wallets/${w.id}/policy`, {
        token: owner.key,
        body: { perTxLimit: '1', dailyLimit: '10' },
      });
      wallets.push(w.id);
    }
    const results = await Promise.all(
      wallets.map((id) =>
        call(small, 'POST', `/v1/wallets/${id}/transfers`, {
          token: agent.key,
          body: { to: 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS', amount: '0.1' },
          headers: { 'idempotency-key': `pool-${id}` },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(wallets.map(() => 201));
  });
});

describe('rate limiting', () => {
  it('sends RateLimit-* on every response and 429 with Retry-After past the limit', async () => {
    const limited = await instance({ RATE_LIMIT_PER_MINUTE: '3' });
    const owner = await createOwner(h.app);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(limited, 'GET', '/v1/wallets', { token: owner.key });
      expect(r.status).toBe(200);
      expect(r.headers['ratelimit-limit']).toBe('3');
      seen.push(String(r.headers['ratelimit-remaining']));
    }
    expect(seen).toEqual(['2', '1', '0']);
    const over = await call(limited, 'GET', '/v1/wallets', { token: owner.key });
    expectProblem(over, 429, 'RATE_LIMITED');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.headers['ratelimit-remaining']).toBe('0');
    // Per key: another key is not affected.
    const other = await createOwner(h.app);
    expect((await call(limited, 'GET', '/v1/wallets', { token: other.key })).status).toBe(200);
  });
});

describe('health and start-up', () => {
  it('readiness reports each dependency and answers 503 when one fails', async () => {
    const ok = await call(h.app, 'GET', '/health/ready');
    expect(ok.status).toBe(200);
    expect(ok.body.checks).toEqual({
      database: expect.objectContaining({ ok: true }),
      redis: expect.objectContaining({ ok: true, backend: 'redis' }),
      rpc: expect.objectContaining({ ok: true }),
    });
    const noRpc = await instance({ SOLANA_RPC_URL: 'http://127.0.0.1:9' });
    const bad = await call(noRpc, 'GET', '/health/ready');
    expect(bad.status).toBe(503);
    expect(bad.body.status).toBe('unavailable');
    expect(bad.body.checks.rpc.ok).toBe(false);
    expect(bad.body.checks.database.ok).toBe(true);
    expect((await call(noRpc, 'GET', '/health/live')).status).toBe(200);
  });

  it('fails fast, naming the variable, when PostgreSQL or Redis is unreachable', async () => {
    const base = {
      SOLANA_RPC_URL: h.ledger.url,
      ADMIN_TOKEN: h.config.auth.adminToken,
      WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
      NODE_ENV: 'test',
    };
    const noDb = loadConfig({
      ...base,
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none',
      DATABASE_CONNECTION_TIMEOUT_MS: '500',
    });
    await expect(createApp(noDb, { logger: pino({ level: 'silent' }) })).rejects.toMatchObject({
      name: 'ConfigError',
      variable: 'DATABASE_URL',
    });
    const noRedis = loadConfig({
      ...base,
      DATABASE_URL: h.db.url,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    await expect(createApp(noRedis, { logger: pino({ level: 'silent' }) })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});

describe('observability and documentation', () => {
  it('exposes latency by route, cache hits/misses and policy decisions', async () => {
    const owner = await createOwner(h.app);
    const wallet = await createWallet(h.app, owner.key);
    const agent = await createAgent(h.app, owner.key);
    await grant(h.app, owner.key, wallet.id, agent.id);
    await call(h.app, 'GET', `/v1/wallets/${wallet.id}`, { token: agent.key });
    await call(h.app, 'GET', `/v1/wallets/${wallet.id}`, { token: agent.key });
    // No policy: denied (to another address: a transfer to itself is refused before any decision).
    await call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers/evaluate`, {
      token: agent.key,
      body: { to: 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS', amount: '1' },
    });
    const r = await call(h.app, 'GET', '/metrics');
    expect(r.status).toBe(200);
    const text = r.body as string;
    expect(text).toMatch(
      /waiaas_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/wallets\/:id"[^}]*\}/,
    );
    expect(text).toMatch(/waiaas_cache_events_total\{keyspace="agent",result="hit"\} [1-9]/);
    expect(text).toMatch(/waiaas_cache_events_total\{keyspace="agent",result="miss"\} [1-9]/);
    expect(text).toMatch(/waiaas_policy_decisions_total\{outcome="DENY",source="evaluate"\} [1-9]/);
  });

  it('documents every endpoint with its error responses', async () => {
    const r = await call(h.app, 'GET', '/docs/json');
    expect(r.status).toBe(200);
    const paths = r.body.paths as Record<
      string,
      Record<string, { responses: Record<string, unknown> }>
    >;
    const expected: [string, string][] = [
      ['/v1/owners', 'post'],
      ['/v1/owners/{id}', 'patch'],
      ['/v1/owners/me/rotate-key', 'post'],
      ['/v1/agents', 'post'],
      ['/v1/agents/{id}', 'patch'],
      ['/v1/agents/{id}/rotate-key', 'post'],
      ['/v1/wallets', 'post'],
      ['/v1/wallets', 'get'],
      ['/v1/wallets/{id}', 'get'],
      ['/v1/wallets/{id}/agents/{agentId}', 'put'],
      ['/v1/wallets/{id}/agents/{agentId}', 'delete'],
      ['/v1/wallets/{id}/policy', 'put'],
      ['/v1/wallets/{id}/policy', 'get'],
      ['/v1/wallets/{id}/balance', 'get'],
      ['/v1/wallets/{id}/transfers', 'post'],
      ['/v1/wallets/{id}/transfers/evaluate', 'post'],
      ['/v1/transactions/{id}', 'get'],
      ['/v1/wallets/{id}/transactions', 'get'],
      ['/v1/transactions/{id}/approve', 'post'],
      ['/v1/transactions/{id}/reject', 'post'],
      ['/v1/webhook', 'put'],
      ['/v1/webhook', 'get'],
      ['/health/live', 'get'],
      ['/health/ready', 'get'],
      ['/metrics', 'get'],
      ['/v1/admin/db/health', 'get'],
    ];
    for (const [path, method] of expected) {
      const op = paths[path]?.[method];
      expect({ path, method, documented: op !== undefined }).toEqual({
        path,
        method,
        documented: true,
      });
      if (path.startsWith('/v1/'))
        expect({ path, method, has401: '401' in op!.responses }).toEqual({
          path,
          method,
          has401: true,
        });
    }
    expect(Object.keys(paths['/v1/wallets/{id}/transfers']!.post!.responses).sort()).toEqual(
      expect.arrayContaining([
        '201',
        '400',
        '401',
        '403',
        '404',
        '409',
        '422',
        '429',
        '502',
        '503',
      ]),
    );
    expect((await call(h.app, 'GET', '/docs')).status).toBe(200);
  });
});

describe('balances', () => {
  it('reads SOL from the chain and caches it 10 s under balance:{address}', async () => {
    const owner = await createOwner(h.app);
    const wallet = await createWallet(h.app, owner.key, { fund: 0n });
    await h.ledger.airdrop(address(wallet.address), 1_500_000_000n);
    h.ledger.advanceSlots(2);
    const first = await call(h.app, 'GET', `/v1/wallets/${wallet.id}/balance`, {
      token: owner.key,
    });
    expect(first.body.balance).toEqual(
      expect.objectContaining({
        address: wallet.address,
        lamports: '1500000000',
        sol: '1.5',
        tokens: [],
      }),
    );
    await h.ledger.airdrop(address(wallet.address), 1_000_000_000n);
    h.ledger.advanceSlots(2);
    const cached = await call(h.app, 'GET', `/v1/wallets/${wallet.id}/balance`, {
      token: owner.key,
    });
    expect(cached.body.balance.sol).toBe('1.5');
    const redis = new Redis(h.redis.url);
    try {
      const ttl = await redis.pttl(`${h.redis.prefix}balance:${wallet.address}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10_000);
    } finally {
      redis.disconnect();
    }
  });
  it('refreshes a balance read in its last 2 s in the background: the poll never waits for the chain', async () => {
    const owner = await createOwner(h.app);
    const wallet = await createWallet(h.app, owner.key, { fund: 0n });
    await h.ledger.airdrop(address(wallet.address), 1_500_000_000n);
    h.ledger.advanceSlots(2);
    const sol = async (): Promise<string> =>
      (await call(h.app, 'GET', `/v1/wallets/${wallet.id}/balance`, { token: owner.key })).body
        .balance.sol as string;
    const balanceEvents = async (result: string): Promise<number> => {
      const text = (await call(h.app, 'GET', '/metrics')).body as string;
      const line = new RegExp(
        `waiaas_cache_events_total\\{keyspace="balance",result="${result}"\\} (\\d+)`,
      );
      return Number(line.exec(text)?.[1] ?? 0);
    };
    const fetchesBefore = await balanceEvents('fetch');
    expect(await sol()).toBe('1.5'); // read from the chain: one fetch
    await h.ledger.airdrop(address(wallet.address), 1_000_000_000n);
    h.ledger.advanceSlots(2);
    // As if 9 of its 10 s had passed: inside the last 2 s, past any key's refresh point.
    const redis = new Redis(h.redis.url);
    try {
      await redis.pexpire(`${h.redis.prefix}balance:${wallet.address}`, 950);
    } finally {
      redis.disconnect();
    }
    const refreshesBefore = await balanceEvents('refresh');
    expect(await sol()).toBe('1.5'); // answered from the cache; the refresh starts behind it
    await waitFor(async () => (await sol()) === '2.5', 'the refreshed balance');
    expect(await balanceEvents('refresh')).toBe(refreshesBefore + 1);
    // The new figure came from the refresh, not from a reader's miss.
    expect(await balanceEvents('fetch')).toBe(fetchesBefore + 1);
  });
});

describe('logs', () => {
  it('never contain API keys, the admin token or signing secrets', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const config = loadConfig({
      DATABASE_URL: h.db.url,
      REDIS_URL: h.redis.url,
      REDIS_KEY_PREFIX: h.redis.prefix,
      SOLANA_RPC_URL: h.ledger.url,
      ADMIN_TOKEN: h.config.auth.adminToken,
      WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
      // Every query counts as slow here, so the slow-query log is checked for secrets too.
      DATABASE_SLOW_QUERY_MS: '1',
      NODE_ENV: 'test',
    });
    const app = await createApp(config, { logger });
    extra.push(app);
    await listen(app);
    const owner = await createOwner(app);
    const agent = await createAgent(app, owner.key);
    const hook = await call(app, 'PUT', '/v1/webhook', {
      token: owner.key,
      body: { url: 'https://example.com/h' },
    });
    await call(app, 'GET', '/v1/wallets', {
      token: agent.key,
      headers: { 'x-request-id': 'log-check' },
    });
    await call(app, 'GET', '/v1/wallets', { token: 'waiaas_agent_bogus' });
    const text = lines.join('\n');
    expect(text).toContain('log-check');
    expect(text).toContain('"event":"db_query_slow"');
    for (const secret of [
      owner.key,
      agent.key,
      h.config.auth.adminToken,
      hook.body.signingSecret as string,
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/waiaas_(owner|agent)_[1-9A-HJ-NP-Za-km-z]{20,}/);
  });
});

describe('unexpected errors', () => {
  it('answer 500 with a correlation id and no internals', async () => {
    const broken: KeyCustody = {
      kind: 'LOCAL',
      createWallet: () => Promise.reject(new TypeError('secret internal detail at /srv/app.js:12')),
      signMessage: () => Promise.reject(new TypeError('unused')),
    };
    // At the production level: per-request loggers are made only when they write, and the
    // line they write carries the request id.
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const app = await startInstance(h, {}, { custody: broken, logger });
    extra.push(app);
    const owner = await createOwner(h.app);
    await call(app, 'GET', '/v1/wallets', { token: owner.key });
    expect(lines).toEqual([]);
    const r = await call(app, 'POST', '/v1/wallets', {
      token: owner.key,
      body: {},
      headers: { 'x-request-id': 'corr-500' },
    });
    expectProblem(r, 500, 'INTERNAL');
    expect(r.body.requestId).toBe('corr-500');
    expect(JSON.stringify(r.body)).not.toMatch(/secret internal|app\.js|TypeError|stack/);
    const logged = lines.map((l) => JSON.parse(l) as { level: number; reqId?: string });
    expect(logged).toContainEqual(expect.objectContaining({ level: 50, reqId: 'corr-500' }));
  });
});
