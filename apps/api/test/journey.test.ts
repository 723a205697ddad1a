import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { address } from '@solana/kit';
import pg from 'pg';
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

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('the agent journey', () => {
  it('owner → agent → wallet → grant → policy → transfer → status', async () => {
    const owner = await createOwner(h.app);
    const agent = await createAgent(h.app, owner.key);
    const wallet = await createWallet(h.app, owner.key, { fund: 0n });
    await grant(h.app, owner.key, wallet.id, agent.id);
    await h.ledger.airdrop(address(wallet.address), 5_000_000_000n);
    h.ledger.advanceSlots(1);

    const policy = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: { perTxLimit: '1', dailyLimit: '2' },
    });
    expect(policy.status).toBe(200);
    expect(policy.body.policy).toEqual(
      expect.objectContaining({ version: 1, perTxLimit: '1', dailyLimit: '2' }),
    );

    const balance = await call(h.app, 'GET', `/v1/wallets/${wallet.id}/balance`, {
      token: agent.key,
    });
    expect(balance.status).toBe(200);
    expect(balance.body.balance.sol).toBe('5');

    // The confirmation worker LISTENs on waiaas_tx_pending; a stored PENDING transfer wakes it.
    const listener = new pg.Client({ connectionString: h.db.url });
    await listener.connect();
    const woken = new Promise<string>((resolve) =>
      listener.on('notification', (n) => resolve(n.payload ?? '')),
    );
    await listener.query('LISTEN waiaas_tx_pending');
    const t = await call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers`, {
      token: agent.key,
      body: { to: RECIPIENT, amount: '0.25', memo: 'hello' },
      headers: { 'idempotency-key': 'k1' },
    });
    expect(t.status).toBe(201);
    try {
      expect(await woken).toBe(t.body.transaction.id);
    } finally {
      await listener.end();
    }
    expect(t.body.transaction).toEqual(
      expect.objectContaining({ status: 'PENDING', amount: '0.25', amountBaseUnits: '250000000' }),
    );
    expect(t.body.transaction.signature).toMatch(/^[1-9A-HJ-NP-Za-km-z]{64,88}$/);

    const again = await call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers`, {
      token: agent.key,
      body: { to: RECIPIENT, amount: '0.25', memo: 'hello' },
      headers: { 'idempotency-key': 'k1' },
    });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(t.body);

    const denied = await call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers`, {
      token: agent.key,
      body: { to: RECIPIENT, amount: '1.5' },
      headers: { 'idempotency-key': 'k2' },
    });
    expectProblem(denied, 403, 'POLICY_DENIED');
    expect((denied.body.reasons as { code: string }[]).map((r) => r.code)).toContain(
      'PER_TX_LIMIT_EXCEEDED',
    );

    const read = await call(h.app, 'GET', `/v1/transactions/${t.body.transaction.id}`, {
      token: owner.key,
    });
    expect(read.body.transaction.id).toBe(t.body.transaction.id);
    const list = await call(h.app, 'GET', `/v1/wallets/${wallet.id}/transactions?status=PENDING`, {
      token: agent.key,
    });
    expect(list.body.transactions).toHaveLength(1);
  });
});
