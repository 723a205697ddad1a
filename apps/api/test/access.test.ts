// Access from the outside: cached reads that cost no SQL statement, changes that reach every
// instance on the very next request, one answer for every key that does not authenticate, the
// per-address limit on failed authentication, owner key rotation and revocation, no-store,
// and the rate limiter while Redis is down.
import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { address } from '@solana/kit';
import { type DisposableRedis, recordRedisCommands, startRedis } from '@waiaas/testing';
import bs58 from 'bs58';
import { type Logger, pino } from 'pino';
import {
  ADMIN_TOKEN,
  call,
  type CallResult,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  startHarness,
  startInstance,
} from './harness.js';
import { AgentKeyUsage } from '../src/auth/agent-key-usage.js';

let h: Harness;
/** A second instance on the same database and Redis prefix. */
let b: NestFastifyApplication;
const extra: NestFastifyApplication[] = [];

/**
 * A logger that counts the SQL statements of the app it is given to: with
 * DATABASE_SLOW_QUERY_MS=0 every query is logged as db_query_slow.
 */
function statementCounter(): {
  logger: Logger;
  counted: (request: () => Promise<CallResult>) => Promise<[number, CallResult]>;
} {
  let statements = 0;
  const logger = pino(
    { level: 'warn' },
    {
      write: (line: string) => {
        if (line.includes('"event":"db_query_slow"')) statements += 1;
      },
    },
  );
  return {
    logger,
    counted: async (request) => {
      const before = statements;
      const result = await request();
      return [statements - before, result];
    },
  };
}

/** SQL statements run by instance A (h.app) for a request, and its result. */
const sqlOfA = statementCounter();
const counted = sqlOfA.counted;

const randomKey = (kind: 'agent' | 'owner'): string =>
  `waiaas_${kind}_${bs58.encode(randomBytes(32))}`;

async function more(
  env: Record<string, string> = {},
  logger?: Logger,
): Promise<NestFastifyApplication> {
  const app = await startInstance(h, env, logger ? { logger } : {});
  extra.push(app);
  return app;
}

interface Tenant {
  owner: { id: string; key: string };
  agent: { id: string; key: string };
  wallet: { id: string; address: string };
}

async function tenant(app: NestFastifyApplication = h.app): Promise<Tenant> {
  const owner = await createOwner(app);
  const agent = await createAgent(app, owner.key);
  const wallet = await createWallet(app, owner.key, { fund: 0n });
  await grant(app, owner.key, wallet.id, agent.id);
  return { owner, agent, wallet };
}

const get = (app: NestFastifyApplication, path: string, token: string): Promise<CallResult> =>
  call(app, 'GET', path, { token });

beforeAll(async () => {
  h = await startHarness({ DATABASE_SLOW_QUERY_MS: '0' }, { logger: sqlOfA.logger });
  b = await more();
});

afterAll(async () => {
  for (const app of extra) await app.close();
  await h.close();
});

