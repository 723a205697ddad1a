// Scoped, expiring agent keys from the outside: create (secret once), list (never a secret or
// a hash), revoke; scopes on every route class; keys limited to some wallets; expiry judged
// against the clock on every request (cached or not) and revocation, both on another
// instance's next request; the agent's primary key keeps every scope; lastUsedAt throttled.
import { createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { address } from '@solana/kit';
import { AgentKeyUsage } from '../src/auth/agent-key-usage.js';
import {
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

let h: Harness;
/** A second instance on the same database and Redis prefix, with a clock the tests move. */
let b: NestFastifyApplication;
let clockOffsetMs = 0;
const clockOfB = (): Date => new Date(Date.now() + clockOffsetMs);

const DAY = 86_400_000;
const TO = '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin';
const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const inDays = (days: number): string => new Date(Date.now() + days * DAY).toISOString();

beforeAll(async () => {
  h = await startHarness();
  b = await startInstance(h, {}, { clock: clockOfB });
});

afterAll(async () => {
  await b.close();
  await h.close();
});

interface Tenant {
  owner: { id: string; key: string };
  agent: { id: string; key: string };
  wallet: { id: string; address: string };
}

/** An owner with an agent granted a funded wallet whose policy allows small transfers. */
async function tenant(): Promise<Tenant> {
  const owner = await createOwner(h.app);
  const agent = await createAgent(h.app, owner.key);
  const wallet = await fundedWallet(owner.key, agent.id);
  return { owner, agent, wallet };
}

async function fundedWallet(
  ownerKey: string,
  agentId: string,
): Promise<{ id: string; address: string }> {
  const wallet = await createWallet(h.app, ownerKey);
  await grant(h.app, ownerKey, wallet.id, agentId);
  const policy = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
    token: ownerKey,
    body: { perTxLimit: '1', dailyLimit: '5' },
  });
  expect(policy.status).toBe(200);
  await h.ledger.airdrop(address(wallet.address), 2_000_000_000n);
  h.ledger.advanceSlots(2);
  return wallet;
}

