import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { WaiaasClient } from './client.js';
import { isWaiaasApiError, WaiaasApiError } from './errors.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Responder = (req: Recorded, res: ServerResponse) => void;

// A real HTTP server (not a fetch mock): the client's requests go over a socket and each
// test scripts the answer, then asserts what arrived.
let server: Server;
let baseUrl: string;
let requests: Recorded[] = [];
let respond: Responder = (_req, res) => res.writeHead(500).end();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      respond(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  requests = [];
});

function json(status: number, body: unknown, headers: Record<string, string> = {}): Responder {
  return (_req, res) => {
    res
      .writeHead(status, { 'content-type': 'application/json', ...headers })
      .end(JSON.stringify(body));
  };
}

const problem = (status: number, code: string, extra: Record<string, unknown> = {}) => ({
  type: `https://waiaas.dev/problems/${code.toLowerCase()}`,
  title: 'Title',
  status,
  code,
  detail: `detail of ${code}`,
  instance: '/v1/x',
  requestId: 'req-1',
  ...extra,
});

const WALLET = '6c1f6d1e-0000-4000-8000-000000000001';

describe('requests', () => {
  it('console calls: owner-wide and spend queries, the CSRF header given at construction, 204 as void', async () => {
    respond = json(200, { transactions: [], nextCursor: null });
    const browser = new WaiaasClient({ baseUrl, headers: { 'x-csrf-token': 'csrf-1' } });
    await browser.listOwnerTransactions({ status: 'AWAITING_APPROVAL', limit: 10 });
    respond = json(200, { spend: { walletId: WALLET } });
    await browser.getWalletSpend(WALLET, { days: 7 });
    respond = (_req, res) => res.writeHead(204).end();
    await expect(browser.deleteConsoleSession()).resolves.toBeUndefined();
    respond = json(200, { deliveries: [] });
    await browser.listWebhookDeliveries({ limit: 5 });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v1/transactions?status=AWAITING_APPROVAL&limit=10',
      `GET /v1/wallets/${WALLET}/spend?days=7`,
      'DELETE /v1/console/session',
      'GET /v1/webhook/deliveries?limit=5',
    ]);
    expect(requests.every((r) => r.headers['x-csrf-token'] === 'csrf-1')).toBe(true);
    expect(requests.every((r) => r.headers.authorization === undefined)).toBe(true);

    requests = [];
    respond = json(201, { session: { ownerId: 'o1', expiresAt: 'x', csrfToken: 'c' } });
    const owner = new WaiaasClient({ baseUrl, apiKey: 'waiaas_owner_k' });
    expect((await owner.createConsoleSession()).session.csrfToken).toBe('c');
    expect(requests[0]).toMatchObject({
      method: 'POST',
      url: '/v1/console/session',
      headers: expect.objectContaining({ authorization: 'Bearer waiaas_owner_k' }),
    });
  });

  it('sends the bearer key, a JSON body and the route from the table', async () => {
    respond = json(201, { owner: { id: 'o1' }, apiKey: 'k' });
    const client = new WaiaasClient({ baseUrl: `${baseUrl}/`, apiKey: 'admin-token' });
    const created = await client.createOwner({ email: 'a@example.com', name: 'A' });
    expect(created.apiKey).toBe('k');
    const [req] = requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/v1/owners');
    expect(req?.headers.authorization).toBe('Bearer admin-token');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual({ email: 'a@example.com', name: 'A' });
  });

  it('fills and encodes path parameters, and sends no body on GET', async () => {
    respond = json(200, { grant: { walletId: WALLET, agentId: 'a/b', grantedAt: 'x' } });
    const client = new WaiaasClient({ baseUrl, apiKey: 'owner' });
    await client.grantAgent(WALLET, 'a/b');
    expect(requests[0]?.method).toBe('PUT');
    expect(requests[0]?.url).toBe(`/v1/wallets/${WALLET}/agents/a%2Fb`);
    respond = json(200, {
      balance: { lamports: '18446744073709551615', sol: '18446744073.709551615' },
    });
    const { balance } = await client.getBalance(WALLET);
    // Amounts stay strings: no precision lost beyond 2^53.
    expect(balance.lamports).toBe('18446744073709551615');
    expect(requests[1]?.method).toBe('GET');
    expect(requests[1]?.body).toBe('');
    expect(requests[1]?.headers['content-type']).toBeUndefined();
  });

  it('sends a generated Idempotency-Key on transfers, or the given one, and reports replays', async () => {
    respond = json(201, { transaction: { id: 't1', status: 'PENDING' } });
    const agent = new WaiaasClient({ baseUrl, apiKey: 'agent' });
    const first = await agent.createTransfer(WALLET, { to: 'Dest', amount: '0.25' });
    const generated = requests[0]?.headers['idempotency-key'];
    expect(typeof generated).toBe('string');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.idempotencyKey).toBe(generated);
    expect(first.replayed).toBe(false);
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({ to: 'Dest', amount: '0.25' });

    respond = json(
      201,
      { transaction: { id: 't1', status: 'PENDING' } },
      { 'idempotent-replayed': 'true' },
    );
    const again = await agent.createTransfer(
      WALLET,
      { to: 'Dest', amount: '0.25' },
      { idempotencyKey: 'my-key-1' },
    );
    expect(requests[1]?.headers['idempotency-key']).toBe('my-key-1');
    expect(again.replayed).toBe(true);
    // Two calls without a key get two different keys.
    await agent.createTransfer(WALLET, { to: 'Dest', amount: '0.25' });
    expect(requests[2]?.headers['idempotency-key']).not.toBe(generated);
  });

  it('passes list filters as query parameters and skips undefined ones', async () => {
    respond = json(200, { transactions: [], nextCursor: null });
    const client = new WaiaasClient({ baseUrl, apiKey: 'owner' });
    await client.listTransactions(WALLET, { status: 'CONFIRMED', limit: 10 });
    expect(requests[0]?.url).toBe(`/v1/wallets/${WALLET}/transactions?status=CONFIRMED&limit=10`);
    await client.listTransactions(WALLET);
    expect(requests[1]?.url).toBe(`/v1/wallets/${WALLET}/transactions`);
  });

  it('uses PATCH for agent updates and POST for key rotation, approve, reject and cancel', async () => {
    respond = json(200, { agent: { id: 'a' }, transaction: { id: 't' }, apiKey: 'k2' });
    const owner = new WaiaasClient({ baseUrl, apiKey: 'owner' });
    await owner.updateAgent('a', { status: 'SUSPENDED' });
    await owner.rotateAgentKey('a');
    await owner.approveTransaction('t');
    await owner.rejectTransaction('t');
    await owner.cancelTransaction('t');
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'PATCH /v1/agents/a',
      'POST /v1/agents/a/rotate-key',
      'POST /v1/transactions/t/approve',
      'POST /v1/transactions/t/reject',
      'POST /v1/transactions/t/cancel',
    ]);
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({ status: 'SUSPENDED' });
  });

  it('accepts 204 No Content', async () => {
    respond = (_req, res) => res.writeHead(204).end();
    const owner = new WaiaasClient({ baseUrl, apiKey: 'owner' });
    await expect(owner.revokeAgent(WALLET, 'a')).resolves.toBeUndefined();
    expect(requests[0]?.method).toBe('DELETE');
  });

  it('withApiKey keeps the base URL and switches the key', async () => {
    respond = json(200, { wallets: [] });
    const a = new WaiaasClient({ baseUrl, apiKey: 'one', headers: { 'x-extra': 'y' } });
    await a.withApiKey('two').listWallets();
    expect(requests[0]?.headers.authorization).toBe('Bearer two');
    expect(requests[0]?.headers['x-extra']).toBe('y');
  });
});

