// Fault suite (issue 12): PostgreSQL stalled and restarted, Redis killed and restarted, the RPC
// failing and slow, custody failing. The API must answer a 503 problem+json within its
// timeouts (no request hangs), write nothing half-way, and recover by itself within 5 s of the
// dependency's return. Faults are injected with TCP proxies between this app and the shared
// servers (see harness `proxied`), so other test runs never notice.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { address } from '@solana/kit';
import { createPrismaClient, type PrismaClient } from '@waiaas/database';
import { type KeyCustody, LocalKeystoreCustody, SignerError } from '@waiaas/solana-signer';
import {
  call,
  type CallResult,
  agentWithWallet,
  createWallet,
  type Harness,
  startHarness,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
/** Bounds the test sets: every request must end within a bounded time, whatever fails. */
const STATEMENT_TIMEOUT_MS = 1_000;
const CONNECTION_TIMEOUT_MS = 1_000;
const RPC_TIMEOUT_MS = 500;
/** The longest any request may take while a dependency is down (timeouts plus slack). */
const ANSWER_WITHIN_MS = 6_000;
const RECOVER_WITHIN_MS = 5_000;

let h: Harness;
let owner: { id: string; key: string };
let agent: { id: string; key: string };
let wallet: { id: string; address: string };
let custodyDown: 'no' | 'failing' = 'no';
let keystorePrisma: PrismaClient | undefined;
const recoveries: Record<string, number> = {};

/** Local keystore custody whose availability the test switches (a custody outage). */
function switchableCustody(config: { custody: unknown }, databaseUrl: string): KeyCustody {
  keystorePrisma = createPrismaClient({ url: databaseUrl, poolSize: 2 });
  const real = new LocalKeystoreCustody(
    keystorePrisma,
    (config.custody as { masterKeys: ConstructorParameters<typeof LocalKeystoreCustody>[1] })
      .masterKeys,
  );
  const outage = (operation: string) =>
    new SignerError('CUSTODY_UNAVAILABLE', { operation, attempts: 3, status: 503 });
  return {
    kind: 'LOCAL',
    createWallet: (o) =>
      custodyDown === 'no' ? real.createWallet(o) : Promise.reject(outage('createWallet')),
    signMessage: (a, m) =>
      custodyDown === 'no' ? real.signMessage(a, m) : Promise.reject(outage('signMessage')),
  };
}

beforeAll(async () => {
  h = await startHarness(
    {
      DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      DATABASE_CONNECTION_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS),
      DATABASE_POOL_SIZE: '4',
      SOLANA_RPC_TIMEOUT_MS: String(RPC_TIMEOUT_MS),
      SOLANA_RPC_RETRIES: '1',
    },
    { proxied: true, custody: switchableCustody },
  );
  ({ owner, agent, wallet } = await agentWithWallet(h.app, {
    perTxLimit: '1',
    dailyLimit: '1000',
  }));
  await h.ledger.airdrop(address(wallet.address), 50_000_000_000n);
});

afterAll(async () => {
  // Figures for the report: how long each case took to answer successfully again.
  process.stdout.write(
    `fault recoveries (ms after the dependency returned): ${JSON.stringify(recoveries)}\n`,
  );
  await h.close();
  await keystorePrisma?.$disconnect();
});

async function timed(
  method: string,
  path: string,
  options: Parameters<typeof call>[3] = {},
): Promise<CallResult & { ms: number }> {
  const started = Date.now();
  const r = await call(h.app, method, path, options);
  return { ...r, ms: Date.now() - started };
}

function expect503(r: CallResult & { ms: number }, code: string): void {
  expect({ status: r.status, code: r.body?.code, type: r.headers['content-type'] }).toEqual({
    status: 503,
    code,
    type: expect.stringMatching(/^application\/problem\+json/),
  });
  expect(r.ms).toBeLessThan(ANSWER_WITHIN_MS);
}

const transfer = () =>
  timed('POST', `/v1/wallets/${wallet.id}/transfers`, {
    token: agent.key,
    body: { to: RECIPIENT, amount: '0.001' },
    headers: { 'idempotency-key': randomUUID() },
  });

async function rows(): Promise<number> {
  return (await h.prisma.transaction.count()) + (await h.prisma.wallet.count());
}

