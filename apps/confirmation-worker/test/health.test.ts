// Worker /health reflects PostgreSQL and the RPC (issue 12, row 4): a stalled database or an
// unreachable RPC turns it 503 within the probe timeout, and it recovers by itself once the
// dependency is back. Faults are injected with TCP proxies of this test's own, never on the
// shared servers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTcpProxy, type TcpProxy } from '@waiaas/testing';
import { ConfirmationWorker, startMetricsServer } from '../src/index.js';
import {
  openWorkerEnvironment,
  silentLogger,
  testConfig,
  type WorkerEnvironment,
} from './helpers.js';

let env: WorkerEnvironment;
let dbProxy: TcpProxy;
let rpcProxy: TcpProxy;

beforeAll(async () => {
  env = await openWorkerEnvironment({ poolSize: 2, ledger: { slotMs: 40 } });
  const db = new URL(env.db.url);
  dbProxy = await startTcpProxy({ host: db.hostname, port: Number(db.port) });
  const rpc = new URL(env.ledger.url);
  rpcProxy = await startTcpProxy({ host: rpc.hostname, port: Number(rpc.port) });
});

afterAll(async () => {
  await dbProxy.close();
  await rpcProxy.close();
  await env.close();
});

function via(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

async function health(
  port: number,
): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(10_000) });
  return {
    status: r.status,
    body: (await r.json()) as Record<string, unknown>,
    ms: Date.now() - started,
  };
}

/** Polls /health until it answers `status`; returns how long that took. */
async function until(port: number, status: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await health(port)).status === status) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/health did not turn ${status} within ${timeoutMs} ms`);
}

describe('worker /health', () => {
  it('turns 503 when PostgreSQL stalls or the RPC is down, and 200 again within 5 s of their return', async () => {
    const worker = await ConfirmationWorker.create({
      config: testConfig(via(env.db.url, dbProxy), via(env.ledger.url, rpcProxy), {
        SOLANA_RPC_TIMEOUT_MS: '1500',
        SOLANA_RPC_RETRIES: '0',
      }),
      logger: silentLogger,
      defaultMetrics: false,
    });
    const server = await startMetricsServer(worker.metrics, () => worker.health(), {
      port: 0,
      host: '127.0.0.1',
    });
    try {
      await worker.start();
      // Healthy once started (polled: on a loaded machine the first probe may be slow).
      await until(server.port, 200, 10_000);

      dbProxy.pause();
      const stalled = await health(server.port);
      expect(stalled.status).toBe(503);
      expect(stalled.ms).toBeLessThan(4_000);
      expect(stalled.body.checks).toMatchObject({ database: { ok: false }, rpc: { ok: true } });
      dbProxy.resume();
      expect(await until(server.port, 200, 5_000)).toBeLessThan(5_000);

      await rpcProxy.cut();
      const down = await health(server.port);
      expect(down.status).toBe(503);
      expect(down.body.checks).toMatchObject({ database: { ok: true }, rpc: { ok: false } });
      await rpcProxy.restore();
      expect(await until(server.port, 200, 5_000)).toBeLessThan(5_000);

      await worker.stop();
      expect((await health(server.port)).body).toEqual({ status: 'stopping' });
    } finally {
      dbProxy.resume();
      await worker.stop();
      await server.close();
    }
  });
});
