import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type SpendRepository, type PrismaClient } from '@waiaas/database';
import { type LocalLedger } from '@waiaas/local-ledger';
import { type TestDatabase } from '@waiaas/testing';
import { ConfirmationWorker, isWorkerError, startMetricsServer } from '../src/index.js';
import {
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
  env = await openWorkerEnvironment({ poolSize: 4, ledger: { slotMs: 40 } });
  ({ db, ledger, prisma, spend } = env);
});

afterAll(async () => {
  await env.close();
});

const statusOf = async (id: string) =>
  (await prisma.transaction.findUniqueOrThrow({ where: { id } })).status;

describe('wake-up by NOTIFY', () => {
  it('submits a new transfer at once although polling is a minute away, and again after the LISTEN connection was killed', async () => {
    const owner = await createOwner(prisma);
    const sender = await createWallet(prisma, ledger, owner);
    const worker = await ConfirmationWorker.create({
      config: testConfig(db.url, ledger.url, {
        POLL_INTERVAL_MS: '60000',
        WORKER_ID: 'listen-test',
      }),
      logger: silentLogger,
      defaultMetrics: false,
    });
    await worker.start();
    try {
      const first = await reserveSolTransfer(
        spend,
        ledger.url,
        sender,
        await newAddress(),
        1_000_000n,
      );
      await waitFor(async () => (await statusOf(first.id)) !== 'PENDING', 10_000);

      // Kill the LISTEN backend as a failover or an idle-connection reaper would.
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      const killed = await admin.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'waiaas-worker-listen:listen-test'`,
      );
      await admin.end();
      expect(killed.rows.map((r) => r.ok)).toEqual([true]);

      const reconnected = async () => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        const r = await c.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = 'waiaas-worker-listen:listen-test'`,
        );
        await c.end();
        return r.rowCount === 1;
      };
      await waitFor(reconnected, 10_000);
      const second = await reserveSolTransfer(
        spend,
        ledger.url,
        sender,
        await newAddress(),
        1_000_000n,
      );
      await waitFor(async () => (await statusOf(second.id)) !== 'PENDING', 10_000);
    } finally {
      await worker.stop();
    }
  });
});

describe('start-up and operations', () => {
  it('fails fast when PostgreSQL is unreachable', async () => {
    let error: unknown;
    try {
      await ConfirmationWorker.create({
        config: testConfig('postgresql://postgres@127.0.0.1:1/none', ledger.url),
        logger: silentLogger,
        defaultMetrics: false,
      });
    } catch (e) {
      error = e;
    }
    expect(isWorkerError(error, 'WORKER_DATABASE_UNREACHABLE')).toBe(true);
  });

  it('serves /metrics with worker lag and /health, which turns 503 on shutdown', async () => {
    const owner = await createOwner(prisma);
    const sender = await createWallet(prisma, ledger, owner);
    await reserveSolTransfer(spend, ledger.url, sender, await newAddress(), 1_000_000n); // PENDING: no worker runs
    const worker = await ConfirmationWorker.create({
      config: testConfig(db.url, ledger.url),
      logger: silentLogger,
      defaultMetrics: false,
    });
    const server = await startMetricsServer(worker.metrics, () => worker.health(), {
      port: 0,
      host: '127.0.0.1',
    });
    try {
      const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      const lag = /waiaas_worker_oldest_age_seconds\{status="PENDING"\} ([0-9.e-]+)/.exec(metrics);
      expect(Number(lag?.[1])).toBeGreaterThan(0);
      expect(metrics).toMatch(/waiaas_worker_oldest_age_seconds\{status="SUBMITTED"\} [0-9.e-]+/);
      await worker.start();
      expect((await fetch(`http://127.0.0.1:${server.port}/health`)).status).toBe(200);
      await worker.stop();
      expect((await fetch(`http://127.0.0.1:${server.port}/health`)).status).toBe(503);
    } finally {
      await worker.stop();
      await server.close();
    }
  });
});
