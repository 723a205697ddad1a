import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createPrismaClient,
  IdempotencyRepository,
  WebhookDeliveryRepository,
  type PrismaClient,
} from '@waiaas/database';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import { Retention } from '../src/index.js';
import { createOwner, silentLogger } from './helpers.js';

const DAY = 86_400_000;
let db: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient({ url: db.url });
});
afterAll(async () => {
  await prisma.$disconnect();
  await db.drop();
});

describe('Retention', () => {
  it('deletes expired idempotency records and old delivered webhooks, and keeps everything else', async () => {
    const now = new Date('2026-11-22T12:00:00Z');
    const { ownerId, agentId } = await createOwner(prisma);
    const record = (key: string, expiresAt: Date) => ({
      agentId,
      key,
      fingerprint: 'f',
      expiresAt,
    });
    await prisma.idempotencyRecord.createMany({
      data: [
        record('expired', new Date(now.getTime() - 1)),
        record('live', new Date(now.getTime() + DAY)),
      ],
    });
    const endpoint = await prisma.webhookEndpoint.create({
      data: { ownerId, url: 'https://example.com/h', signingSecret: 's' },
    });
    const event = () =>
      prisma.event.create({
        data: { type: 'transaction.confirmed', actorType: 'SYSTEM', ownerId },
      });
    const [e1, e2, e3, e4] = [await event(), await event(), await event(), await event()];
    await prisma.webhookDelivery.createMany({
      data: [
        {
          endpointId: endpoint.id,
          eventId: e1.id,
          status: 'DELIVERED',
          deliveredAt: new Date(now.getTime() - 31 * DAY),
        },
        {
          endpointId: endpoint.id,
          eventId: e2.id,
          status: 'DELIVERED',
          deliveredAt: new Date(now.getTime() - 29 * DAY),
        },
        {
          endpointId: endpoint.id,
          eventId: e3.id,
          status: 'FAILED',
          createdAt: new Date(now.getTime() - 90 * DAY),
        },
        {
          endpointId: endpoint.id,
          eventId: e4.id,
          status: 'PENDING',
          createdAt: new Date(now.getTime() - 90 * DAY),
        },
      ],
    });
    const retention = new Retention(
      {
        idempotency: new IdempotencyRepository(prisma),
        deliveries: new WebhookDeliveryRepository(prisma),
        logger: silentLogger,
      },
      { deliveryDays: 30, batchSize: 1 },
    );

    const removed = await retention.runOnce(now);

    expect(removed).toEqual({ idempotencyRecords: 1, deliveries: 1 });
    expect(
      (await prisma.idempotencyRecord.findMany({ where: { agentId } })).map((r) => r.key),
    ).toEqual(['live']);
    const left = await prisma.webhookDelivery.findMany({
      where: { endpointId: endpoint.id },
      orderBy: { eventId: 'asc' },
    });
    expect(left.map((d) => d.eventId)).toEqual([e2.id, e3.id, e4.id]);
    // The audit log is untouched.
    expect(await prisma.event.count({ where: { ownerId } })).toBe(4);
  });
});
