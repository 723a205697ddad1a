// Issue 12's hostile inputs, each pinned at the HTTP level against real services: refused
// with a 4xx problem+json carrying a stable code, nothing written (rows counted before/after).
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import {
  call,
  type CallResult,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  startHarness,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';

let h: Harness;
let owner: { id: string; key: string };
let agent: { id: string; key: string };
let wallet: { id: string; address: string };

async function counts(): Promise<Record<string, number>> {
  const p = h.prisma;
  const [transactions, idempotency, events, policies, owners, agents, wallets, keys, webhooks] =
    await Promise.all([
      p.transaction.count(),
      p.idempotencyRecord.count(),
      p.event.count(),
      p.walletPolicyVersion.count(),
      p.owner.count(),
      p.agent.count(),
      p.wallet.count(),
      p.localKey.count(),
      p.webhookEndpoint.count(),
    ]);
  return { transactions, idempotency, events, policies, owners, agents, wallets, keys, webhooks };
}

/** Sends raw bytes as the body (for encodings `fetch` would not produce). */
async function rawRequest(
  method: string,
  path: string,
  token: string,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<CallResult> {
  const response = await fetch(h.baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: new Uint8Array(body),
  });
  const text = await response.text();
  const out: Record<string, string> = {};
  response.headers.forEach((v, k) => (out[k] = v));
  return {
    status: response.status,
    headers: out,
    body: text !== '' && out['content-type']?.includes('json') ? JSON.parse(text) : text,
  };
}

/** Writes a raw HTTP/1.1 exchange on a socket and returns what came back. */
function rawHttp(request: string | Buffer): Promise<string> {
  const url = new URL(h.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
    socket.write(request);
  });
}

function parseRaw(text: string): { status: number; type: string; body: Record<string, unknown> } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const type = /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '';
  return { status, type, body: body === '' ? {} : (JSON.parse(body) as Record<string, unknown>) };
}

beforeAll(async () => {
  h = await startHarness();
  owner = await createOwner(h.app);
  agent = await createAgent(h.app, owner.key);
  wallet = await createWallet(h.app, owner.key);
  await grant(h.app, owner.key, wallet.id, agent.id);
  const r = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
    token: owner.key,
    body: { perTxLimit: '10', dailyLimit: '100' },
  });
  expect(r.status).toBe(200);
});

afterAll(async () => {
  await h.close();
});

describe('row 1 / 13: webhook targets (SSRF)', () => {
  const refused = [
    'http://127.0.0.1:3000/hooks',
    'http://localhost:5432/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://0.0.0.0/',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/',
    'http://100.64.0.1/',
    'http://[fd00::1]/',
    'http://224.0.0.1/',
    'http://metadata.google.internal/computeMetadata/v1/',
  ];

  it.each(refused)('refuses %s with 400 and stores nothing', async (url) => {
    const before = await counts();
    const r = await call(h.app, 'PUT', '/v1/webhook', { token: owner.key, body: { url } });
    expectProblem(r, 400, 'VALIDATION_FAILED');
    expect(r.body.errors).toEqual([expect.objectContaining({ path: 'url' })]);
    expect(await counts()).toEqual(before);
  });

  it('refuses user info in the URL and never stores it, not even in the audit log', async () => {
    const r = await call(h.app, 'PUT', '/v1/webhook', {
      token: owner.key,
      body: { url: 'https://user:s3cr3t@hooks.example.com/x' },
    });
    expectProblem(r, 400, 'VALIDATION_FAILED');
    expect(r.body.errors).toEqual([expect.objectContaining({ path: 'url', code: 'USERINFO' })]);
    const events = await h.prisma.event.findMany({ where: { type: 'webhook.updated' } });
    expect(JSON.stringify(events)).not.toContain('s3cr3t');
  });

  it('accepts a public https target', async () => {
    const r = await call(h.app, 'PUT', '/v1/webhook', {
      token: owner.key,
      body: { url: 'https://hooks.example.com/waiaas' },
    });
    expect(r.status).toBe(200);
  });

  it('accepts a private target when the operator allows it', async () => {
    const dev = await startHarness({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });
    try {
      const o = await createOwner(dev.app);
      const r = await call(dev.app, 'PUT', '/v1/webhook', {
        token: o.key,
        body: { url: 'http://127.0.0.1:8080/hooks' },
      });
      expect(r.status).toBe(200);
      const userinfo = await call(dev.app, 'PUT', '/v1/webhook', {
        token: o.key,
        body: { url: 'http://u:p@127.0.0.1:8080/hooks' },
      });
      expectProblem(userinfo, 400, 'VALIDATION_FAILED');
    } finally {
      await dev.close();
    }
  });
});

