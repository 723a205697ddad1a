import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR, address, isSolanaError } from '@solana/kit';
import { createRpc, isTransientRpcError } from './rpc.js';

// A JSON-RPC endpoint whose next answers are scripted: an HTTP status, a delay, or a result.
type Step =
  { status: number } | { delayMs: number } | { error: { code: number; message: string } } | 'ok';
let server: Server;
let url: string;
let script: Step[] = [];
const bodies: string[] = [];
const timers = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      bodies.push(body);
      const { id } = JSON.parse(body) as { id: string };
      const step = script.shift() ?? 'ok';
      const ok = () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', id, result: { context: { slot: 7 }, value: 42 } }));
      if (step === 'ok') return ok();
      if ('status' in step) return res.writeHead(step.status).end('busy');
      if ('error' in step)
        return res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', id, error: step.error }));
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.destroyed) ok();
      }, step.delayMs);
      timers.add(t);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const t of timers) clearTimeout(t);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const who = address('11111111111111111111111111111111');

function run(steps: Step[]) {
  script = steps;
  bodies.length = 0;
}

describe('createRpc', () => {
  it('retries HTTP 429 and 5xx, then returns the answer', async () => {
    run([{ status: 429 }, { status: 503 }, 'ok']);
    const rpc = createRpc({ url, retries: 3, minBackoffMs: 1 });
    const { value } = await rpc.getBalance(who).send();
    expect(value).toBe(42n);
    expect(bodies).toHaveLength(3);
  });

  it('gives up after the configured retries with kit’s HTTP error', async () => {
    run([{ status: 500 }, { status: 502 }, { status: 503 }]);
    const rpc = createRpc({ url, retries: 2, minBackoffMs: 1 });
    const error = await rpc
      .getBalance(who)
      .send()
      .catch((e: unknown) => e);
    expect(isSolanaError(error, SOLANA_ERROR__RPC__TRANSPORT_HTTP_ERROR)).toBe(true);
    expect(bodies).toHaveLength(3);
  });

  it('does not retry other HTTP errors or JSON-RPC errors', async () => {
    run([{ status: 400 }]);
    const rpc = createRpc({ url, retries: 3, minBackoffMs: 1 });
    await expect(rpc.getBalance(who).send()).rejects.toThrow();
    expect(bodies).toHaveLength(1);
    run([{ error: { code: -32602, message: 'Invalid params' } }]);
    await expect(rpc.getBalance(who).send()).rejects.toThrow(/Invalid params|-32602/);
    expect(bodies).toHaveLength(1);
  });

  it('times an attempt out and retries it', async () => {
    run([{ delayMs: 30_000 }, 'ok']);
    const rpc = createRpc({ url, timeoutMs: 150, retries: 1, minBackoffMs: 1 });
    expect((await rpc.getBalance(who).send()).value).toBe(42n);
    expect(bodies).toHaveLength(2);
  });

  it('re-sends sendTransaction with identical bytes', async () => {
    run([{ status: 503 }, 'ok']);
    const rpc = createRpc({ url, retries: 1, minBackoffMs: 1 });
    const wire = Buffer.from('AQ==', 'base64').toString('base64') as Parameters<
      typeof rpc.sendTransaction
    >[0];
    await rpc
      .sendTransaction(wire, { encoding: 'base64' })
      .send()
      .catch(() => undefined);
    expect(bodies).toHaveLength(2);
    const params = bodies.map((b) => JSON.stringify((JSON.parse(b) as { params: unknown }).params));
    expect(params[0]).toBe(params[1]);
  });

  it('stops at once when the caller aborts', async () => {
    run([{ delayMs: 30_000 }, 'ok']);
    const rpc = createRpc({ url, timeoutMs: 60_000, retries: 3, minBackoffMs: 1 });
    const controller = new AbortController();
    const pending = rpc.getBalance(who).send({ abortSignal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toBeDefined();
    expect(bodies).toHaveLength(1);
  });
});

describe('isTransientRpcError', () => {
  it('classifies network, timeout and HTTP errors', () => {
    expect(isTransientRpcError(new TypeError('fetch failed'))).toBe(true);
    expect(isTransientRpcError(new DOMException('timed out', 'TimeoutError'))).toBe(true);
    expect(isTransientRpcError(new TypeError('x is not a function'))).toBe(false);
    expect(isTransientRpcError(new Error('boom'))).toBe(false);
  });
});
