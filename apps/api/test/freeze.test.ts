// The kill switch end to end, over HTTP with the real confirmation worker and the local ledger:
// a freeze during a burst of transfers (after it returns, nothing more of that owner is ever
// broadcast: counted on the ledger), a second API instance refusing on its very next request,
// waiting and unsent transfers cancelled while a submitted one is followed to its end, no
// rebroadcast of a frozen scope's dropped transfer, unfreeze reviving nothing, the audit log
// and the owner's webhook, and who may freeze what.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { address } from '@solana/kit';
import {
  ConfirmationWorker,
  loadConfig as loadWorkerConfig,
  type WebhookBody,
} from '@waiaas/confirmation-worker';
import { pino } from 'pino';
import {
  ADMIN_TOKEN,
  call,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  startHarness,
  startInstance,
  waitFor,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
/** Shared by both API instances, so either can sign for the wallets. */
const MASTER_KEY = randomBytes(32).toString('hex');

let h: Harness;
let server: Server;
let hookUrl: string;
const received: WebhookBody[] = [];
let worker: ConfirmationWorker | null = null;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookBody);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  h = await startHarness({
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
    DATABASE_POOL_SIZE: '40',
    WALLET_MASTER_KEY: MASTER_KEY,
  });
});

afterEach(async () => {
  await worker?.stop();
  worker = null;
  h.ledger.setFaults({});
  // Every test starts with the service unfrozen.
  await call(h.app, 'POST', '/v1/admin/unfreeze', { token: ADMIN_TOKEN });
});

afterAll(async () => {
  await h.close();
  await new Promise((resolve) => server.close(resolve));
});

async function startWorker(): Promise<ConfirmationWorker> {
  worker = await ConfirmationWorker.create({
    config: loadWorkerConfig(
      {
        DATABASE_URL: h.db.url,
        SOLANA_RPC_URL: h.ledger.url,
        POLL_INTERVAL_MS: '20',
        CONFIRM_INTERVAL_MS: '20',
        REBROADCAST_INTERVAL_MS: '50',
        BATCH_SIZE: '8',
        CONFIRM_BATCH_SIZE: '8',
        METRICS_PORT: '0',
        METRICS_HOST: '127.0.0.1',
        DATABASE_POOL_SIZE: '6',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        WEBHOOK_BACKOFF_BASE_MS: '10',
        LOG_LEVEL: 'silent',
      },
      'freeze-test',
    ),
    logger: pino({ level: 'silent' }),
    defaultMetrics: false,
  });
  await worker.start();
  return worker;
}

interface Setup {
  owner: { id: string; key: string };
  agent: { id: string; key: string };
  wallet: { id: string; address: string };
}

/** An owner with a webhook, an agent and a funded wallet granted to it under `policy`. */
async function setup(
  policy: Record<string, unknown> = { perTxLimit: '1', dailyLimit: '100' },
): Promise<Setup> {
  const owner = await createOwner(h.app);
  const hook = await call(h.app, 'PUT', '/v1/webhook', {
    token: owner.key,
    body: { url: hookUrl },
  });
  expect(hook.status).toBe(200);
  const agent = await createAgent(h.app, owner.key);
  const wallet = await createWallet(h.app, owner.key);
  await grant(h.app, owner.key, wallet.id, agent.id);
  const set = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
    token: owner.key,
    body: policy,
  });
  expect(set.status).toBe(200);
  await h.ledger.airdrop(address(wallet.address), 10_000_000_000n);
  return { owner, agent, wallet };
}

function transfer(
  s: Setup,
  amount = '0.01',
  app: NestFastifyApplication = h.app,
  walletId = s.wallet.id,
) {
  return call(app, 'POST', `/v1/wallets/${walletId}/transfers`, {
    token: s.agent.key,
    body: { to: RECIPIENT, amount },
    headers: { 'idempotency-key': randomUUID() },
  });
}

async function statuses(walletId: string) {
  return h.prisma.transaction.findMany({
    where: { walletId },
    select: { id: true, status: true, signature: true, submitAttempts: true },
  });
}

