// Approval notifications and expiry end to end: the API stores a transfer that waits for the
// owner (with its expiry) and its `transaction.awaiting_approval` event; the real confirmation
// worker delivers that event to the owner's webhook receiver, expires the request when its time
// is up (`transaction.expired`), and the budget it held is free at once. Approving it afterwards
// answers 409 APPROVAL_EXPIRED.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyWebhookSignature, type WebhookBody } from '@waiaas/confirmation-worker';
import {
  call,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  startHarness,
  startWorker,
  waitFor,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
const TTL_SECONDS = 3_600;

let h: Harness;
let owner: { id: string; key: string };
let agent: { id: string; key: string };
/** The API's clock; the worker's sweep runs on the real one. */
let now = new Date();
const received: { body: string; signature: string | undefined }[] = [];
let server: Server;
let hookUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: req.headers['waiaas-signature'] as string | undefined,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  h = await startHarness(
    { APPROVAL_TTL_SECONDS: String(TTL_SECONDS), WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
    { clock: () => now },
  );
  owner = await createOwner(h.app);
  agent = await createAgent(h.app, owner.key, 'treasury-bot');
});

afterAll(async () => {
  await h.close();
  await new Promise((resolve) => server.close(resolve));
});

function events(type: string): WebhookBody[] {
  return received.map((r) => JSON.parse(r.body) as WebhookBody).filter((e) => e.type === type);
}

function transfer(walletId: string, amount: string) {
  return call(h.app, 'POST', `/v1/wallets/${walletId}/transfers`, {
    token: agent.key,
    body: { to: RECIPIENT, amount, memo: 'invoice 42' },
    headers: { 'idempotency-key': randomUUID() },
  });
}

describe('approval notifications and expiry', () => {
  it('notifies the owner, expires the request, releases its budget, and refuses a late approval', async () => {
    const hook = await call(h.app, 'PUT', '/v1/webhook', {
      token: owner.key,
      body: { url: hookUrl },
    });
    expect(hook.status).toBe(200);
    const secret = String(hook.body.signingSecret);
    const wallet = await createWallet(h.app, owner.key);
    await grant(h.app, owner.key, wallet.id, agent.id);
    const policy = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: {
        perTxLimit: '1',
        dailyLimit: '1',
        requiresApproval: true,
        metadata: { approvalThreshold: '0.5' },
      },
    });
    expect(policy.status).toBe(200);

    // Asked for an hour and a second ago (the API's clock): its request expired a second ago.
    now = new Date(Date.now() - (TTL_SECONDS + 1) * 1000);
    const waiting = await transfer(wallet.id, '0.8');
    expect(waiting.status).toBe(201);
    const tx = waiting.body.transaction as Record<string, unknown>;
    expect(tx.status).toBe('AWAITING_APPROVAL');
    expect(tx.expiresAt).toBe(new Date(now.getTime() + TTL_SECONDS * 1000).toISOString());

    // It holds its 0.8 SOL (and fee) until the worker expires it: 0.3 more is refused.
    now = new Date();
    const refused = await transfer(wallet.id, '0.3');
    expectProblem(refused, 403, 'POLICY_DENIED');
    expect(refused.body.reasons).toEqual([
      expect.objectContaining({ code: 'DAILY_LIMIT_EXCEEDED' }),
    ]);

    const worker = await startWorker(h, {
      APPROVAL_EXPIRY_INTERVAL_MS: '100',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    });
    try {
      await waitFor(
        () => events('transaction.awaiting_approval').length === 1,
        'the awaiting_approval webhook',
      );
      await waitFor(() => events('transaction.expired').length === 1, 'the expired webhook');
    } finally {
      await worker.stop();
    }

    // What the owner needs to decide, signed with the endpoint's secret.
    const asked = events('transaction.awaiting_approval')[0]!;
    const raw = received.find((r) => (JSON.parse(r.body) as WebhookBody).id === asked.id)!;
    expect(() => verifyWebhookSignature(secret, raw.signature, raw.body)).not.toThrow();
    expect(asked.data).toEqual(
      expect.objectContaining({
        transactionId: tx.id,
        walletId: wallet.id,
        status: 'AWAITING_APPROVAL',
        amount: '800000000',
        decimals: 9,
        asset: null,
        destination: RECIPIENT,
        memo: 'invoice 42',
        networkFee: tx.networkFee,
        agentId: agent.id,
        agentName: 'treasury-bot',
        walletAddress: expect.any(String),
        reasons: [
          {
            code: 'APPROVAL_REQUIRED',
            asset: null,
            threshold: '500000000',
            requested: '800000000',
          },
        ],
      }),
    );
    expect(new Date(String(asked.data.expiresAt)).toISOString()).toBe(tx.expiresAt);
    expect(events('transaction.expired')[0]!.data).toEqual(
      expect.objectContaining({ transactionId: tx.id, status: 'EXPIRED', amount: '800000000' }),
    );

    const read = await call(h.app, 'GET', `/v1/transactions/${String(tx.id)}`, {
      token: agent.key,
    });
    expect(read.body.transaction).toEqual(
      expect.objectContaining({ status: 'EXPIRED', expiresAt: tx.expiresAt }),
    );
    const listed = await call(h.app, 'GET', '/v1/transactions?status=EXPIRED', {
      token: owner.key,
    });
    const expiredIds = (listed.body as { transactions: { id: string }[] }).transactions.map(
      (t) => t.id,
    );
    expect(expiredIds).toEqual([tx.id]);

    // The budget is free at once: the refused 0.3 SOL now goes through.
    const allowed = await transfer(wallet.id, '0.3');
    expect(allowed.status).toBe(201);
    expect(allowed.body.transaction.status).toBe('PENDING');

    // Too late to decide.
    for (const action of ['approve', 'reject']) {
      const late = await call(h.app, 'POST', `/v1/transactions/${String(tx.id)}/${action}`, {
        token: owner.key,
      });
      expectProblem(late, 409, 'APPROVAL_EXPIRED');
    }
    const row = await h.prisma.transaction.findUniqueOrThrow({ where: { id: String(tx.id) } });
    expect(row.status).toBe('EXPIRED');
    expect(row.signature).toBeNull();
  });

  it('refuses approval past the expiry even before the sweep has run', async () => {
    const wallet = await createWallet(h.app, owner.key);
    await grant(h.app, owner.key, wallet.id, agent.id);
    await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: { perTxLimit: '1', dailyLimit: '1', requiresApproval: true },
    });
    now = new Date('2026-11-23T10:00:00Z');
    const waiting = await transfer(wallet.id, '0.2');
    expect(waiting.body.transaction.expiresAt).toBe('2026-11-23T11:00:00.000Z');
    now = new Date('2026-11-23T11:00:00Z');
    const late = await call(
      h.app,
      'POST',
      `/v1/transactions/${String(waiting.body.transaction.id)}/approve`,
      { token: owner.key },
    );
    expectProblem(late, 409, 'APPROVAL_EXPIRED');
    now = new Date('2026-11-23T10:59:59.999Z');
    const inTime = await call(
      h.app,
      'POST',
      `/v1/transactions/${String(waiting.body.transaction.id)}/approve`,
      { token: owner.key },
    );
    expect(inTime.status).toBe(200);
    expect(inTime.body.transaction.status).toBe('PENDING');
    expect(inTime.body.transaction.decidedAt).toBe('2026-11-23T10:59:59.999Z');
  });
});
