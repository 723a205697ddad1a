// Per-key daily caps end to end: a key with a cap is refused above it (AGENT_KEY_CAP_EXCEEDED
// with the figures) while the wallet's policy would allow the transfer, a key without one is
// bound only by the wallet, the cap counts every wallet the key uses, and a parallel burst on
// two wallets through one capped key never overspends the cap (the key's row is locked with
// the wallet in the reservation).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  call,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  startHarness,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
const SOL = 1_000_000_000n;

let h: Harness;
let owner: { id: string; key: string };
let agent: { id: string; key: string };

beforeAll(async () => {
  h = await startHarness({ DATABASE_POOL_SIZE: '30' });
  owner = await createOwner(h.app);
  agent = await createAgent(h.app, owner.key);
});

afterAll(async () => {
  await h.close();
});

const inDays = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString();

async function wallet(policy = { perTxLimit: '5', dailyLimit: '10' }): Promise<string> {
  const w = await createWallet(h.app, owner.key);
  await grant(h.app, owner.key, w.id, agent.id);
  const put = await call(h.app, 'PUT', `/v1/wallets/${w.id}/policy`, {
    token: owner.key,
    body: policy,
  });
  expect(put.status).toBe(200);
  return w.id;
}

async function key(dailyCap?: string): Promise<{ id: string; key: string; dto: unknown }> {
  const r = await call(h.app, 'POST', `/v1/agents/${agent.id}/keys`, {
    token: owner.key,
    body: {
      name: 'capped',
      scopes: ['read', 'evaluate', 'transfer'],
      expiresAt: inDays(30),
      ...(dailyCap === undefined ? {} : { dailyCap }),
    },
  });
  if (r.status !== 201) throw new Error(`key: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.key.id, key: r.body.apiKey, dto: r.body.key };
}

function transfer(token: string, walletId: string, amount: string) {
  return call(h.app, 'POST', `/v1/wallets/${walletId}/transfers`, {
    token,
    body: { to: RECIPIENT, amount },
    headers: { 'idempotency-key': randomUUID() },
  });
}

/** Amount + fee of every counting transfer made with key `keyId`, recomputed from the rows. */
async function spentByKey(keyId: string): Promise<bigint> {
  const rows = await h.prisma.transaction.findMany({
    where: { agentKeyId: keyId, status: { notIn: ['FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED'] } },
  });
  return rows.reduce(
    (sum, r) =>
      sum + (r.asset === null ? BigInt(r.amount.toFixed(0)) : 0n) + BigInt(r.networkFee.toFixed(0)),
    0n,
  );
}

describe('per-key daily caps', () => {
  it('denies above the cap while the wallet would allow; a key without cap is bound by the wallet only', async () => {
    const walletId = await wallet();
    const capped = await key('1');
    expect(capped.dto).toEqual(expect.objectContaining({ dailyCap: '1' }));
    const list = await call(h.app, 'GET', `/v1/agents/${agent.id}/keys`, { token: owner.key });
    const caps = Object.fromEntries(
      (list.body.keys as { id: string; dailyCap: string | null }[]).map((k) => [k.id, k.dailyCap]),
    );
    expect(caps[capped.id]).toBe('1');
    expect(Object.values(caps).filter((c) => c === null).length).toBeGreaterThanOrEqual(1);

    const first = await transfer(capped.key, walletId, '0.6');
    expect(first.status).toBe(201);
    expect(first.body.transaction.agentKeyId).toBe(capped.id);

    // The dry run already tells; the transfer is refused with the figures.
    const dry = await call(h.app, 'POST', `/v1/wallets/${walletId}/transfers/evaluate`, {
      token: capped.key,
      body: { to: RECIPIENT, amount: '0.6' },
    });
    expect(dry.body.decision.outcome).toBe('DENY');
    const denied = await transfer(capped.key, walletId, '0.6');
    expectProblem(denied, 403, 'POLICY_DENIED');
    const fee = String(first.body.transaction.networkFee);
    expect(denied.body.reasons).toEqual([
      expect.objectContaining({
        code: 'AGENT_KEY_CAP_EXCEEDED',
        limit: '1000000000',
        spent: (600_000_000n + BigInt(fee)).toString(),
        requested: '600000000',
        fee,
        remaining: (400_000_000n - BigInt(fee)).toString(),
        message: expect.stringContaining("agent key's daily cap of 1 SOL"),
      }),
    ]);
    // What is left of the cap still passes.
    expect((await transfer(capped.key, walletId, '0.3')).status).toBe(201);

    // The agent's primary key has no cap: only the wallet's policy binds it.
    for (let i = 0; i < 2; i++) expect((await transfer(agent.key, walletId, '4')).status).toBe(201);
    const overWallet = await transfer(agent.key, walletId, '2');
    expectProblem(overWallet, 403, 'POLICY_DENIED');
    expect((overWallet.body.reasons as { code: string }[]).map((r) => r.code)).toEqual([
      'DAILY_LIMIT_EXCEEDED',
    ]);

    // A cap never lifts the wallet's limits: a generous cap is still bound by them.
    const generous = await key('100');
    const walletBound = await transfer(generous.key, walletId, '2');
    expect((walletBound.body.reasons as { code: string }[]).map((r) => r.code)).toEqual([
      'DAILY_LIMIT_EXCEEDED',
    ]);
  });

  it('refuses a malformed cap with a 400 and writes nothing', async () => {
    const before = await h.prisma.agentKey.count();
    for (const dailyCap of ['-1', 'abc', '1e3', '0.0000000001', '']) {
      const r = await call(h.app, 'POST', `/v1/agents/${agent.id}/keys`, {
        token: owner.key,
        body: { name: 'bad', scopes: ['transfer'], expiresAt: inDays(1), dailyCap },
      });
      expectProblem(r, 400, 'VALIDATION_FAILED');
    }
    expect(await h.prisma.agentKey.count()).toBe(before);
  });

  it('a parallel burst through one capped key on two wallets never overspends the cap', async () => {
    const wallets = [await wallet(), await wallet()];
    const capped = await key('1');
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => transfer(capped.key, wallets[i % 2]!, '0.1')),
    );
    for (const r of results) expect([201, 403]).toContain(r.status);
    const allowed = results.filter((r) => r.status === 201);
    const fee = BigInt(String(allowed[0]!.body.transaction.networkFee));
    // Exactly as many as fit: 9 × (0.1 SOL + fee) ≤ 1 SOL < 10 × (0.1 SOL + fee).
    const fit = SOL / (100_000_000n + fee);
    expect(BigInt(allowed.length)).toBe(fit);
    for (const r of results.filter((x) => x.status === 403))
      expect((r.body.reasons as { code: string }[]).map((x) => x.code)).toEqual([
        'AGENT_KEY_CAP_EXCEEDED',
      ]);
    const spent = await spentByKey(capped.id);
    expect(spent).toBeLessThanOrEqual(SOL);
    expect(spent).toBe(fit * (100_000_000n + fee));
    // Both wallets were used.
    const byWallet = new Set(allowed.map((r) => String(r.body.transaction.walletId)));
    expect(byWallet.size).toBe(2);
  });
});