describe('row 5: NUL bytes and lone surrogates in free text', () => {
  const cases: [string, string, string, () => Record<string, unknown>][] = [
    ['wallet label', 'POST', '/v1/wallets', () => ({ label: 'a\u0000b' })],
    ['agent name', 'POST', '/v1/agents', () => ({ name: 'bot\u0000' })],
    ['agent description', 'POST', '/v1/agents', () => ({ name: 'b', description: '\u0000' })],
    ['webhook url', 'PUT', '/v1/webhook', () => ({ url: 'https://hooks.example.com/\u0000' })],
    ['lone surrogate label', 'POST', '/v1/wallets', () => ({ label: 'a\ud800b' })],
  ];
  it.each(cases)(
    '%s → 400 VALIDATION_FAILED, nothing written',
    async (_name, method, path, body) => {
      const before = await counts();
      const r = await call(h.app, method, path, { token: owner.key, body: body() });
      expectProblem(r, 400, 'VALIDATION_FAILED');
      expect(await counts()).toEqual(before);
    },
  );

  it('a NUL in a transfer memo or an owner name is refused too', async () => {
    const before = await counts();
    expectProblem(
      await call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers`, {
        token: agent.key,
        body: { to: RECIPIENT, amount: '0.01', memo: 'm\u0000' },
        headers: { 'idempotency-key': randomUUID() },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await call(h.app, 'POST', '/v1/owners', {
        token: h.config.auth.adminToken,
        body: { email: 'nul@example.com', name: 'x\u0000' },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expect(await counts()).toEqual(before);
  });
});

describe('row 6: deep nesting', () => {
  it.each([2_000, 20_000])('%i levels → 400 INVALID_JSON', async (depth) => {
    const before = await counts();
    const body = `{"label":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const r = await rawRequest('POST', '/v1/wallets', owner.key, Buffer.from(body));
    expectProblem(r, 400, 'INVALID_JSON');
    expect(await counts()).toEqual(before);
  });
});

describe('row 15: bytes that are not UTF-8', () => {
  it('a memo with invalid UTF-8 is refused (400), never sent as U+FFFD', async () => {
    const before = await counts();
    const body = Buffer.concat([
      Buffer.from(`{"to":"${RECIPIENT}","amount":"0.01","memo":"ab`),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}'),
    ]);
    const r = await rawRequest('POST', `/v1/wallets/${wallet.id}/transfers`, agent.key, body, {
      'idempotency-key': randomUUID(),
    });
    expectProblem(r, 400, 'INVALID_JSON');
    expect(await counts()).toEqual(before);
  });
});

describe('row 16: duplicate JSON keys', () => {
  it('"amount" twice → 400 naming the key, nothing evaluated or written', async () => {
    const before = await counts();
    const body = `{"to":"${RECIPIENT}","amount":"0.01","amount":"50"}`;
    const r = await rawRequest(
      'POST',
      `/v1/wallets/${wallet.id}/transfers`,
      agent.key,
      Buffer.from(body),
      {
        'idempotency-key': randomUUID(),
      },
    );
    expectProblem(r, 400, 'INVALID_JSON');
    expect(r.body.errors).toEqual([
      expect.objectContaining({ path: 'amount', code: 'DUPLICATE_KEY' }),
    ]);
    expect(await counts()).toEqual(before);
  });

  it('duplicates nested in a policy are refused too', async () => {
    const body =
      '{"perTxLimit":"1","dailyLimit":"2","metadata":{"maxTxPerHour":1,"maxTxPerHour":99}}';
    const r = await rawRequest(
      'PUT',
      `/v1/wallets/${wallet.id}/policy`,
      owner.key,
      Buffer.from(body),
    );
    expectProblem(r, 400, 'INVALID_JSON');
    expect(r.body.errors).toEqual([
      expect.objectContaining({ path: 'metadata.maxTxPerHour', code: 'DUPLICATE_KEY' }),
    ]);
  });

  it('prototype keys are refused as before', async () => {
    const r = await rawRequest(
      'POST',
      '/v1/agents',
      owner.key,
      Buffer.from('{"name":"x","__proto__":{"admin":true}}'),
    );
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('row 14: contradictory policies', () => {
  it.each([
    [{ perTxLimit: '5', dailyLimit: '1' }, ['perTxLimit', 'dailyLimit']],
    [
      {
        perTxLimit: '1',
        dailyLimit: '10',
        requiresApproval: true,
        metadata: { approvalThreshold: '2' },
      },
      ['metadata.approvalThreshold', 'perTxLimit'],
    ],
    [
      {
        perTxLimit: '1',
        dailyLimit: '2',
        allowedAssets: ['EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v'],
        metadata: {
          tokenLimits: {
            EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v: {
              perTx: '100',
              daily: '10',
              decimals: 6,
            },
          },
        },
      },
      [
        'metadata.tokenLimits.EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v.perTx',
        'metadata.tokenLimits.EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v.daily',
      ],
    ],
  ])('%j → 400 POLICY_INVALID naming %j', async (body, fields) => {
    const before = await counts();
    const r = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body,
    });
    expectProblem(r, 400, 'POLICY_INVALID');
    const issue = (r.body.errors as { path: string; code: string; fields?: string[] }[]).find(
      (e) => e.code === 'CONTRADICTORY_LIMITS',
    );
    expect(issue?.fields).toEqual(fields);
    expect(await counts()).toEqual(before);
  });

  it('consistent limits (equal ones included) are accepted', async () => {
    const r = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: {
        perTxLimit: '10',
        dailyLimit: '10',
        requiresApproval: true,
        metadata: { approvalThreshold: '10' },
      },
    });
    expect(r.status).toBe(200);
  });
});

describe('row 10: framework errors are problem+json and never echo unbounded input', () => {
  const long = 'a'.repeat(5_000);

  it('404 for an unknown route does not echo the path', async () => {
    const r = await call(h.app, 'GET', `/v1/${long}`, { token: owner.key });
    expectProblem(r, 404, 'ROUTE_NOT_FOUND');
    expect(JSON.stringify(r.body).length).toBeLessThan(1_000);
  });

  it('405 with Allow for a known path and another method', async () => {
    const r = await call(h.app, 'DELETE', '/v1/owners', { token: owner.key });
    expectProblem(r, 405, 'METHOD_NOT_ALLOWED');
    expect(r.headers.allow).toBe('POST');
  });

  it('414 for an over-long path parameter, echoing a bounded part at most', async () => {
    const r = await call(h.app, 'GET', `/v1/wallets/${'b'.repeat(600)}`, { token: owner.key });
    expectProblem(r, 414, 'URI_TOO_LONG');
    expect(JSON.stringify(r.body).length).toBeLessThan(1_000);
  });

  it('400 for a URL that does not decode', async () => {
    const r = await call(h.app, 'GET', '/v1/wallets/%E0%A4%A', { token: owner.key });
    expectProblem(r, 400, 'BAD_REQUEST');
  });

  it('431 for headers that are too large', async () => {
    const text = await rawHttp(
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`,
    );
    const r = parseRaw(text);
    expect(r.status).toBe(431);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.body.code).toBe('HEADERS_TOO_LARGE');
  });

  it('400 for a request line the HTTP parser rejects', async () => {
    const r = parseRaw(await rawHttp('GARBAGE\r\n\r\n'));
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.body.code).toBe('BAD_REQUEST');
  });

  it('503 problem+json for a request that arrives while the server shuts down', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = await startHarness(
      {},
      {
        custody: () => ({
          kind: 'LOCAL',
          createWallet: async () => {
            await gate;
            throw new Error('unused');
          },
          signMessage: () => Promise.reject(new Error('unused')),
        }),
      },
    );
    try {
      const o = await createOwner(slow.app);
      const url = new URL(slow.baseUrl);
      const socket = connect(Number(url.port), url.hostname);
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise<void>((r) => socket.on('close', () => r()));
      const req = (body: string) =>
        `POST /v1/wallets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${o.key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      socket.write(req('{}'));
      await new Promise((r) => setTimeout(r, 200));
      const closing = slow.app.close();
      await new Promise((r) => setTimeout(r, 100));
      socket.write(req('{}'));
      await new Promise((r) => setTimeout(r, 100));
      release();
      await Promise.race([ended, new Promise((r) => setTimeout(r, 5_000))]);
      socket.destroy();
      await closing;
      const responses = Buffer.concat(chunks).toString('utf8');
      const second = responses.slice(responses.indexOf('HTTP/1.1', 1));
      const parsed = parseRaw(second);
      expect(parsed.status).toBe(503);
      expect(parsed.type).toMatch(/^application\/problem\+json/);
      expect(parsed.body.code).toBe('SHUTTING_DOWN');
    } finally {
      release();
      await slow.close().catch(() => undefined);
    }
  });
});

describe('row 11: unhandled errors are logged with their cause', () => {
  it('logs the message and stack of a 500 server-side, and sends neither', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const broken = await startHarness(
      {},
      {
        custody: () => ({
          kind: 'LOCAL',
          createWallet: () => Promise.reject(new TypeError('boom at /srv/secret.js:12')),
          signMessage: () => Promise.reject(new Error('unused')),
        }),
        logger: pino({ level: 'info' }, sink),
      },
    );
    try {
      const o = await createOwner(broken.app);
      const r = await call(broken.app, 'POST', '/v1/wallets', { token: o.key, body: {} });
      expectProblem(r, 500, 'INTERNAL');
      expect(JSON.stringify(r.body)).not.toContain('boom');
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const entry = logged.find((l) => String(l.msg).startsWith('unhandled error'));
      expect(entry?.msg).toContain('TypeError: boom at /srv/secret.js:12');
      expect(entry?.err).toEqual(
        expect.objectContaining({
          type: 'TypeError',
          message: 'boom at /srv/secret.js:12',
          stack: expect.stringContaining('TypeError: boom'),
        }),
      );
      expect(entry?.requestId).toBe(r.body.requestId);
    } finally {
      await broken.close();
    }
  });
});

describe('row 5: key creation and wallet row are one unit', () => {
  it('a wallet insert that fails leaves no encrypted key behind', async () => {
    await h.prisma.$executeRawUnsafe(
      `CREATE FUNCTION hostile_refuse_wallet() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`,
    );
    await h.prisma.$executeRawUnsafe(
      'CREATE TRIGGER hostile_refuse_wallet BEFORE INSERT ON wallets FOR EACH ROW EXECUTE FUNCTION hostile_refuse_wallet()',
    );
    try {
      const before = await counts();
      const r = await call(h.app, 'POST', '/v1/wallets', {
        token: owner.key,
        body: { label: 'x' },
      });
      expect(r.status).toBe(500);
      expect(await counts()).toEqual(before);
    } finally {
      await h.prisma.$executeRawUnsafe('DROP TRIGGER hostile_refuse_wallet ON wallets');
      await h.prisma.$executeRawUnsafe('DROP FUNCTION hostile_refuse_wallet()');
    }
    const ok = await call(h.app, 'POST', '/v1/wallets', { token: owner.key, body: { label: 'y' } });
    expect(ok.status).toBe(201);
    expect(await h.prisma.localKey.count({ where: { address: ok.body.wallet.address } })).toBe(1);
  });
});