describe('freeze during a burst', () => {
  it('after the freeze returns, no further transfer of the owner is ever broadcast', async () => {
    const s = await setup();
    await startWorker();
    // The ledger's clock moves only when told: a landed transfer confirms on the next slot.
    const slots = setInterval(() => h.ledger.advanceSlots(1), 20);
    try {
      const burst = Array.from({ length: 30 }, () => transfer(s));
      // Freeze once the burst is under way: some transfers are stored and being sent.
      await waitFor(
        async () => (await h.prisma.transaction.count({ where: { walletId: s.wallet.id } })) >= 5,
        'the first transfers of the burst',
      );
      const frozen = await call(h.app, 'POST', '/v1/owners/me/freeze', { token: s.owner.key });
      // What had been handed to the network when the freeze returned.
      const sentBefore = new Set(
        (await statuses(s.wallet.id))
          .filter((t) => ['SUBMITTED', 'CONFIRMED', 'FAILED'].includes(t.status))
          .map((t) => t.id),
      );
      expect(frozen.status).toBe(200);
      expect(frozen.body.freeze).toEqual(
        expect.objectContaining({ scope: 'OWNER', frozen: true, changed: true }),
      );

      const answers = await Promise.all(burst);
      for (const a of answers) {
        if (a.status !== 201) expectProblem(a, 403, 'OWNER_FROZEN');
      }
      // A transfer asked after the freeze is refused, and so is the dry run.
      expectProblem(await transfer(s), 403, 'OWNER_FROZEN');
      const dry = await call(h.app, 'POST', `/v1/wallets/${s.wallet.id}/transfers/evaluate`, {
        token: s.agent.key,
        body: { to: RECIPIENT, amount: '0.01' },
      });
      expectProblem(dry, 403, 'OWNER_FROZEN');

      // Every transfer ends truthfully: sent ones CONFIRMED, the others CANCELLED.
      await waitFor(
        async () =>
          (await statuses(s.wallet.id)).every((t) => ['CONFIRMED', 'CANCELLED'].includes(t.status)),
        'every transfer final',
      );
      const rows = await statuses(s.wallet.id);
      const accepted = answers.filter((a) => a.status === 201).length;
      expect(rows).toHaveLength(accepted);
      // Counted on the ledger: exactly the transfers sent before the freeze returned landed.
      const landed = rows.filter((t) => t.signature && h.ledger.landingCount(t.signature) > 0);
      expect(new Set(landed.map((t) => t.id))).toEqual(sentBefore);
      for (const t of rows) {
        expect(t.status).toBe(sentBefore.has(t.id) ? 'CONFIRMED' : 'CANCELLED');
        if (t.status === 'CANCELLED') expect(h.ledger.landingCount(t.signature ?? '')).toBe(0);
      }
      // The cancellation listed what it stopped.
      const cancelledByCall = new Set(frozen.body.freeze.cancelledTransactionIds as string[]);
      for (const t of rows.filter((r) => r.status === 'CANCELLED'))
        expect(cancelledByCall.has(t.id)).toBe(true);

      // Still nothing more after a while of the worker running.
      await new Promise((r) => setTimeout(r, 300));
      for (const t of await statuses(s.wallet.id))
        if (!sentBefore.has(t.id)) expect(h.ledger.landingCount(t.signature ?? '')).toBe(0);
    } finally {
      clearInterval(slots);
    }
  }, 120_000);
});

describe('freeze state is read from the database on every request', () => {
  it('a second API instance refuses on its very next request, and accepts again after unfreeze', async () => {
    const s = await setup();
    const second = await startInstance(h, { WALLET_MASTER_KEY: MASTER_KEY });
    try {
      // Warm the second instance's caches with an accepted transfer.
      expect((await transfer(s, '0.01', second)).status).toBe(201);
      const frozen = await call(h.app, 'POST', `/v1/wallets/${s.wallet.id}/freeze`, {
        token: s.owner.key,
      });
      expect(frozen.status).toBe(200);
      expectProblem(await transfer(s, '0.01', second), 403, 'WALLET_FROZEN');
      const read = await call(second, 'GET', `/v1/wallets/${s.wallet.id}`, { token: s.owner.key });
      expect(read.body.wallet).toEqual(
        expect.objectContaining({ frozen: true, frozenAt: frozen.body.freeze.frozenAt }),
      );

      const unfrozen = await call(h.app, 'POST', `/v1/wallets/${s.wallet.id}/unfreeze`, {
        token: s.owner.key,
      });
      expect(unfrozen.body.freeze).toEqual(
        expect.objectContaining({ frozen: false, frozenAt: null, changed: true }),
      );
      expect((await transfer(s, '0.01', second)).status).toBe(201);
    } finally {
      await second.close();
    }
  });

  it('the operator freezes the whole service; each scope answers with its own code', async () => {
    const s = await setup();
    const service = await call(h.app, 'POST', '/v1/admin/freeze', { token: ADMIN_TOKEN });
    expect(service.body.freeze).toEqual(
      expect.objectContaining({ scope: 'SERVICE', frozen: true }),
    );
    expectProblem(await transfer(s), 403, 'SERVICE_FROZEN');
    const state = await call(h.app, 'GET', '/v1/admin/freeze', { token: ADMIN_TOKEN });
    expect(state.body.freeze.frozen).toBe(true);
    await call(h.app, 'POST', '/v1/admin/unfreeze', { token: ADMIN_TOKEN });

    const agentFrozen = await call(h.app, 'POST', `/v1/agents/${s.agent.id}/freeze`, {
      token: s.owner.key,
    });
    expect(agentFrozen.body.freeze.scope).toBe('AGENT');
    expectProblem(await transfer(s), 403, 'AGENT_FROZEN');
    const agentRead = await call(h.app, 'GET', `/v1/agents/${s.agent.id}`, { token: s.owner.key });
    expect(agentRead.body.agent.frozen).toBe(true);
    // Another agent of the same owner on the same wallet is not frozen.
    const other = await createAgent(h.app, s.owner.key, 'other');
    await grant(h.app, s.owner.key, s.wallet.id, other.id);
    expect((await transfer({ ...s, agent: other })).status).toBe(201);
    await call(h.app, 'POST', `/v1/agents/${s.agent.id}/unfreeze`, { token: s.owner.key });
    expect((await transfer(s)).status).toBe(201);
  });
});