/** Polls `attempt` until it succeeds; returns the time that took (fails past RECOVER_WITHIN_MS). */
async function recovery(name: string, attempt: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < RECOVER_WITHIN_MS) {
    if (await attempt()) {
      recoveries[name] = Date.now() - started;
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name}: no recovery within ${RECOVER_WITHIN_MS} ms`);
}

const listWallets = async () =>
  (await call(h.app, 'GET', '/v1/wallets', { token: owner.key })).status === 200;
const transferWorks = async () => (await transfer()).status === 201;

describe('PostgreSQL', () => {
  it('stalled: 503 DATABASE_UNAVAILABLE within the timeouts, nothing half-written; recovers by itself', async () => {
    expect(await listWallets()).toBe(true);
    const before = await rows();
    h.proxies!.database.pause();
    try {
      const results = await Promise.all([
        timed('GET', '/v1/wallets', { token: owner.key }),
        timed('GET', `/v1/wallets/${wallet.id}/policy`, { token: agent.key }),
        timed('POST', '/v1/wallets', { token: owner.key, body: {} }),
        transfer(),
      ]);
      for (const r of results) {
        expect({ status: r.status, type: r.headers['content-type'] }).toEqual({
          status: 503,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
        expect(r.ms).toBeLessThan(ANSWER_WITHIN_MS);
      }
      expect503(results[0], 'DATABASE_UNAVAILABLE');
      expect(results[0].headers['retry-after']).toBeDefined();
      const ready = await timed('GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.database.ok).toBe(false);
    } finally {
      h.proxies!.database.resume();
    }
    // Whatever was in flight when PostgreSQL stalled settles now: refused requests left nothing.
    await new Promise((r) => setTimeout(r, STATEMENT_TIMEOUT_MS));
    expect(await rows()).toBe(before);
    await recovery('postgres-stalled', listWallets);
    await recovery('postgres-stalled-transfer', transferWorks);
  });

  it('restarted: 503 while it is gone, served again within 5 s of its return', async () => {
    await h.proxies!.database.cut();
    try {
      expect503(await timed('GET', '/v1/wallets', { token: owner.key }), 'DATABASE_UNAVAILABLE');
      const r = await transfer();
      expect(r.status).toBe(503);
      expect(r.ms).toBeLessThan(ANSWER_WITHIN_MS);
    } finally {
      await h.proxies!.database.restore();
    }
    await recovery('postgres-restarted', listWallets);
    await recovery('postgres-restarted-transfer', transferWorks);
  });
});

describe('Redis', () => {
  it('killed: requests are still served from PostgreSQL, readiness says so; healthy again within 5 s of its return', async () => {
    await h.proxies!.redis.cut();
    try {
      const list = await timed('GET', '/v1/wallets', { token: owner.key });
      expect(list.status).toBe(200);
      expect(list.ms).toBeLessThan(ANSWER_WITHIN_MS);
      const t = await transfer();
      expect(t.status).toBe(201);
      expect(t.ms).toBeLessThan(ANSWER_WITHIN_MS);
      const ready = await timed('GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.redis.ok).toBe(false);
      expect(ready.ms).toBeLessThan(ANSWER_WITHIN_MS);
    } finally {
      await h.proxies!.redis.restore();
    }
    await recovery('redis-restarted', async () => {
      const ready = await call(h.app, 'GET', '/health/ready');
      return ready.status === 200;
    });
  });
});

describe('Solana RPC', () => {
  it('failing: 503 RPC_UNAVAILABLE, nothing stored; recovers within 5 s', async () => {
    const fresh = await createWallet(h.app, owner.key);
    const before = await h.prisma.transaction.count();
    await h.proxies!.rpc.cut();
    try {
      expect503(
        await timed('GET', `/v1/wallets/${fresh.id}/balance`, { token: owner.key }),
        'RPC_UNAVAILABLE',
      );
      expect503(await transfer(), 'RPC_UNAVAILABLE');
      expect(await h.prisma.transaction.count()).toBe(before);
    } finally {
      await h.proxies!.rpc.restore();
    }
    await recovery('rpc-failing', transferWorks);
  });

  it('slow: 503 RPC_UNAVAILABLE within the RPC timeout, nothing stored; recovers within 5 s', async () => {
    const fresh = await createWallet(h.app, owner.key);
    const before = await h.prisma.transaction.count();
    h.proxies!.rpc.pause();
    try {
      expect503(
        await timed('GET', `/v1/wallets/${fresh.id}/balance`, { token: owner.key }),
        'RPC_UNAVAILABLE',
      );
      expect503(await transfer(), 'RPC_UNAVAILABLE');
      expect(await h.prisma.transaction.count()).toBe(before);
    } finally {
      h.proxies!.rpc.resume();
    }
    await recovery('rpc-slow', transferWorks);
  });
});

describe('key custody', () => {
  it('failing: 503 CUSTODY_UNAVAILABLE for wallets and transfers, nothing stored; recovers at once', async () => {
    const before = await rows();
    custodyDown = 'failing';
    try {
      expect503(
        await timed('POST', '/v1/wallets', { token: owner.key, body: {} }),
        'CUSTODY_UNAVAILABLE',
      );
      expect503(await transfer(), 'CUSTODY_UNAVAILABLE');
      expect(await rows()).toBe(before);
    } finally {
      custodyDown = 'no';
    }
    await recovery('custody-failing', transferWorks);
  });
});
