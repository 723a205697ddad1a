import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type SpendRepository, type PrismaClient } from '@waiaas/database';
import { type LocalLedger } from '@waiaas/local-ledger';
import { type TestDatabase } from '@waiaas/testing';
import {
  ConfirmationWorker,
  isWorkerError,
  verifyWebhookSignature,
  type WebhookBody,
} from '../src/index.js';
import {
  allTerminal,
  createOwner,
  createWallet,
  newAddress,
  reserveSolTransfer,
  silentLogger,
  testConfig,
  waitFor,
  openWorkerEnvironment,
  type WorkerEnvironment,
} from './helpers.js';

let db: TestDatabase;
let ledger: LocalLedger;
let prisma: PrismaClient;
let spend: SpendRepository;

let env: WorkerEnvironment;

beforeAll(async () => {
  env = await openWorkerEnvironment({ poolSize: 6, ledger: { slotMs: 40 } });
  ({ db, ledger, prisma, spend } = env);
});

afterAll(async () => {
  await env.close();
});

interface Received {
  body: string;
  signature: string | undefined;
  status: number;
}

/** A receiver on 127.0.0.1 that answers `respond(body, attemptForThisEvent)`. */
async function receiver(
  respond: (event: WebhookBody, attempt: number) => number,
): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const event = JSON.parse(body) as WebhookBody;
      const attempt = (attempts.get(event.id) ?? 0) + 1;
      attempts.set(event.id, attempt);
      const status = respond(event, attempt);
      received.push({
        body,
        signature: req.headers['waiaas-signature'] as string | undefined,
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('webhooks', () => {
  it('delivers signed events to a receiver that fails twice, marking each delivery DELIVERED once with 3 attempts', async () => {
    const secret = 'whsec_test_3f9a';
    const hook = await receiver((_event, attempt) => (attempt <= 2 ? 500 : 204));
    const owner = await createOwner(prisma);
    await prisma.webhookEndpoint.create({
      data: { ownerId: owner.ownerId, url: hook.url, signingSecret: secret },
    });
    const sender = await createWallet(prisma, ledger, owner);
    const tx = await reserveSolTransfer(spend, ledger.url, sender, await newAddress(), 2_000_000n);

    const worker = await ConfirmationWorker.create({
      // The receiver listens on 127.0.0.1: only an operator's explicit setting allows that.
      config: testConfig(db.url, ledger.url, { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }),
      logger: silentLogger,
      defaultMetrics: false,
    });
    await worker.start();
    try {
      await waitFor(() => allTerminal(prisma), 20_000);
      await waitFor(
        async () => (await prisma.webhookDelivery.count({ where: { status: 'PENDING' } })) === 0,
        20_000,
      );
    } finally {
      await worker.stop();
      await hook.close();
    }

    const deliveries = await prisma.webhookDelivery.findMany({ include: { event: true } });
    expect(deliveries.map((d) => d.event.type).sort()).toEqual([
      'transaction.confirmed',
      'transaction.submitted',
    ]);
    for (const d of deliveries) {
      expect(d.status).toBe('DELIVERED');
      expect(d.attempts).toBe(3);
      expect(d.lastStatusCode).toBe(204);
      expect(d.deliveredAt).not.toBeNull();
      expect(d.event.transactionId).toBe(tx.id);
    }

    // Every request was signed with the endpoint's secret over the exact body; a wrong secret fails.
    expect(hook.received).toHaveLength(6);
    for (const r of hook.received) {
      expect(() => verifyWebhookSignature(secret, r.signature, r.body)).not.toThrow();
      let error: unknown;
      try {
        verifyWebhookSignature('another-secret', r.signature, r.body);
      } catch (e) {
        error = e;
      }
      expect(
        isWorkerError(error, 'WORKER_WEBHOOK_SIGNATURE_INVALID') &&
          error.context.reason === 'MISMATCH',
      ).toBe(true);
    }
    const accepted = hook.received
      .filter((r) => r.status === 204)
      .map((r) => JSON.parse(r.body) as WebhookBody);
    expect(accepted.map((e) => e.type).sort()).toEqual([
      'transaction.confirmed',
      'transaction.submitted',
    ]);
    const confirmed = accepted.find((e) => e.type === 'transaction.confirmed')!;
    expect(confirmed.data).toMatchObject({
      transactionId: tx.id,
      walletId: sender.id,
      status: 'CONFIRMED',
      amount: '2000000',
      signature: tx.signature,
    });
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS and records every attempt', async () => {
    const hook = await receiver(() => 503);
    const owner = await createOwner(prisma);
    await prisma.webhookEndpoint.create({
      data: { ownerId: owner.ownerId, url: hook.url, signingSecret: 's' },
    });
    const sender = await createWallet(prisma, ledger, owner);
    const tx = await reserveSolTransfer(spend, ledger.url, sender, await newAddress(), 2_000_000n);

    const worker = await ConfirmationWorker.create({
      config: testConfig(db.url, ledger.url, {
        WEBHOOK_MAX_ATTEMPTS: '4',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      }),
      logger: silentLogger,
      defaultMetrics: false,
    });
    await worker.start();
    const mine = { event: { transactionId: tx.id } };
    try {
      await waitFor(
        async () =>
          (await prisma.webhookDelivery.count({ where: { ...mine, status: 'FAILED' } })) === 2,
        20_000,
      );
    } finally {
      await worker.stop();
      await hook.close();
    }
    const deliveries = await prisma.webhookDelivery.findMany({ where: mine });
    for (const d of deliveries) {
      expect(d.status).toBe('FAILED');
      expect(d.attempts).toBe(4);
      expect(d.lastStatusCode).toBe(503);
      expect(d.lastError).toBe('HTTP 503');
      expect(d.deliveredAt).toBeNull();
    }
    expect(hook.received).toHaveLength(8);
  });

  it('creates no delivery for an owner without an enabled endpoint (the event is still logged)', async () => {
    const owner = await createOwner(prisma);
    await prisma.webhookEndpoint.create({
      data: {
        ownerId: owner.ownerId,
        url: 'http://127.0.0.1:9/never',
        signingSecret: 's',
        enabled: false,
      },
    });
    const sender = await createWallet(prisma, ledger, owner);
    const tx = await reserveSolTransfer(spend, ledger.url, sender, await newAddress(), 2_000_000n);
    const worker = await ConfirmationWorker.create({
      config: testConfig(db.url, ledger.url),
      logger: silentLogger,
      defaultMetrics: false,
    });
    await worker.start();
    try {
      await waitFor(() => allTerminal(prisma), 20_000);
    } finally {
      await worker.stop();
    }
    expect(
      await prisma.event.count({ where: { transactionId: tx.id, type: 'transaction.confirmed' } }),
    ).toBe(1);
    expect(await prisma.webhookDelivery.count({ where: { event: { transactionId: tx.id } } })).toBe(
      0,
    );
  });

  it('never contacts a private target unless the operator allows it: the delivery fails at once', async () => {
    const hook = await receiver(() => 204);
    const owner = await createOwner(prisma);
    // Stored directly, as a row registered before the API refused such URLs would be.
    await prisma.webhookEndpoint.create({
      data: { ownerId: owner.ownerId, url: hook.url, signingSecret: 's' },
    });
    const sender = await createWallet(prisma, ledger, owner);
    const tx = await reserveSolTransfer(spend, ledger.url, sender, await newAddress(), 2_000_000n);
    const worker = await ConfirmationWorker.create({
      config: testConfig(db.url, ledger.url),
      logger: silentLogger,
      defaultMetrics: false,
    });
    await worker.start();
    const mine = { event: { transactionId: tx.id } };
    try {
      await waitFor(
        async () =>
          (await prisma.webhookDelivery.count({ where: { ...mine, status: 'FAILED' } })) === 2,
        20_000,
      );
    } finally {
      await worker.stop();
      await hook.close();
    }
    expect(hook.received).toHaveLength(0);
    for (const d of await prisma.webhookDelivery.findMany({ where: mine })) {
      expect(d.attempts).toBe(1);
      expect(d.lastStatusCode).toBeNull();
      expect(d.lastError).toMatch(/^WebhookTargetError: .*non-public address \(127\.0\.0\.1\)/);
    }
  });
});