describe('what a freeze stops', () => {
  it('cancels waiting and unsent transfers, follows a submitted one to CONFIRMED, and unfreeze revives nothing', async () => {
    const s = await setup({
      perTxLimit: '1',
      dailyLimit: '100',
      requiresApproval: true,
      metadata: { approvalThreshold: '0.5' },
    });
    // Submitted (landed, not yet confirmed: the ledger's clock is stopped).
    await startWorker();
    const sent = await transfer(s, '0.1');
    await waitFor(
      async () =>
        (await h.prisma.transaction.findUniqueOrThrow({ where: { id: sent.body.transaction.id } }))
          .status === 'SUBMITTED',
      'the first transfer submitted',
    );
    await worker!.stop();
    worker = null;
    // Pending (the worker is stopped) and awaiting approval.
    const pending = await transfer(s, '0.2');
    expect(pending.body.transaction.status).toBe('PENDING');
    const waiting = await transfer(s, '0.8');
    expect(waiting.body.transaction.status).toBe('AWAITING_APPROVAL');
    const spendBefore = await call(h.app, 'GET', `/v1/wallets/${s.wallet.id}/spend`, {
      token: s.owner.key,
    });

    const frozen = await call(h.app, 'POST', `/v1/wallets/${s.wallet.id}/freeze`, {
      token: s.owner.key,
    });
    expect(frozen.status).toBe(200);
    expect([...frozen.body.freeze.cancelledTransactionIds].sort()).toEqual(
      [pending.body.transaction.id, waiting.body.transaction.id].sort(),
    );
    // Their budget is released at once.
    const spendAfter = await call(h.app, 'GET', `/v1/wallets/${s.wallet.id}/spend`, {
      token: s.owner.key,
    });
    expect(spendAfter.status).toBe(200);
    expect(JSON.stringify(spendAfter.body)).not.toEqual(JSON.stringify(spendBefore.body));

    // Approving the cancelled one is a clear 409.
    const approve = await call(
      h.app,
      'POST',
      `/v1/transactions/${String(waiting.body.transaction.id)}/approve`,
      { token: s.owner.key },
    );
    expectProblem(approve, 409, 'TRANSACTION_NOT_AWAITING_APPROVAL');

    // The worker follows the submitted one to its end, and never sends the cancelled one.
    await startWorker();
    h.ledger.advanceSlots(2);
    await waitFor(
      async () =>
        (await h.prisma.transaction.findUniqueOrThrow({ where: { id: sent.body.transaction.id } }))
          .status === 'CONFIRMED',
      'the submitted transfer confirmed',
    );
    const unfrozen = await call(h.app, 'POST', `/v1/wallets/${s.wallet.id}/unfreeze`, {
      token: s.owner.key,
    });
    expect(unfrozen.body.freeze.changed).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const byId = new Map((await statuses(s.wallet.id)).map((t) => [t.id, t]));
    expect(byId.get(String(pending.body.transaction.id))?.status).toBe('CANCELLED');
    expect(byId.get(String(waiting.body.transaction.id))?.status).toBe('CANCELLED');
    expect(h.ledger.landingCount(String(pending.body.transaction.signature))).toBe(0);
    const read = await call(
      h.app,
      'GET',
      `/v1/transactions/${String(pending.body.transaction.id)}`,
      {
        token: s.agent.key,
      },
    );
    expect(read.body.transaction.status).toBe('CANCELLED');

    // The audit log and the owner's webhook.
    const events = await h.prisma.event.findMany({
      where: { ownerId: s.owner.id, type: { in: ['wallet.frozen', 'wallet.unfrozen'] } },
      orderBy: { id: 'asc' },
    });
    expect(events.map((e) => [e.type, e.actorType, e.actorId, e.walletId])).toEqual([
      ['wallet.frozen', 'OWNER', s.owner.id, s.wallet.id],
      ['wallet.unfrozen', 'OWNER', s.owner.id, s.wallet.id],
    ]);
    await waitFor(
      () =>
        received.some((e) => e.type === 'wallet.frozen' && e.data.walletId === s.wallet.id) &&
        received.some((e) => e.type === 'wallet.unfrozen' && e.data.walletId === s.wallet.id) &&
        received.filter(
          (e) => e.type === 'transaction.cancelled' && e.data.walletId === s.wallet.id,
        ).length === 2,
      'the freeze webhooks',
    );
    const hook = received.find(
      (e) => e.type === 'wallet.frozen' && e.data.walletId === s.wallet.id,
    )!;
    expect(hook.data).toEqual(
      expect.objectContaining({
        scope: 'WALLET',
        frozen: true,
        frozenAt: frozen.body.freeze.frozenAt,
        cancelledTransactionIds: expect.arrayContaining([pending.body.transaction.id]),
      }),
    );
  }, 60_000);

  it('a frozen scope’s submitted transfer is not rebroadcast, and ends EXPIRED when its blockhash runs out', async () => {
    const s = await setup();
    // Every send is answered but never lands.
    h.ledger.setFaults({ dropRate: 1 });
    await startWorker();
    const sent = await transfer(s, '0.1');
    await waitFor(
      async () =>
        (await h.prisma.transaction.findUniqueOrThrow({ where: { id: sent.body.transaction.id } }))
          .submitAttempts >= 2,
      'a rebroadcast before the freeze',
    );
    await call(h.app, 'POST', '/v1/owners/me/freeze', { token: s.owner.key });
    // A pass that began before the freeze may still count one attempt; none after that.
    await new Promise((r) => setTimeout(r, 200));
    const attempts = (
      await h.prisma.transaction.findUniqueOrThrow({ where: { id: sent.body.transaction.id } })
    ).submitAttempts;
    await new Promise((r) => setTimeout(r, 500));
    const row = await h.prisma.transaction.findUniqueOrThrow({
      where: { id: sent.body.transaction.id },
    });
    expect(row.status).toBe('SUBMITTED');
    expect(row.submitAttempts).toBe(attempts);
    // Still followed: past its last valid block height it is EXPIRED (FAILED), truthfully.
    h.ledger.advanceSlots(400);
    await waitFor(
      async () =>
        (await h.prisma.transaction.findUniqueOrThrow({ where: { id: sent.body.transaction.id } }))
          .status === 'FAILED',
      'the dropped transfer expired',
    );
    const failed = await h.prisma.transaction.findUniqueOrThrow({
      where: { id: sent.body.transaction.id },
    });
    expect(failed.failureReason).toBe('EXPIRED');
  }, 60_000);
});

