// The read endpoints the owner console is built on: a wallet's spend against its daily limits
// and per day, the owner-wide transaction list (the approvals inbox), recent webhook
// deliveries, and the cluster/explorer settings. Owner-only, scoped to the owner's own data.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';

let h: Harness;

const ids = (r: CallResult): string[] =>
  (r.body as { transactions: { id: string }[] }).transactions.map((t) => t.id);

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

async function fundedWallet(ownerKey: string, policy: Record<string, unknown>) {
  const wallet = await createWallet(h.app, ownerKey);
  const agent = await createAgent(h.app, ownerKey);
  await grant(h.app, ownerKey, wallet.id, agent.id);
  const r = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
    token: ownerKey,
    body: policy,
  });
  expect(r.status).toBe(200);
  await h.ledger.airdrop(wallet.address as never, 5_000_000_000n);
  return { wallet, agent };
}

async function transfer(walletId: string, agentKey: string, amount: string) {
  const r = await call(h.app, 'POST', `/v1/wallets/${walletId}/transfers`, {
    token: agentKey,
    body: { to: RECIPIENT, amount },
    headers: { 'idempotency-key': randomBytes(8).toString('hex') },
  });
  expect(r.status).toBe(201);
  return r.body.transaction as { id: string; status: string };
}

describe('GET /v1/wallets/:id/spend', () => {
  it("reports what counts against the daily limit in the policy's window, and per UTC day", async () => {
    const owner = await createOwner(h.app);
    const { wallet, agent } = await fundedWallet(owner.key, {
      perTxLimit: '1',
      dailyLimit: '3',
      requiresApproval: true,
      metadata: { approvalThreshold: '0.5' },
    });
    await transfer(wallet.id, agent.key, '0.1');
    const awaiting = await transfer(wallet.id, agent.key, '0.75');
    expect(awaiting.status).toBe('AWAITING_APPROVAL');
    const rejected = await transfer(wallet.id, agent.key, '0.6');
    expect(
      (await call(h.app, 'POST', `/v1/transactions/${rejected.id}/reject`, { token: owner.key }))
        .status,
    ).toBe(200);

    const r = await call(h.app, 'GET', `/v1/wallets/${wallet.id}/spend`, { token: owner.key });
    expect(r.status).toBe(200);
    const spend = r.body.spend;
    expect(spend).toMatchObject({ walletId: wallet.id, window: 'ROLLING_24H', hasPolicy: true });
    expect(Date.parse(String(spend.asOf)) - Date.parse(String(spend.windowStart))).toBe(86_400_000);
    // The rejected transfer no longer counts; the one awaiting approval does, each with its
    // 5,000-lamport network fee (as the policy counts them).
    expect(spend.assets).toEqual([
      {
        asset: null,
        decimals: 9,
        spent: '0.85001',
        spentBaseUnits: '850010000',
        count: 2,
        dailyLimit: '3',
      },
    ]);
    expect(spend.days).toHaveLength(7);
    const today = new Date().toISOString().slice(0, 10);
    expect(spend.days[6]).toEqual({
      day: today,
      assets: [expect.objectContaining({ asset: null, spent: '0.85001', count: 2 })],
    });
    expect(spend.days[0].assets[0]).toMatchObject({ spent: '0', count: 0 });

    const three = await call(h.app, 'GET', `/v1/wallets/${wallet.id}/spend?days=3`, {
      token: owner.key,
    });
    expect(three.body.spend.days).toHaveLength(3);
  });

  it('shows per-token limits from the policy and an unlimited, empty report without a policy', async () => {
    const owner = await createOwner(h.app);
    const mint = 'So11111111111111111111111111111111111111112';
    const limited = await createWallet(h.app, owner.key);
    expect(
      (
        await call(h.app, 'PUT', `/v1/wallets/${limited.id}/policy`, {
          token: owner.key,
          body: {
            perTxLimit: '1',
            dailyLimit: '2',
            allowedAssets: [mint],
            metadata: { tokenLimits: { [mint]: { daily: '50', decimals: 9 } } },
          },
        })
      ).status,
    ).toBe(200);
    const r = await call(h.app, 'GET', `/v1/wallets/${limited.id}/spend`, { token: owner.key });
    expect(r.body.spend.assets).toEqual([
      expect.objectContaining({ asset: null, spent: '0', dailyLimit: '2' }),
      expect.objectContaining({ asset: mint, spent: '0', decimals: 9, dailyLimit: '50' }),
    ]);

    const bare = await createWallet(h.app, owner.key);
    const none = await call(h.app, 'GET', `/v1/wallets/${bare.id}/spend`, { token: owner.key });
    expect(none.body.spend).toMatchObject({ hasPolicy: false, window: 'ROLLING_24H' });
    expect(none.body.spend.assets).toEqual([expect.objectContaining({ dailyLimit: null })]);
  });

  it("is the owner's only: others get 404, agents 403, bad input 400", async () => {
    const owner = await createOwner(h.app);
    const other = await createOwner(h.app);
    const { wallet, agent } = await fundedWallet(owner.key, { perTxLimit: '1', dailyLimit: '1' });
    expectProblem(
      await call(h.app, 'GET', `/v1/wallets/${wallet.id}/spend`, { token: other.key }),
      404,
      'NOT_FOUND',
    );
    expectProblem(
      await call(h.app, 'GET', `/v1/wallets/${wallet.id}/spend`, { token: agent.key }),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await call(h.app, 'GET', `/v1/wallets/${wallet.id}/spend?days=40`, { token: owner.key }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('GET /v1/transactions', () => {
  it("lists the owner's transactions across wallets, by status, newest first, with a cursor", async () => {
    const owner = await createOwner(h.app);
    const other = await createOwner(h.app);
    const approval = { perTxLimit: '1', dailyLimit: '5', requiresApproval: true };
    const a = await fundedWallet(owner.key, approval);
    const b = await fundedWallet(owner.key, approval);
    const foreign = await fundedWallet(other.key, approval);
    const first = await transfer(a.wallet.id, a.agent.key, '0.1');
    const second = await transfer(b.wallet.id, b.agent.key, '0.2');
    const third = await transfer(a.wallet.id, a.agent.key, '0.3');
    await transfer(foreign.wallet.id, foreign.agent.key, '0.4');
    await call(h.app, 'POST', `/v1/transactions/${second.id}/reject`, { token: owner.key });

    const awaiting = await call(h.app, 'GET', '/v1/transactions?status=AWAITING_APPROVAL', {
      token: owner.key,
    });
    expect(awaiting.status).toBe(200);
    expect(ids(awaiting)).toEqual([third.id, first.id]);
    expect(awaiting.body.transactions[0]).toMatchObject({
      walletId: a.wallet.id,
      agentId: a.agent.id,
      amount: '0.3',
      destination: RECIPIENT,
      policy: {
        outcome: 'REQUIRE_APPROVAL',
        reasons: [expect.objectContaining({ code: 'APPROVAL_REQUIRED' })],
      },
    });

    const page1 = await call(h.app, 'GET', '/v1/transactions?limit=2', { token: owner.key });
    expect(ids(page1)).toEqual([third.id, second.id]);
    const page2 = await call(
      h.app,
      'GET',
      `/v1/transactions?limit=2&cursor=${page1.body.nextCursor as string}`,
      { token: owner.key },
    );
    expect(page2.body).toEqual({
      transactions: [expect.objectContaining({ id: first.id })],
      nextCursor: null,
    });

    expectProblem(
      await call(h.app, 'GET', '/v1/transactions', { token: a.agent.key }),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await call(h.app, 'GET', '/v1/transactions?status=LOST', { token: owner.key }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('GET /v1/webhook/deliveries', () => {
  it("lists the owner's recent deliveries, newest first, with their event and status", async () => {
    const owner = await createOwner(h.app);
    const other = await createOwner(h.app);
    const none = await call(h.app, 'GET', '/v1/webhook/deliveries', { token: owner.key });
    expect(none.body).toEqual({ webhook: null, deliveries: [] });
    for (const key of [owner.key, other.key]) {
      const r = await call(h.app, 'PUT', '/v1/webhook', {
        token: key,
        body: { url: 'https://hooks.example.com/hook' },
      });
      expect(r.status).toBe(200);
    }
    // Deliveries are written by the confirmation worker as transactions move; here the rows
    // are made directly, as the worker would.
    const endpoints = await h.prisma.webhookEndpoint.findMany({
      where: { ownerId: { in: [owner.id, other.id] } },
    });
    const mine = endpoints.find((e) => e.ownerId === owner.id);
    const theirs = endpoints.find((e) => e.ownerId === other.id);
    const event = (type: string, ownerId: string) =>
      h.prisma.event.create({ data: { type, actorType: 'SYSTEM', ownerId } });
    const e1 = await event('transaction.submitted', owner.id);
    const e2 = await event('transaction.confirmed', owner.id);
    const e3 = await event('transaction.confirmed', other.id);
    await h.prisma.webhookDelivery.create({
      data: {
        endpointId: mine!.id,
        eventId: e1.id,
        status: 'DELIVERED',
        attempts: 1,
        lastStatusCode: 200,
        deliveredAt: new Date(),
        createdAt: new Date(Date.now() - 1000),
      },
    });
    await h.prisma.webhookDelivery.create({
      data: {
        endpointId: mine!.id,
        eventId: e2.id,
        status: 'PENDING',
        attempts: 2,
        lastStatusCode: 500,
        lastError: 'HTTP 500',
      },
    });
    await h.prisma.webhookDelivery.create({ data: { endpointId: theirs!.id, eventId: e3.id } });

    const r = await call(h.app, 'GET', '/v1/webhook/deliveries', { token: owner.key });
    expect(r.status).toBe(200);
    expect(r.body.webhook).toMatchObject({ id: mine!.id, url: 'https://hooks.example.com/hook' });
    expect(r.body.webhook).not.toHaveProperty('signingSecret');
    expect(r.body.deliveries).toEqual([
      expect.objectContaining({
        eventId: e2.id.toString(),
        eventType: 'transaction.confirmed',
        status: 'PENDING',
        attempts: 2,
        lastStatusCode: 500,
        lastError: 'HTTP 500',
        deliveredAt: null,
      }),
      expect.objectContaining({
        eventId: e1.id.toString(),
        eventType: 'transaction.submitted',
        status: 'DELIVERED',
        lastStatusCode: 200,
      }),
    ]);
    const one = await call(h.app, 'GET', '/v1/webhook/deliveries?limit=1', { token: owner.key });
    expect(one.body.deliveries).toHaveLength(1);
    expectProblem(
      await call(h.app, 'GET', '/v1/webhook/deliveries?limit=0', { token: owner.key }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('GET /v1/console/settings', () => {
  it('tells the cluster and the explorer link for signatures', async () => {
    const owner = await createOwner(h.app);
    const r = await call(h.app, 'GET', '/v1/console/settings', { token: owner.key });
    expect(r.status).toBe(200);
    expect(r.body.settings).toEqual({
      cluster: 'localnet',
      explorerTxUrl: `https://explorer.solana.com/tx/{signature}?cluster=custom&customUrl=${encodeURIComponent(h.ledger.url)}`,
      sessionTtlMinutes: 480,
    });
    expectProblem(await call(h.app, 'GET', '/v1/console/settings'), 401, 'UNAUTHENTICATED');
  });
});
