import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  createSolanaRpcFromTransport,
  generateKeyPairSigner,
  getBase64Decoder,
  isSolanaError,
  SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR,
  type Base64EncodedWireTransaction,
} from '@solana/kit';
import { startLocalLedger, type LocalLedger } from '@waiaas/local-ledger';
import { createBatchingTransport } from '../src/batch-transport.js';
import { latestBlockhash, newAddress, signSolTransfer } from './helpers.js';

/**
 * A proxy in front of the local ledger that counts HTTP requests and can fail the next ones
 * with HTTP 503, so the tests see what reaches the node.
 */
async function countingProxy(target: string) {
  const state = { requests: 0, failNext: 0, stallNext: 0, bodies: [] as unknown[] };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests += 1;
      const body = Buffer.concat(chunks).toString();
      state.bodies.push(JSON.parse(body));
      if (state.stallNext > 0) {
        state.stallNext -= 1;
        req.socket.on('close', () => res.destroy());
        return; // never answered: the client's attempt must time out
      }
      if (state.failNext > 0) {
        state.failNext -= 1;
        res.writeHead(503).end();
        return;
      }
      void fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }).then(async (r) =>
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { state, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('batching RPC transport', () => {
  let ledger: LocalLedger;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;

  beforeAll(async () => {
    ledger = await startLocalLedger({ port: 0, slotMs: 0 });
    proxy = await countingProxy(ledger.url);
  });
  afterAll(async () => {
    await proxy.close();
    await ledger.close();
  });

  const rpcWith = (maxBatch: number) =>
    createSolanaRpcFromTransport(
      createBatchingTransport({
        url: proxy.url,
        maxBatch,
        timeoutMs: 5_000,
        retries: 2,
        minBackoffMs: 10,
      }),
    );

  async function signedTransfers(count: number) {
    const payer = await generateKeyPairSigner();
    await ledger.airdrop(payer.address, 10_000_000_000n);
    const to = await newAddress();
    await ledger.airdrop(to, 1_000_000_000n);
    ledger.advanceSlots(1);
    const lifetime = await latestBlockhash(ledger.url);
    const base64 = getBase64Decoder();
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const t = await signSolTransfer(payer, to, 1_000n + BigInt(i), lifetime);
        return {
          signature: t.signature,
          wire: base64.decode(t.wireTransaction) as Base64EncodedWireTransaction,
        };
      }),
    );
  }

  it('sends the calls made together in one HTTP request, each answered with its own result, and every transfer lands once', async () => {
    const transfers = await signedTransfers(100);
    const rpc = rpcWith(100);
    const before = proxy.state.requests;
    const signatures = await Promise.all(
      transfers.map((t) =>
        rpc
          .sendTransaction(t.wire, { encoding: 'base64', skipPreflight: true, maxRetries: 0n })
          .send(),
      ),
    );
    expect(proxy.state.requests - before).toBe(1);
    expect(signatures).toEqual(transfers.map((t) => t.signature));
    ledger.advanceSlots(1);
    const { value } = await rpc.getSignatureStatuses(signatures).send();
    expect(value.every((s) => s?.confirmationStatus === 'confirmed' && s.err === null)).toBe(true);
    for (const s of signatures) expect(ledger.landingCount(s)).toBe(1);
  });

  it('splits at maxBatch, and with maxBatch 1 sends each call as a plain (non-batch) request', async () => {
    const transfers = await signedTransfers(5);
    let before = proxy.state.requests;
    await Promise.all(transfers.map((t) => rpcWith(2).getSignatureStatuses([t.signature]).send()));
    // Five calls from five clients, each with its own transport: five requests.
    expect(proxy.state.requests - before).toBe(5);
    const shared = rpcWith(2);
    before = proxy.state.requests;
    await Promise.all(transfers.map((t) => shared.getSignatureStatuses([t.signature]).send()));
    expect(proxy.state.requests - before).toBe(3);
    const single = rpcWith(1);
    before = proxy.state.requests;
    await Promise.all(transfers.map((t) => single.getSignatureStatuses([t.signature]).send()));
    expect(proxy.state.requests - before).toBe(5);
    expect(Array.isArray(proxy.state.bodies.at(-1))).toBe(false);
  });

  it('fails only the call the node refused, and keeps integers exact', async () => {
    const rpc = rpcWith(100);
    const [height, bad] = await Promise.allSettled([
      rpc.getBlockHeight({ commitment: 'processed' }).send(),
      rpc
        .getTransaction('not-a-signature' as never, {
          encoding: 'json',
          maxSupportedTransactionVersion: 0,
        })
        .send(),
    ]);
    expect(height.status).toBe('fulfilled');
    expect(typeof (height as PromiseFulfilledResult<bigint>).value).toBe('bigint');
    expect((height as PromiseFulfilledResult<bigint>).value).toBe(ledger.blockHeight);
    expect(bad.status).toBe('rejected');
  });

  it('gives every call of a batch the error the node answered for the whole batch', async () => {
    ledger.setFaults({ errorRate: 1, errorMode: 'rpc' });
    try {
      const rpc = rpcWith(100);
      const results = await Promise.allSettled([rpc.getSlot().send(), rpc.getBlockHeight().send()]);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect(String((r as PromiseRejectedResult).reason)).toMatch(/unhealthy/i);
      }
    } finally {
      ledger.setFaults({});
    }
  });

  it('times out a request the node never answers, and retries it', async () => {
    const rpc = createSolanaRpcFromTransport(
      createBatchingTransport({
        url: proxy.url,
        maxBatch: 100,
        timeoutMs: 200,
        retries: 1,
        minBackoffMs: 1,
      }),
    );
    proxy.state.stallNext = 1;
    const before = proxy.state.requests;
    await expect(rpc.getBlockHeight({ commitment: 'processed' }).send()).resolves.toBe(
      ledger.blockHeight,
    );
    expect(proxy.state.requests - before).toBe(2);
  });

  it('retries a batch the node answered with HTTP 503, and reports kit’s HTTP error once retries run out', async () => {
    const rpc = rpcWith(100);
    proxy.state.failNext = 2;
    const before = proxy.state.requests;
    await expect(rpc.getBlockHeight({ commitment: 'processed' }).send()).resolves.toBe(
      ledger.blockHeight,
    );
    expect(proxy.state.requests - before).toBe(3);
    proxy.state.failNext = 3;
    const error = await rpc
      .getSlot()
      .send()
      .catch((e: unknown) => e);
    expect(isSolanaError(error, SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR)).toBe(true);
  });
});