describe('who may freeze what', () => {
  it('an owner cannot freeze another owner’s wallet or agent (404); an agent cannot freeze; only the operator freezes the service', async () => {
    const a = await setup();
    const b = await setup();
    for (const path of [
      `/v1/wallets/${b.wallet.id}/freeze`,
      `/v1/wallets/${b.wallet.id}/unfreeze`,
      `/v1/agents/${b.agent.id}/freeze`,
      `/v1/agents/${b.agent.id}/unfreeze`,
    ]) {
      expectProblem(await call(h.app, 'POST', path, { token: a.owner.key }), 404, 'NOT_FOUND');
    }
    expect((await transfer(b)).status).toBe(201);
    for (const path of [
      `/v1/wallets/${a.wallet.id}/freeze`,
      `/v1/agents/${a.agent.id}/freeze`,
      '/v1/owners/me/freeze',
      '/v1/admin/freeze',
    ]) {
      expectProblem(await call(h.app, 'POST', path, { token: a.agent.key }), 403, 'FORBIDDEN');
    }
    for (const path of ['/v1/admin/freeze', '/v1/admin/unfreeze']) {
      expectProblem(await call(h.app, 'POST', path, { token: a.owner.key }), 403, 'FORBIDDEN');
    }
    expectProblem(await call(h.app, 'POST', '/v1/owners/me/freeze'), 401, 'UNAUTHENTICATED');
    expect((await transfer(a)).status).toBe(201);
  });
});