describe('cached reads never touch PostgreSQL', () => {
  it('the second GET balance and GET wallet run no SQL, for a granted agent and for the owner', async () => {
    const t = await tenant();
    await h.ledger.airdrop(address(t.wallet.address), 2_000_000_000n);
    h.ledger.advanceSlots(2);
    for (const [who, token] of [
      ['agent', t.agent.key],
      ['owner', t.owner.key],
    ] as const) {
      for (const path of [`/v1/wallets/${t.wallet.id}/balance`, `/v1/wallets/${t.wallet.id}`]) {
        const [first, r1] = await counted(async () => {
          const r = await get(h.app, path, token);
          await h.app.get(AgentKeyUsage).idle(); // an agent key's lastUsedAt, written after it
          return r;
        });
        const [second, r2] = await counted(() => get(h.app, path, token));
        expect({ who, path, status: [r1.status, r2.status] }).toEqual({
          who,
          path,
          status: [200, 200],
        });
        expect(r2.body).toEqual(r1.body);
        // The counter counts: a request that must read the database shows it.
        if (who === 'agent' && path.endsWith('/balance')) expect(first).toBeGreaterThan(0);
        expect({ who, path, second }).toEqual({ who, path, second: 0 });
      }
    }
    const read = await get(h.app, `/v1/wallets/${t.wallet.id}`, t.owner.key);
    expect(read.body.wallet.agentIds).toEqual([t.agent.id]);
    expect(
      (await get(h.app, `/v1/wallets/${t.wallet.id}/balance`, t.agent.key)).body.balance.sol,
    ).toBe('2');
  });

  it('a scoped key limited to the wallet: its second GET balance runs no SQL either (expiry judged by the clock, lastUsedAt written once, after the first)', async () => {
    const t = await tenant();
    const created = await call(h.app, 'POST', `/v1/agents/${t.agent.id}/keys`, {
      token: t.owner.key,
      body: {
        name: 'reader',
        scopes: ['read'],
        walletIds: [t.wallet.id],
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect(created.status).toBe(201);
    const key = created.body.apiKey as string;
    const usage = h.app.get(AgentKeyUsage);
    for (const path of [`/v1/wallets/${t.wallet.id}/balance`, `/v1/wallets/${t.wallet.id}`]) {
      const [first, r1] = await counted(async () => {
        const r = await get(h.app, path, key);
        await usage.idle(); // the lastUsedAt write, started after the first request
        return r;
      });
      const [second, r2] = await counted(() => get(h.app, path, key));
      expect([r1.status, r2.status]).toEqual([200, 200]);
      if (path.endsWith('/balance')) expect(first).toBeGreaterThan(0);
      expect({ path, second }).toEqual({ path, second: 0 });
    }
  });

  it("and a warm request costs one Redis command: the request's count and the owner's access generation, together (reads, a dry run, a transfer)", async () => {
    const t = await tenant();
    await h.ledger.airdrop(address(t.wallet.address), 2_000_000_000n);
    h.ledger.advanceSlots(2);
    const policy = await call(h.app, 'PUT', `/v1/wallets/${t.wallet.id}/policy`, {
      token: t.owner.key,
      body: { perTxLimit: '0.01', dailyLimit: '1' },
    });
    expect(policy.status).toBe(200);
    const transfer = { to: '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin', amount: '0.001' };
    const requests: [string, string, () => Promise<CallResult>][] = [];
    for (const [who, token] of [
      ['agent', t.agent.key],
      ['owner', t.owner.key],
    ] as const) {
      for (const path of [`/v1/wallets/${t.wallet.id}/balance`, `/v1/wallets/${t.wallet.id}`])
        requests.push([who, path, () => get(h.app, path, token)]);
    }
    const evaluate = `/v1/wallets/${t.wallet.id}/transfers/evaluate`;
    requests.push([
      'agent',
      evaluate,
      () => call(h.app, 'POST', evaluate, { token: t.agent.key, body: transfer }),
    ]);
    const transfers = `/v1/wallets/${t.wallet.id}/transfers`;
    requests.push([
      'agent',
      transfers,
      () =>
        call(h.app, 'POST', transfers, {
          token: t.agent.key,
          body: transfer,
          headers: { 'idempotency-key': randomBytes(8).toString('hex') },
        }),
    ]);
    const recorder = await recordRedisCommands(h.redis.url, h.redis.prefix, ['::instances']);
    try {
      for (const [who, path, request] of requests) {
        // Warm: the first read fills Redis, the second keeps a balance in process too.
        for (let i = 0; i < 2; i++) await request();
        await h.app.get(AgentKeyUsage).idle();
        const commands = await recorder.during(async () => {
          const r = await request();
          expect({ path, status: r.status, body: r.status < 300 ? null : r.body }).toEqual({
            path,
            status: path.endsWith('/transfers') ? 201 : 200,
            body: null,
          });
        });
        expect({ who, path, commands }).toEqual({
          who,
          path,
          commands: [
            [
              'evalsha',
              expect.any(String),
              '2',
              expect.stringMatching(`^${h.redis.prefix}ratelimit:[0-9a-f]{32}$`),
              `${h.redis.prefix}access:${t.owner.id}`,
              '1',
              '60',
            ],
          ],
        });
      }
    } finally {
      await recorder.close();
    }
  });

  it('another owner and an ungranted agent still get 404 from the cached wallet', async () => {
    const t = await tenant();
    const other = await tenant();
    const ungranted = await createAgent(h.app, t.owner.key, 'ungranted');
    await get(h.app, `/v1/wallets/${t.wallet.id}`, t.agent.key); // cache the wallet
    for (const token of [other.owner.key, other.agent.key, ungranted.key]) {
      expectProblem(await get(h.app, `/v1/wallets/${t.wallet.id}`, token), 404, 'NOT_FOUND');
      expectProblem(
        await get(h.app, `/v1/wallets/${t.wallet.id}/balance`, token),
        404,
        'NOT_FOUND',
      );
    }
    expect((await get(h.app, `/v1/wallets/${t.wallet.id}`, t.owner.key)).status).toBe(200);
  });
});

describe('changes reach every instance on the very next request', () => {
  it('a revoked grant is refused on the other instance; a new grant is seen there at once', async () => {
    const t = await tenant();
    const paths = [`/v1/wallets/${t.wallet.id}`, `/v1/wallets/${t.wallet.id}/balance`];
    for (const path of paths) {
      expect((await get(b, path, t.agent.key)).status).toBe(200);
      expect((await get(b, path, t.agent.key)).status).toBe(200); // cached on B
    }
    const revoked = await call(h.app, 'DELETE', `/v1/wallets/${t.wallet.id}/agents/${t.agent.id}`, {
      token: t.owner.key,
    });
    expect(revoked.status).toBe(204);
    for (const path of paths) expectProblem(await get(b, path, t.agent.key), 404, 'NOT_FOUND');
    expect((await get(b, `/v1/wallets/${t.wallet.id}`, t.owner.key)).body.wallet.agentIds).toEqual(
      [],
    );
    await grant(h.app, t.owner.key, t.wallet.id, t.agent.id);
    for (const path of paths) expect((await get(b, path, t.agent.key)).status).toBe(200);
  });

  it('a suspended agent is refused on the other instance, and a reactivated one served', async () => {
    const t = await tenant();
    expect((await get(b, `/v1/wallets/${t.wallet.id}/balance`, t.agent.key)).status).toBe(200);
    await call(h.app, 'PATCH', `/v1/agents/${t.agent.id}`, {
      token: t.owner.key,
      body: { status: 'SUSPENDED' },
    });
    expectProblem(
      await get(b, `/v1/wallets/${t.wallet.id}/balance`, t.agent.key),
      403,
      'AGENT_SUSPENDED',
    );
    await call(h.app, 'PATCH', `/v1/agents/${t.agent.id}`, {
      token: t.owner.key,
      body: { status: 'ACTIVE' },
    });
    expect((await get(b, `/v1/wallets/${t.wallet.id}/balance`, t.agent.key)).status).toBe(200);
  });

  it('a rotated agent key dies at once on both instances; the new one works on both', async () => {
    const t = await tenant();
    for (const app of [h.app, b])
      expect((await get(app, '/v1/wallets', t.agent.key)).status).toBe(200);
    const rotated = await call(h.app, 'POST', `/v1/agents/${t.agent.id}/rotate-key`, {
      token: t.owner.key,
    });
    for (const app of [h.app, b]) {
      expectProblem(await get(app, '/v1/wallets', t.agent.key), 401, 'INVALID_API_KEY');
      expect((await get(app, '/v1/wallets', rotated.body.apiKey as string)).status).toBe(200);
    }
  });

  it('without Redis (one instance, in-process cache) the same changes apply at once', async () => {
    const solo = await more({ REDIS_URL: '' });
    const t = await tenant(solo);
    const path = `/v1/wallets/${t.wallet.id}/balance`;
    expect((await get(solo, path, t.agent.key)).status).toBe(200);
    expect((await get(solo, path, t.agent.key)).status).toBe(200);
    await call(solo, 'DELETE', `/v1/wallets/${t.wallet.id}/agents/${t.agent.id}`, {
      token: t.owner.key,
    });
    expectProblem(await get(solo, path, t.agent.key), 404, 'NOT_FOUND');
    await grant(solo, t.owner.key, t.wallet.id, t.agent.id);
    expect((await get(solo, path, t.agent.key)).status).toBe(200);
    await call(solo, 'PATCH', `/v1/agents/${t.agent.id}`, {
      token: t.owner.key,
      body: { status: 'SUSPENDED' },
    });
    expectProblem(await get(solo, path, t.agent.key), 403, 'AGENT_SUSPENDED');
    const rotated = await call(solo, 'POST', `/v1/owners/me/rotate-key`, { token: t.owner.key });
    expectProblem(await get(solo, '/v1/wallets', t.owner.key), 401, 'INVALID_API_KEY');
    expect((await get(solo, '/v1/wallets', rotated.body.apiKey as string)).status).toBe(200);
  });
});

describe('one answer for every key that does not authenticate', () => {
  it('unknown, revoked, rotated-away keys and keys of a revoked owner: same 401, same body, one lookup each', async () => {
    const t = await tenant();
    const revokedAgent = await createAgent(h.app, t.owner.key, 'revoked');
    const rotatedAgent = await createAgent(h.app, t.owner.key, 'rotated');
    const doomed = await tenant();
    const rotatingOwner = await createOwner(h.app);
    // Every key is used once while good, so whatever can be cached about it is.
    for (const key of [
      revokedAgent.key,
      rotatedAgent.key,
      doomed.owner.key,
      doomed.agent.key,
      rotatingOwner.key,
    ])
      expect((await get(h.app, '/v1/wallets', key)).status).toBe(200);
    await call(h.app, 'PATCH', `/v1/agents/${revokedAgent.id}`, {
      token: t.owner.key,
      body: { status: 'REVOKED' },
    });
    await call(h.app, 'POST', `/v1/agents/${rotatedAgent.id}/rotate-key`, { token: t.owner.key });
    await call(h.app, 'POST', '/v1/owners/me/rotate-key', { token: rotatingOwner.key });
    await call(h.app, 'PATCH', `/v1/owners/${doomed.owner.id}`, {
      token: ADMIN_TOKEN,
      body: { status: 'REVOKED' },
    });

    const dead = {
      'unknown agent key': randomKey('agent'),
      'unknown owner key': randomKey('owner'),
      'revoked agent': revokedAgent.key,
      'rotated-away agent key': rotatedAgent.key,
      'rotated-away owner key': rotatingOwner.key,
      'revoked owner': doomed.owner.key,
      'agent of a revoked owner': doomed.agent.key,
    };
    const seen: Record<string, unknown> = {};
    for (const [name, key] of Object.entries(dead)) {
      for (let i = 0; i < 2; i++) {
        const [sql, r] = await counted(() => get(h.app, '/v1/wallets', key));
        expectProblem(r, 401, 'INVALID_API_KEY');
        const { requestId: _id, ...rest } = r.body as Record<string, unknown>;
        seen[name] = { sql, body: rest, authenticate: r.headers['www-authenticate'] ?? null };
      }
    }
    const expected = {
      sql: 1,
      body: {
        type: 'https://waiaas.dev/problems/invalid-api-key',
        title: 'The API key is not valid',
        status: 401,
        code: 'INVALID_API_KEY',
        detail: 'The API key is not valid',
        instance: '/v1/wallets',
      },
      authenticate: null,
    };
    expect(seen).toEqual(Object.fromEntries(Object.keys(dead).map((name) => [name, expected])));
  });
});

describe('failed authentication is limited per client address', () => {
  it('honours TRUST_PROXY: past the limit an address gets 429 without a lookup; others and known keys pass', async () => {
    const sqlOfC = statementCounter();
    const c = await more(
      { AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: 'true', DATABASE_SLOW_QUERY_MS: '0' },
      sqlOfC.logger,
    );
    const t = await tenant();
    expect((await get(h.app, '/v1/wallets', t.agent.key)).status).toBe(200); // known (in Redis)
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const attacker = `203.0.113.${1 + (randomBytes(1)[0]! % 250)}`;
    for (let i = 0; i < 3; i++) {
      const r = await call(c, 'GET', '/v1/wallets', {
        token: randomKey('agent'),
        headers: from(attacker),
      });
      expectProblem(r, 401, 'INVALID_API_KEY');
    }
    const [sql, refused] = await sqlOfC.counted(() =>
      call(c, 'GET', '/v1/wallets', { token: randomKey('agent'), headers: from(attacker) }),
    );
    expectProblem(refused, 429, 'RATE_LIMITED');
    expect(sql).toBe(0);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Any other token that is not already known is refused the same way from there.
    expectProblem(
      await call(c, 'GET', '/v1/wallets', { token: 'not-a-key', headers: from(attacker) }),
      429,
      'RATE_LIMITED',
    );
    // Another address is not affected, and a key the cache already knows (here from another
    // instance) still works from the attacker's address.
    expectProblem(
      await call(c, 'GET', '/v1/wallets', {
        token: randomKey('agent'),
        headers: from('198.51.100.9'),
      }),
      401,
      'INVALID_API_KEY',
    );
    expect(
      (await call(c, 'GET', '/v1/wallets', { token: t.agent.key, headers: from(attacker) })).status,
    ).toBe(200);
  });

  it('without TRUST_PROXY a forwarded address is ignored: the socket address is limited', async () => {
    // Its own Redis prefix: 127.0.0.1 has failures on record from the other tests.
    const d = await more({
      AUTH_FAILURES_PER_MINUTE: '2',
      REDIS_KEY_PREFIX: `${h.redis.prefix}socket:`,
    });
    for (const ip of ['192.0.2.1', '192.0.2.2'])
      expectProblem(
        await call(d, 'GET', '/v1/wallets', {
          token: randomKey('owner'),
          headers: { 'x-forwarded-for': ip },
        }),
        401,
        'INVALID_API_KEY',
      );
    expectProblem(
      await call(d, 'GET', '/v1/wallets', {
        token: randomKey('owner'),
        headers: { 'x-forwarded-for': '192.0.2.3' },
      }),
      429,
      'RATE_LIMITED',
    );
  });
});

describe('owner keys', () => {
  it('rotate-key: the old key dies at once on both instances, the new one works on both', async () => {
    const t = await tenant();
    for (const app of [h.app, b])
      expect((await get(app, '/v1/wallets', t.owner.key)).status).toBe(200);
    const r = await call(b, 'POST', '/v1/owners/me/rotate-key', { token: t.owner.key });
    expect(r.status).toBe(200);
    expect(r.body.owner).toEqual(expect.objectContaining({ id: t.owner.id, status: 'ACTIVE' }));
    expect(r.body.apiKey).toMatch(/^waiaas_owner_/);
    for (const app of [h.app, b]) {
      expectProblem(await get(app, '/v1/wallets', t.owner.key), 401, 'INVALID_API_KEY');
      expect((await get(app, `/v1/wallets/${t.wallet.id}`, r.body.apiKey as string)).status).toBe(
        200,
      );
    }
    expectProblem(
      await call(h.app, 'POST', '/v1/owners/me/rotate-key', { token: t.agent.key }),
      403,
      'FORBIDDEN',
    );
    expect(
      await h.prisma.event.count({ where: { ownerId: t.owner.id, type: 'owner.key_rotated' } }),
    ).toBe(1);
  });

  it("the operator revokes an owner: its key and its agents' keys are refused at once on both instances", async () => {
    const t = await tenant();
    for (const app of [h.app, b]) {
      expect((await get(app, `/v1/wallets/${t.wallet.id}`, t.owner.key)).status).toBe(200);
      expect((await get(app, `/v1/wallets/${t.wallet.id}/balance`, t.agent.key)).status).toBe(200);
    }
    expectProblem(
      await call(h.app, 'PATCH', `/v1/owners/${t.owner.id}`, {
        token: t.owner.key,
        body: { status: 'REVOKED' },
      }),
      403,
      'FORBIDDEN',
    );
    const r = await call(h.app, 'PATCH', `/v1/owners/${t.owner.id}`, {
      token: ADMIN_TOKEN,
      body: { status: 'REVOKED' },
    });
    expect(r.status).toBe(200);
    expect(r.body.owner).toEqual(expect.objectContaining({ id: t.owner.id, status: 'REVOKED' }));
    for (const app of [h.app, b]) {
      expectProblem(
        await get(app, `/v1/wallets/${t.wallet.id}`, t.owner.key),
        401,
        'INVALID_API_KEY',
      );
      expectProblem(
        await get(app, `/v1/wallets/${t.wallet.id}/balance`, t.agent.key),
        401,
        'INVALID_API_KEY',
      );
    }
    // Final, idempotent, and validated.
    expect(
      (
        await call(b, 'PATCH', `/v1/owners/${t.owner.id}`, {
          token: ADMIN_TOKEN,
          body: { status: 'REVOKED' },
        })
      ).status,
    ).toBe(200);
    expectProblem(
      await call(b, 'PATCH', `/v1/owners/${t.owner.id}`, {
        token: ADMIN_TOKEN,
        body: { status: 'ACTIVE' },
      }),
      409,
      'OWNER_REVOKED_FINAL',
    );
    expectProblem(
      await call(b, 'PATCH', `/v1/owners/${t.owner.id}`, {
        token: ADMIN_TOKEN,
        body: { status: 'DELETED' },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await call(b, 'PATCH', `/v1/owners/00000000-0000-4000-8000-000000000000`, {
        token: ADMIN_TOKEN,
        body: { status: 'REVOKED' },
      }),
      404,
      'NOT_FOUND',
    );
    expect(
      await h.prisma.event.count({ where: { ownerId: t.owner.id, type: 'owner.revoked' } }),
    ).toBe(1);
  });
});

describe('responses that carry a secret are never stored', () => {
  it('no-store on every response with apiKey or signingSecret, and on every authenticated one', async () => {
    const created = await call(h.app, 'POST', '/v1/owners', {
      token: ADMIN_TOKEN,
      body: { email: `${randomBytes(4).toString('hex')}@example.com` },
    });
    const ownerKey = created.body.apiKey as string;
    const agent = await call(h.app, 'POST', '/v1/agents', { token: ownerKey, body: { name: 'a' } });
    const secrets = [
      created,
      agent,
      await call(h.app, 'POST', `/v1/agents/${agent.body.agent.id}/rotate-key`, {
        token: ownerKey,
      }),
      await call(h.app, 'PUT', '/v1/webhook', {
        token: ownerKey,
        body: { url: 'https://example.com/hook' },
      }),
    ];
    const rotated = await call(h.app, 'POST', '/v1/owners/me/rotate-key', { token: ownerKey });
    secrets.push(rotated);
    expect(
      secrets.map((r): [number, unknown] => [
        r.status,
        r.body.apiKey ?? r.body.signingSecret !== undefined,
      ]),
    ).toEqual([
      [201, created.body.apiKey],
      [201, agent.body.apiKey],
      [200, secrets[2]!.body.apiKey],
      [200, true],
      [200, rotated.body.apiKey],
    ]);
    const others = [
      await get(h.app, '/v1/wallets', rotated.body.apiKey as string),
      await get(h.app, '/v1/wallets', ownerKey), // 401 now
      await call(h.app, 'GET', '/v1/wallets'), // 401, no key
    ];
    for (const r of [...secrets, ...others]) expect(r.headers['cache-control']).toBe('no-store');
  });
});

describe('rate limits with Redis down', () => {
  let redis: DisposableRedis;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis.dispose();
  });

  it('err on the strict side: the window goes on from what Redis had counted', async () => {
    const app = await more({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'outage:',
      RATE_LIMIT_PER_MINUTE: '5',
    });
    const owner = await createOwner(h.app);
    for (let i = 0; i < 3; i++) expect((await get(app, '/v1/wallets', owner.key)).status).toBe(200);
    await redis.kill();
    // Wait (bounded) until the app has noticed; a guard, not a timing assertion.
    const deadline = Date.now() + 10_000;
    while ((await call(app, 'GET', '/health/ready')).body.checks.redis.ok !== false) {
      if (Date.now() > deadline) throw new Error('the app never noticed Redis was gone');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get(app, '/v1/wallets', owner.key)).status);
    // 5 a minute, 3 used before Redis went away: 2 more, then 429 until the window ends.
    expect(statuses).toEqual([200, 200, 429, 429, 429, 429]);
  });
});
