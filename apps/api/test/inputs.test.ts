// Hostile and malformed inputs: each is refused with a 4xx problem+json carrying a stable code,
// and nothing is written (rows counted before and after).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ADMIN_TOKEN,
  call,
  type CallOptions,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  startHarness,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
const NOT_A_MINT = 'So11111111111111111111111111111111111111113';

let h: Harness;
let owner: { id: string; key: string };
let agent: { id: string; key: string };
let wallet: { id: string; address: string };

async function counts(): Promise<Record<string, number>> {
  const [transactions, idempotency, events, policyVersions, owners, agents, wallets, webhooks] =
    await Promise.all([
      h.prisma.transaction.count(),
      h.prisma.idempotencyRecord.count(),
      h.prisma.event.count(),
      h.prisma.walletPolicyVersion.count(),
      h.prisma.owner.count(),
      h.prisma.agent.count(),
      h.prisma.wallet.count(),
      h.prisma.webhookEndpoint.count(),
    ]);
  return { transactions, idempotency, events, policyVersions, owners, agents, wallets, webhooks };
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

interface Case {
  name: string;
  options: Omit<CallOptions, 'token'>;
  status: number;
  code: string;
}

const transferBody = (over: Record<string, unknown>) => ({
  body: { to: RECIPIENT, amount: '0.1', ...over },
  headers: { 'idempotency-key': randomUUID() },
});
/** A list cursor as the API encodes one (base64url JSON of the last row's instant and id). */
const cursorOf = (c: string, i: string) =>
  Buffer.from(JSON.stringify({ c, i }), 'utf8').toString('base64url');

const HUGE = JSON.stringify({ to: RECIPIENT, amount: '0.1', memo: 'x'.repeat(70 * 1024) });

const TRANSFER_CASES: Case[] = [
  {
    name: 'negative amount',
    options: transferBody({ amount: '-1' }),
    status: 400,
    code: 'AMOUNT_INVALID',
  },
  {
    name: 'zero amount',
    options: transferBody({ amount: '0' }),
    status: 400,
    code: 'AMOUNT_INVALID',
  },
  {
    name: 'zero with decimals',
    options: transferBody({ amount: '0.000' }),
    status: 400,
    code: 'AMOUNT_INVALID',
  },
  {
    name: 'exponent',
    options: transferBody({ amount: '1e3' }),
    status: 400,
    code: 'AMOUNT_INVALID',
  },
  {
    name: 'too many decimals',
    options: transferBody({ amount: '0.0000000001' }),
    status: 400,
    code: 'AMOUNT_PRECISION_EXCEEDED',
  },
  {
    name: 'above u64 base units',
    options: transferBody({ amount: '18446744073.709551616' }),
    status: 400,
    code: 'AMOUNT_INVALID',
  },
  {
    name: 'hex amount',
    options: transferBody({ amount: '0x10' }),
    status: 400,
    code: 'AMOUNT_INVALID',
  },
  {
    name: 'whitespace in amount',
    options: transferBody({ amount: ' 1' }),
    status: 400,
    code: 'AMOUNT_INVALID',
  },
  {
    name: 'amount as a JSON number',
    options: transferBody({ amount: 0.5 }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'non-base58 recipient',
    options: transferBody({ to: '0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OI' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'wrong-length recipient',
    options: transferBody({ to: 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFs' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'missing recipient',
    options: transferBody({ to: undefined }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'non-base58 mint',
    options: transferBody({ mint: 'not a mint' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'address that is not a mint',
    options: transferBody({ mint: NOT_A_MINT }),
    status: 400,
    code: 'MINT_NOT_FOUND',
  },
  {
    name: 'unknown field',
    options: transferBody({ fee: '0' }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'memo too long',
    options: transferBody({ memo: 'x'.repeat(257) }),
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'array body',
    options: { raw: '[]', headers: { 'content-type': 'application/json', 'idempotency-key': 'a' } },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'null body',
    options: {
      raw: 'null',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'b' },
    },
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'broken JSON',
    options: {
      raw: '{"to":',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'c' },
    },
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'huge body',
    options: { raw: HUGE, headers: { 'content-type': 'application/json', 'idempotency-key': 'd' } },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'text/plain body',
    options: {
      raw: JSON.stringify({ to: RECIPIENT, amount: '0.1' }),
      headers: { 'content-type': 'text/plain', 'idempotency-key': 'e' },
    },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'form body',
    options: {
      raw: `to=${RECIPIENT}&amount=0.1`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'f' },
    },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'missing Idempotency-Key',
    options: { body: { to: RECIPIENT, amount: '0.1' } },
    status: 400,
    code: 'IDEMPOTENCY_KEY_REQUIRED',
  },
  {
    name: 'Idempotency-Key over 255 characters',
    options: {
      body: { to: RECIPIENT, amount: '0.1' },
      headers: { 'idempotency-key': 'k'.repeat(256) },
    },
    status: 400,
    code: 'IDEMPOTENCY_KEY_INVALID',
  },
];

describe('hostile transfer requests', () => {
  it.each(TRANSFER_CASES)(
    '$name → $status $code, nothing written',
    async ({ options, status, code }) => {
      const before = await counts();
      const r = await call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers`, {
        token: agent.key,
        ...options,
      });
      expectProblem(r, status, code);
      expect(await counts()).toEqual(before);
    },
  );

  it('the same hostile inputs are refused by evaluate', async () => {
    for (const c of TRANSFER_CASES.filter(
      (x) => x.code.startsWith('AMOUNT') || x.code === 'VALIDATION_FAILED',
    )) {
      const r = await call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers/evaluate`, {
        token: owner.key,
        ...c.options,
      });
      expectProblem(r, c.status, c.code);
    }
  });

  it('a malformed or unknown wallet id', async () => {
    expectProblem(
      await call(h.app, 'POST', '/v1/wallets/not-a-uuid/transfers', {
        token: agent.key,
        ...transferBody({}),
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await call(h.app, 'POST', `/v1/wallets/${randomUUID()}/transfers`, {
        token: agent.key,
        ...transferBody({}),
      }),
      404,
      'NOT_FOUND',
    );
  });

  it('validation errors name the field', async () => {
    const r = await call(h.app, 'POST', `/v1/wallets/${wallet.id}/transfers`, {
      token: agent.key,
      ...transferBody({ to: 'x', extra: 1 }),
    });
    expectProblem(r, 400, 'VALIDATION_FAILED');
    expect((r.body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual([
      'extra',
      'to',
    ]);
  });
});

const policy = (over: Record<string, unknown>) => ({
  body: { perTxLimit: '1', dailyLimit: '2', ...over },
});

const POLICY_CASES: Case[] = [
  {
    name: 'negative limit',
    options: policy({ perTxLimit: '-1' }),
    status: 400,
    code: 'POLICY_INVALID',
  },
  { name: 'exponent', options: policy({ dailyLimit: '1e3' }), status: 400, code: 'POLICY_INVALID' },
  {
    name: 'too many decimals',
    options: policy({ perTxLimit: '0.0000000001' }),
    status: 400,
    code: 'POLICY_INVALID',
  },
  {
    name: 'above u64 lamports',
    options: policy({ dailyLimit: '18446744073.709551616' }),
    status: 400,
    code: 'POLICY_INVALID',
  },
  {
    name: 'limit as a JSON number',
    options: policy({ perTxLimit: 1 }),
    status: 400,
    code: 'POLICY_INVALID',
  },
  {
    name: 'unknown field',
    options: policy({ perTxLimt: '1' }),
    status: 400,
    code: 'POLICY_INVALID',
  },
  {
    name: 'unknown metadata key',
    options: policy({ metadata: { maxTxPerHr: 5 } }),
    status: 400,
    code: 'POLICY_INVALID',
  },
  {
    name: 'non-base58 allowed address',
    options: policy({ allowedAddresses: ['0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OI'] }),
    status: 400,
    code: 'POLICY_INVALID',
  },
  {
    name: 'wrong-length allowed address',
    options: policy({ allowedAddresses: ['abc'] }),
    status: 400,
    code: 'POLICY_INVALID',
  },
  { name: 'missing limits', options: { body: {} }, status: 400, code: 'POLICY_INVALID' },
  {
    name: 'array body',
    options: { raw: '[]', headers: { 'content-type': 'application/json' } },
    status: 400,
    code: 'POLICY_INVALID',
  },
  { name: 'no body', options: {}, status: 400, code: 'POLICY_INVALID' },
  {
    name: 'broken JSON',
    options: { raw: '{"perTxLimit":', headers: { 'content-type': 'application/json' } },
    status: 400,
    code: 'INVALID_JSON',
  },
  {
    name: 'huge body',
    options: {
      raw: JSON.stringify({
        perTxLimit: '1',
        dailyLimit: '2',
        allowedAddresses: Array(2000).fill(RECIPIENT),
      }),
      headers: { 'content-type': 'application/json' },
    },
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'text/plain body',
    options: {
      raw: '{"perTxLimit":"1","dailyLimit":"2"}',
      headers: { 'content-type': 'text/plain' },
    },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
];

describe('hostile policies', () => {
  it.each(POLICY_CASES)(
    '$name → $status $code, nothing written',
    async ({ options, status, code }) => {
      const before = await counts();
      const r = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
        token: owner.key,
        ...options,
      });
      expectProblem(r, status, code);
      expect(await counts()).toEqual(before);
      const current = await call(h.app, 'GET', `/v1/wallets/${wallet.id}/policy`, {
        token: owner.key,
      });
      expect(current.body.policy).toEqual(
        expect.objectContaining({ version: 1, perTxLimit: '10', dailyLimit: '100' }),
      );
    },
  );

  it('lists every issue with its path and code', async () => {
    const r = await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: { perTxLimit: '-1', dailyLimit: '1e3', bogus: true },
    });
    expectProblem(r, 400, 'POLICY_INVALID');
    expect(
      (r.body.errors as { path: string; code: string }[]).map((e) => `${e.path}:${e.code}`).sort(),
    ).toEqual(['bogus:UNKNOWN_KEY', 'dailyLimit:AMOUNT_EXPONENT', 'perTxLimit:AMOUNT_SIGN'].sort());
  });
});

describe('validation and not-found on every other endpoint', () => {
  const cases: [string, string, string, CallOptions, number, string][] = [];
  beforeAll(() => {
    const o = owner.key;
    cases.push(
      [
        'owner: bad email',
        'POST',
        '/v1/owners',
        { token: ADMIN_TOKEN, body: { email: 'not-an-email' } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'owner: unknown field',
        'POST',
        '/v1/owners',
        { token: ADMIN_TOKEN, body: { email: 'a@b.co', role: 'admin' } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'agent: empty name',
        'POST',
        '/v1/agents',
        { token: o, body: { name: '' } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'agent: bad status',
        'PATCH',
        `/v1/agents/${agent.id}`,
        { token: o, body: { status: 'DELETED' } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'agent: unknown',
        'PATCH',
        `/v1/agents/${randomUUID()}`,
        { token: o, body: { name: 'x' } },
        404,
        'NOT_FOUND',
      ],
      [
        'agent: malformed id',
        'POST',
        '/v1/agents/123/rotate-key',
        { token: o },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'agent: rotate unknown',
        'POST',
        `/v1/agents/${randomUUID()}/rotate-key`,
        { token: o },
        404,
        'NOT_FOUND',
      ],
      [
        'wallet: label too long',
        'POST',
        '/v1/wallets',
        { token: o, body: { label: 'x'.repeat(201) } },
        400,
        'VALIDATION_FAILED',
      ],
      ['wallet: unknown', 'GET', `/v1/wallets/${randomUUID()}`, { token: o }, 404, 'NOT_FOUND'],
      [
        'wallet: balance of unknown',
        'GET',
        `/v1/wallets/${randomUUID()}/balance`,
        { token: o },
        404,
        'NOT_FOUND',
      ],
      [
        'grant: unknown agent',
        'PUT',
        `/v1/wallets/${wallet.id}/agents/${randomUUID()}`,
        { token: o },
        404,
        'NOT_FOUND',
      ],
      [
        'grant: malformed agent id',
        'PUT',
        `/v1/wallets/${wallet.id}/agents/x`,
        { token: o },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'revoke: not granted',
        'DELETE',
        `/v1/wallets/${wallet.id}/agents/${randomUUID()}`,
        { token: o },
        404,
        'NOT_FOUND',
      ],
      [
        'policy: unknown wallet',
        'GET',
        `/v1/wallets/${randomUUID()}/policy`,
        { token: o },
        404,
        'NOT_FOUND',
      ],
      [
        'transactions: limit above 100',
        'GET',
        `/v1/wallets/${wallet.id}/transactions?limit=101`,
        { token: o },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'transactions: bad status',
        'GET',
        `/v1/wallets/${wallet.id}/transactions?status=LOST`,
        { token: o },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'transactions: bad cursor',
        'GET',
        `/v1/wallets/${wallet.id}/transactions?cursor=abc`,
        { token: o },
        400,
        'VALIDATION_FAILED',
      ],
      // Cursors that look right to JavaScript but not to PostgreSQL: an id of hyphens only,
      // an instant before the earliest timestamp PostgreSQL stores (4713 BC).
      ...(['/v1/wallets/' + wallet.id + '/transactions', '/v1/transactions'] as const).flatMap(
        (path): (typeof cases)[number][] => [
          [
            `${path}: cursor id not a uuid`,
            'GET',
            `${path}?cursor=${cursorOf(new Date().toISOString(), '-'.repeat(36))}`,
            { token: o },
            400,
            'VALIDATION_FAILED',
          ],
          [
            `${path}: cursor before PostgreSQL's time`,
            'GET',
            `${path}?cursor=${cursorOf('-271821-04-20T00:00:00.000Z', randomUUID())}`,
            { token: o },
            400,
            'VALIDATION_FAILED',
          ],
        ],
      ),
      [
        'transactions: unknown query parameter',
        'GET',
        `/v1/wallets/${wallet.id}/transactions?sort=asc`,
        { token: o },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'transaction: unknown',
        'GET',
        `/v1/transactions/${randomUUID()}`,
        { token: o },
        404,
        'NOT_FOUND',
      ],
      [
        'approve: unknown',
        'POST',
        `/v1/transactions/${randomUUID()}/approve`,
        { token: o },
        404,
        'NOT_FOUND',
      ],
      [
        'reject: unknown',
        'POST',
        `/v1/transactions/${randomUUID()}/reject`,
        { token: o },
        404,
        'NOT_FOUND',
      ],
      [
        'webhook: ftp url',
        'PUT',
        '/v1/webhook',
        { token: o, body: { url: 'ftp://example.com/x' } },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'webhook: javascript url',
        'PUT',
        '/v1/webhook',
        { token: o, body: { url: 'javascript:alert(1)' } },
        400,
        'VALIDATION_FAILED',
      ],
      ['webhook: not set', 'GET', '/v1/webhook', { token: o }, 404, 'NOT_FOUND'],
      ['unknown route', 'GET', '/v1/nothing-here', { token: o }, 404, 'ROUTE_NOT_FOUND'],
      [
        'bad authorization scheme',
        'GET',
        '/v1/wallets',
        { headers: { authorization: `Basic ${o}` } },
        401,
        'UNAUTHENTICATED',
      ],
    );
  });

  it('each is a problem+json with a stable code, nothing written', async () => {
    for (const [name, method, path, options, status, code] of cases) {
      const before = await counts();
      const r = await call(h.app, method, path, options);
      try {
        expectProblem(r, status, code);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`, { cause: e });
      }
      expect({ name, counts: await counts() }).toEqual({ name, counts: before });
    }
  });

  it('an email can own one owner only (409 EMAIL_TAKEN, case-insensitive)', async () => {
    const first = await call(h.app, 'POST', '/v1/owners', {
      token: ADMIN_TOKEN,
      body: { email: 'Dup@Example.com' },
    });
    expect(first.status).toBe(201);
    expect(first.body.owner.email).toBe('dup@example.com');
    const before = await counts();
    expectProblem(
      await call(h.app, 'POST', '/v1/owners', {
        token: ADMIN_TOKEN,
        body: { email: 'dup@example.com' },
      }),
      409,
      'EMAIL_TAKEN',
    );
    expect(await counts()).toEqual(before);
  });

  it('a policy is required before anything can be sent', async () => {
    const bare = await createWallet(h.app, owner.key);
    expectProblem(
      await call(h.app, 'GET', `/v1/wallets/${bare.id}/policy`, { token: owner.key }),
      404,
      'NOT_FOUND',
    );
    await grant(h.app, owner.key, bare.id, agent.id);
    const r = await call(h.app, 'POST', `/v1/wallets/${bare.id}/transfers/evaluate`, {
      token: agent.key,
      body: { to: RECIPIENT, amount: '0.1' },
    });
    expect(r.body.decision).toEqual({
      outcome: 'DENY',
      reasons: [expect.objectContaining({ code: 'NO_POLICY' })],
    });
  });
});

describe('request ids', () => {
  it('honours a sane x-request-id, echoes it, and puts it in problems', async () => {
    const r = await call(h.app, 'GET', `/v1/wallets/${randomUUID()}`, {
      token: owner.key,
      headers: { 'x-request-id': 'trace-123' },
    });
    expect(r.headers['x-request-id']).toBe('trace-123');
    expect(r.body.requestId).toBe('trace-123');
    const bad = await call(h.app, 'GET', '/health/live', {
      headers: { 'x-request-id': 'x'.repeat(300) },
    });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