describe('errors', () => {
  it('turns a policy denial into a WaiaasApiError with status, code, problem and reasons', async () => {
    const reasons = [
      { code: 'PER_TX_LIMIT_EXCEEDED', limit: '1000000000', requested: '2000000000' },
    ];
    respond = (_req, res) => {
      res
        .writeHead(403, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify(problem(403, 'POLICY_DENIED', { reasons })));
    };
    const agent = new WaiaasClient({ baseUrl, apiKey: 'agent' });
    const error = await agent
      .createTransfer(WALLET, { to: 'D', amount: '2' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaiaasApiError);
    expect(isWaiaasApiError(error, 'POLICY_DENIED')).toBe(true);
    expect(isWaiaasApiError(error, 'NOT_FOUND')).toBe(false);
    const e = error as WaiaasApiError;
    expect(e.status).toBe(403);
    expect(e.code).toBe('POLICY_DENIED');
    expect(e.reasons).toEqual(reasons);
    expect(e.problem?.requestId).toBe('req-1');
    expect(e.request).toBe(`POST /v1/wallets/${WALLET}/transfers`);
    expect(e.message).toContain('POLICY_DENIED');
  });

  it('keeps validation issues of a 400', async () => {
    const errors = [{ path: 'amount', code: 'isString', message: 'amount must be a string' }];
    respond = json(400, problem(400, 'VALIDATION_FAILED', { errors }));
    const client = new WaiaasClient({ baseUrl, apiKey: 'k' });
    const e = (await client
      .evaluateTransfer(WALLET, { to: 'x', amount: '1' })
      .catch((x: unknown) => x)) as WaiaasApiError;
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.problem?.errors).toEqual(errors);
    expect(e.reasons).toEqual([]);
  });

  it('reports an error status without a problem document as UNEXPECTED_RESPONSE', async () => {
    respond = (_req, res) =>
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
    const client = new WaiaasClient({ baseUrl });
    const e = (await client.healthLive().catch((x: unknown) => x)) as WaiaasApiError;
    expect(e.code).toBe('UNEXPECTED_RESPONSE');
    expect(e.status).toBe(502);
    expect(e.problem).toBeNull();
  });

  it('reports a 200 that is not JSON as INVALID_RESPONSE', async () => {
    respond = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    const e = (await new WaiaasClient({ baseUrl })
      .healthLive()
      .catch((x: unknown) => x)) as WaiaasApiError;
    expect(e.code).toBe('INVALID_RESPONSE');
  });

  it('reports a refused connection as NETWORK_ERROR with no status', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const e = (await new WaiaasClient({ baseUrl: `http://127.0.0.1:${port}` })
      .healthLive()
      .catch((x: unknown) => x)) as WaiaasApiError;
    expect(e.code).toBe('NETWORK_ERROR');
    expect(e.status).toBeNull();
  });

  it('reports a server that never answers as TIMEOUT', async () => {
    // Its own server, so the hung connection does not disturb the shared one.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const e = (await new WaiaasClient({ baseUrl: url, timeoutMs: 200 })
        .healthLive()
        .catch((x: unknown) => x)) as WaiaasApiError;
      expect(e.code).toBe('TIMEOUT');
      expect(e.status).toBeNull();
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('waitForTransaction', () => {
  it('polls until a wanted status', async () => {
    const statuses = ['PENDING', 'SUBMITTED', 'CONFIRMED'];
    let i = 0;
    respond = (_req, res) => {
      const status = statuses[Math.min(i++, statuses.length - 1)];
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ transaction: { id: 't', status } }));
    };
    const tx = await new WaiaasClient({ baseUrl, apiKey: 'k' }).waitForTransaction('t', {
      intervalMs: 1,
    });
    expect(tx.status).toBe('CONFIRMED');
    expect(requests).toHaveLength(3);
    expect(requests.every((r) => r.url === '/v1/transactions/t')).toBe(true);
  });

  it('gives up with WAIT_TIMEOUT', async () => {
    respond = json(200, { transaction: { id: 't', status: 'PENDING' } });
    const e = (await new WaiaasClient({ baseUrl })
      .waitForTransaction('t', { timeoutMs: 0, intervalMs: 1 })
      .catch((x: unknown) => x)) as WaiaasApiError;
    expect(e.code).toBe('WAIT_TIMEOUT');
  });
});