async function createKey(
  t: Tenant,
  body: Record<string, unknown>,
): Promise<{ id: string; key: string; body: CallResult['body'] }> {
  const r = await call(h.app, 'POST', `/v1/agents/${t.agent.id}/keys`, {
    token: t.owner.key,
    body: { name: 'k', expiresAt: inDays(30), ...body },
  });
  if (r.status !== 201) throw new Error(`createKey: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.key.id, key: r.body.apiKey, body: r.body };
}

const listKeys = (t: Tenant, app: NestFastifyApplication = h.app): Promise<CallResult> =>
  call(app, 'GET', `/v1/agents/${t.agent.id}/keys`, { token: t.owner.key });

/** One request of each route class an agent may call, on `walletId`. */
function routes(walletId: string, transactionId: string) {
  let n = 0;
  return {
    read: [
      ['GET', '/v1/wallets'],
      ['GET', `/v1/wallets/${walletId}`],
      ['GET', `/v1/wallets/${walletId}/balance`],
      ['GET', `/v1/wallets/${walletId}/policy`],
      ['GET', `/v1/wallets/${walletId}/transactions`],
      ['GET', `/v1/transactions/${transactionId}`],
    ] as const,
    evaluate: (token: string) =>
      call(h.app, 'POST', `/v1/wallets/${walletId}/transfers/evaluate`, {
        token,
        body: { to: TO, amount: '0.01' },
      }),
    transfer: (token: string) =>
      call(h.app, 'POST', `/v1/wallets/${walletId}/transfers`, {
        token,
        body: { to: TO, amount: '0.01' },
        headers: { 'idempotency-key': `scope-${Date.now()}-${(n += 1)}` },
      }),
  };
}

const transactionCount = (walletId: string): Promise<number> =>
  h.prisma.transaction.count({ where: { walletId } });

describe('create, list, revoke', () => {
  it('the secret is shown once; the list shows every key, the primary first, never a secret or hash', async () => {
    const t = await tenant();
    const created = await createKey(t, {
      name: 'reporting',
      scopes: ['read', 'evaluate'],
      walletIds: [t.wallet.id],
    });
    expect(created.body.apiKey).toMatch(/^waiaas_agent_/);
    expect(created.body.key).toMatchObject({
      agentId: t.agent.id,
      name: 'reporting',
      scopes: ['read', 'evaluate'],
      walletIds: [t.wallet.id],
      primary: false,
      status: 'ACTIVE',
      revokedAt: null,
      lastUsedAt: null,
    });

    const list = await listKeys(t);
    expect(list.status).toBe(200);
    expect(
      (list.body.keys as { name: string; primary: boolean }[]).map((k) => [k.name, k.primary]),
    ).toEqual([
      ['primary', true],
      ['reporting', false],
    ]);
    expect(list.body.keys[0]).toMatchObject({
      scopes: ['read', 'evaluate', 'transfer'],
      walletIds: null,
      expiresAt: null,
      status: 'ACTIVE',
    });
    const text = JSON.stringify(list.body);
    for (const secret of [created.key, t.agent.key])
      for (const leaked of [secret, sha256(secret)]) expect(text).not.toContain(leaked);
    for (const k of list.body.keys as Record<string, unknown>[])
      expect(Object.keys(k).sort()).toEqual(
        [
          'agentId',
          'createdAt',
          'dailyCap',
          'expiresAt',
          'id',
          'lastUsedAt',
          'name',
          'primary',
          'revokedAt',
          'scopes',
          'status',
          'walletIds',
        ].sort(),
      );

    const revoked = await call(h.app, 'DELETE', `/v1/agents/${t.agent.id}/keys/${created.id}`, {
      token: t.owner.key,
    });
    expect(revoked.status).toBe(204);
    const after = (await listKeys(t)).body.keys[1];
    expect(after.status).toBe('REVOKED');
    expect(typeof after.revokedAt).toBe('string');
    // Revoking again changes nothing.
    const again = await call(h.app, 'DELETE', `/v1/agents/${t.agent.id}/keys/${created.id}`, {
      token: t.owner.key,
    });
    expect(again.status).toBe(204);
    expect((await listKeys(t)).body.keys[1].revokedAt).toBe(after.revokedAt);
    expectProblem(
      await call(h.app, 'GET', `/v1/wallets/${t.wallet.id}`, { token: created.key }),
      401,
      'INVALID_API_KEY',
    );
  });

  it("another owner's agent is 404 on every key route, and nothing is written", async () => {
    const t = await tenant();
    const other = await tenant();
    const key = await createKey(t, { scopes: ['read'] });
    const before = await h.prisma.agentKey.count();
    for (const r of [
      await call(h.app, 'POST', `/v1/agents/${t.agent.id}/keys`, {
        token: other.owner.key,
        body: { name: 'x', scopes: ['read'], expiresAt: inDays(1) },
      }),
      await call(h.app, 'GET', `/v1/agents/${t.agent.id}/keys`, { token: other.owner.key }),
      await call(h.app, 'DELETE', `/v1/agents/${t.agent.id}/keys/${key.id}`, {
        token: other.owner.key,
      }),
      // The other owner's agent with this owner's key id: still 404.
      await call(h.app, 'DELETE', `/v1/agents/${other.agent.id}/keys/${key.id}`, {
        token: other.owner.key,
      }),
    ])
      expectProblem(r, 404, 'NOT_FOUND');
    expect(await h.prisma.agentKey.count()).toBe(before);
    expect((await listKeys(t)).body.keys[1].status).toBe('ACTIVE');
    // Agents may not manage keys at all.
    expectProblem(
      await listKeys({ ...t, owner: { ...t.owner, key: t.agent.key } }),
      403,
      'FORBIDDEN',
    );
  });

  it('refuses bad requests with a coded 400 and writes nothing; a revoked agent gets no key', async () => {
    const t = await tenant();
    const other = await tenant();
    const before = await h.prisma.agentKey.count();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'x', scopes: ['read'] }, 'expiresAt'],
      [
        { name: 'x', scopes: ['read'], expiresAt: new Date(Date.now() - 1000).toISOString() },
        'expiresAt',
      ],
      [{ name: 'x', scopes: ['read'], expiresAt: inDays(366) }, 'expiresAt'],
      [{ name: 'x', scopes: ['read'], expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ name: 'x', scopes: [], expiresAt: inDays(1) }, 'scopes'],
      [{ name: 'x', scopes: ['admin'], expiresAt: inDays(1) }, 'scopes'],
      [{ name: 'x', scopes: ['read', 'read'], expiresAt: inDays(1) }, 'scopes'],
      [{ name: 'x', scopes: ['read'], walletIds: [], expiresAt: inDays(1) }, 'walletIds'],
      [{ name: 'x', scopes: ['read'], walletIds: ['nope'], expiresAt: inDays(1) }, 'walletIds'],
      [
        { name: 'x', scopes: ['read'], walletIds: [other.wallet.id], expiresAt: inDays(1) },
        'walletIds',
      ],
      [{ name: '', scopes: ['read'], expiresAt: inDays(1) }, 'name'],
    ];
    for (const [body, field] of cases) {
      const r = await call(h.app, 'POST', `/v1/agents/${t.agent.id}/keys`, {
        token: t.owner.key,
        body,
      });
      expectProblem(r, 400, 'VALIDATION_FAILED');
      expect({
        body,
        paths: (r.body.errors as { path: string }[]).map((e) => e.path.split('.')[0]),
      }).toEqual({
        body,
        paths: expect.arrayContaining([field]),
      });
    }
    expect(await h.prisma.agentKey.count()).toBe(before);

    await call(h.app, 'PATCH', `/v1/agents/${t.agent.id}`, {
      token: t.owner.key,
      body: { status: 'REVOKED' },
    });
    expectProblem(
      await call(h.app, 'POST', `/v1/agents/${t.agent.id}/keys`, {
        token: t.owner.key,
        body: { name: 'x', scopes: ['read'], expiresAt: inDays(1) },
      }),
      409,
      'AGENT_REVOKED_FINAL',
    );
    expect(await h.prisma.agentKey.count()).toBe(before);
  });
});

describe('scopes and wallets', () => {
  it('each route class needs its scope: read, evaluate, transfer', async () => {
    const t = await tenant();
    const sent = await routes(t.wallet.id, '').transfer(t.agent.key);
    expect(sent.status).toBe(201);
    const r = routes(t.wallet.id, sent.body.transaction.id as string);
    const read = await createKey(t, { scopes: ['read'] });
    const evaluate = await createKey(t, { scopes: ['evaluate'] });
    const transfer = await createKey(t, { scopes: ['transfer'] });

    for (const [method, path] of r.read) {
      expect({
        path,
        status: (await call(h.app, method, path, { token: read.key })).status,
      }).toEqual({
        path,
        status: 200,
      });
      for (const token of [evaluate.key, transfer.key])
        expectProblem(await call(h.app, method, path, { token }), 403, 'AGENT_KEY_SCOPE');
    }

    expect((await r.evaluate(evaluate.key)).status).toBe(200);
    for (const token of [read.key, transfer.key])
      expectProblem(await r.evaluate(token), 403, 'AGENT_KEY_SCOPE');

    const count = await transactionCount(t.wallet.id);
    for (const token of [read.key, evaluate.key])
      expectProblem(await r.transfer(token), 403, 'AGENT_KEY_SCOPE');
    expect(await transactionCount(t.wallet.id)).toBe(count);
    expect((await r.transfer(transfer.key)).status).toBe(201);
    expect(await transactionCount(t.wallet.id)).toBe(count + 1);
  });

  it('a key limited to some wallets may not touch the agent’s other wallets', async () => {
    const t = await tenant();
    const second = await fundedWallet(t.owner.key, t.agent.id);
    const ungranted = await createWallet(h.app, t.owner.key);
    const limited = await createKey(t, {
      scopes: ['read', 'evaluate', 'transfer'],
      walletIds: [t.wallet.id, ungranted.id],
    });
    const sent = await routes(second.id, '').transfer(t.agent.key);
    expect(sent.status).toBe(201);
    const inside = routes(t.wallet.id, '');
    const outside = routes(second.id, sent.body.transaction.id as string);

    expect(
      (await call(h.app, 'GET', `/v1/wallets/${t.wallet.id}/balance`, { token: limited.key }))
        .status,
    ).toBe(200);
    expect((await inside.evaluate(limited.key)).status).toBe(200);
    expect((await inside.transfer(limited.key)).status).toBe(201);

    for (const [method, path] of outside.read.slice(1, 5))
      expectProblem(
        await call(h.app, method, path, { token: limited.key }),
        403,
        'AGENT_KEY_WALLET',
      );
    expectProblem(await outside.evaluate(limited.key), 403, 'AGENT_KEY_WALLET');
    const count = await transactionCount(second.id);
    expectProblem(await outside.transfer(limited.key), 403, 'AGENT_KEY_WALLET');
    expect(await transactionCount(second.id)).toBe(count);
    // A transaction of another wallet is not visible to the key.
    expectProblem(
      await call(h.app, 'GET', `/v1/transactions/${sent.body.transaction.id}`, {
        token: limited.key,
      }),
      404,
      'NOT_FOUND',
    );
    // The list shows only the key's wallets that are granted; the agent's own key sees both.
    const listed = await call(h.app, 'GET', '/v1/wallets', { token: limited.key });
    expect((listed.body.wallets as { id: string }[]).map((w) => w.id)).toEqual([t.wallet.id]);
    const all = await call(h.app, 'GET', '/v1/wallets', { token: t.agent.key });
    expect((all.body.wallets as { id: string }[]).map((w) => w.id).sort()).toEqual(
      [t.wallet.id, second.id].sort(),
    );
    // In the key's list but not granted to the agent: 404 as for any wallet it may not see.
    expectProblem(
      await call(h.app, 'GET', `/v1/wallets/${ungranted.id}`, { token: limited.key }),
      404,
      'NOT_FOUND',
    );
  });

  it("the agent's primary key keeps every scope, and rotate-key replaces it in the list", async () => {
    const t = await tenant();
    const r = routes(t.wallet.id, '');
    expect(
      (await call(h.app, 'GET', `/v1/wallets/${t.wallet.id}/balance`, { token: t.agent.key }))
        .status,
    ).toBe(200);
    expect((await r.evaluate(t.agent.key)).status).toBe(200);
    expect((await r.transfer(t.agent.key)).status).toBe(201);

    const rotated = await call(h.app, 'POST', `/v1/agents/${t.agent.id}/rotate-key`, {
      token: t.owner.key,
    });
    const fresh = rotated.body.apiKey as string;
    expectProblem(await r.evaluate(t.agent.key), 401, 'INVALID_API_KEY');
    expect((await r.evaluate(fresh)).status).toBe(200);
    expect((await r.transfer(fresh)).status).toBe(201);
    const keys = (await listKeys(t)).body.keys as { primary: boolean; status: string }[];
    expect(keys.map((k) => [k.primary, k.status])).toEqual([
      [true, 'REVOKED'],
      [true, 'ACTIVE'],
    ]);
  });
});

describe('expiry and revocation reach every instance on the next request', () => {
  it('an expired key is refused on the next request, judged by the clock even from the cache', async () => {
    const t = await tenant();
    const expiresAt = new Date(Date.now() + 10 * 60_000).toISOString();
    const key = await createKey(t, { scopes: ['read'], expiresAt });
    const path = `/v1/wallets/${t.wallet.id}/balance`;
    // Warm instance B's cache with the key while it is valid.
    expect((await call(b, 'GET', path, { token: key.key })).status).toBe(200);
    expect((await call(b, 'GET', path, { token: key.key })).status).toBe(200);

    clockOffsetMs = 10 * 60_000 + 1;
    try {
      const refused = await call(b, 'GET', path, { token: key.key });
      expectProblem(refused, 401, 'AGENT_KEY_EXPIRED');
      expect(refused.body.detail).toContain(expiresAt);
      // Instance A's clock has not reached the expiry: the key still works there.
      expect((await call(h.app, 'GET', path, { token: key.key })).status).toBe(200);
      // And B's list says EXPIRED.
      const listed = ((await listKeys(t, b)).body.keys as { id: string; status: string }[]).find(
        (k) => k.id === key.id,
      );
      expect(listed?.status).toBe('EXPIRED');
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('a revoked key is refused on the next request on the other instance', async () => {
    const t = await tenant();
    const key = await createKey(t, { scopes: ['read'] });
    const path = `/v1/wallets/${t.wallet.id}`;
    expect((await call(b, 'GET', path, { token: key.key })).status).toBe(200);
    expect((await call(h.app, 'GET', path, { token: key.key })).status).toBe(200);
    const revoked = await call(h.app, 'DELETE', `/v1/agents/${t.agent.id}/keys/${key.id}`, {
      token: t.owner.key,
    });
    expect(revoked.status).toBe(204);
    expectProblem(await call(b, 'GET', path, { token: key.key }), 401, 'INVALID_API_KEY');
    expectProblem(await call(h.app, 'GET', path, { token: key.key }), 401, 'INVALID_API_KEY');
    // The agent's other keys are untouched.
    expect((await call(b, 'GET', path, { token: t.agent.key })).status).toBe(200);
  });
});

describe('lastUsedAt', () => {
  it('is written once for a burst of requests, after them, and shown in the list', async () => {
    const t = await tenant();
    const key = await createKey(t, { scopes: ['read'] });
    const path = `/v1/wallets/${t.wallet.id}`;
    const usage = h.app.get(AgentKeyUsage);
    const before = Date.now();
    expect((await call(h.app, 'GET', path, { token: key.key })).status).toBe(200);
    await usage.idle();
    const first = await h.prisma.agentKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(first.lastUsedAt).not.toBeNull();
    expect(first.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    for (let i = 0; i < 5; i += 1)
      expect((await call(h.app, 'GET', path, { token: key.key })).status).toBe(200);
    await usage.idle();
    const later = await h.prisma.agentKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(later.lastUsedAt).toEqual(first.lastUsedAt);
    const listed = ((await listKeys(t)).body.keys as { id: string; lastUsedAt: string }[]).find(
      (k) => k.id === key.id,
    );
    expect(listed?.lastUsedAt).toBe(first.lastUsedAt?.toISOString());
  });
});
