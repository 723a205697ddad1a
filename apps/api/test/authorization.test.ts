// The authorization matrix: every endpoint × every kind of caller. A caller either succeeds,
// is refused for its kind (403 FORBIDDEN), or cannot see the resource (404 NOT_FOUND, never a
// 403 that would leak existence). Dead or suspended keys are refused everywhere.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ADMIN_TOKEN,
  call,
  createAgent,
  createOwner,
  createWallet,
  expectProblem,
  grant,
  type Harness,
  startHarness,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';

type Caller = 'operator' | 'owner' | 'otherOwner' | 'grantedAgent' | 'ungrantedAgent';
type Refused = 'anonymous' | 'suspendedAgent' | 'revokedAgent' | 'rotatedAwayKey' | 'unknownKey';

interface World {
  keys: Record<Caller | Refused, string | undefined>;
  ownerKey: string;
  walletId: string;
  approvalWalletId: string;
  grantedAgentKey: string;
  spareAgentId: string;
  transactionId: string;
}

interface Endpoint {
  name: string;
  method: string;
  path: (w: World) => string | Promise<string>;
  body?: () => unknown;
  headers?: () => Record<string, string>;
  /** Expected status per caller kind. */
  expect: Record<Caller, number>;
}

let h: Harness;
let w: World;

async function awaitingApproval(): Promise<string> {
  const r = await call(h.app, 'POST', `/v1/wallets/${w.approvalWalletId}/transfers`, {
    token: w.grantedAgentKey,
    body: { to: RECIPIENT, amount: '0.01' },
    headers: { 'idempotency-key': randomBytes(8).toString('hex') },
  });
  if (r.status !== 201 || r.body.transaction.status !== 'AWAITING_APPROVAL')
    throw new Error(JSON.stringify(r.body));
  return r.body.transaction.id as string;
}

beforeAll(async () => {
  h = await startHarness();
  const owner = await createOwner(h.app);
  const other = await createOwner(h.app);
  const wallet = await createWallet(h.app, owner.key);
  const approvalWallet = await createWallet(h.app, owner.key);
  const granted = await createAgent(h.app, owner.key, 'granted');
  const ungranted = await createAgent(h.app, owner.key, 'ungranted');
  const suspended = await createAgent(h.app, owner.key, 'suspended');
  const revoked = await createAgent(h.app, owner.key, 'revoked');
  const rotated = await createAgent(h.app, owner.key, 'rotated');
  const spare = await createAgent(h.app, owner.key, 'spare');
  for (const a of [granted, suspended, revoked, rotated]) {
    await grant(h.app, owner.key, wallet.id, a.id);
    await grant(h.app, owner.key, approvalWallet.id, a.id);
  }
  await call(h.app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
    token: owner.key,
    body: { perTxLimit: '1', dailyLimit: '1000' },
  });
  await call(h.app, 'PUT', `/v1/wallets/${approvalWallet.id}/policy`, {
    token: owner.key,
    body: { perTxLimit: '1', dailyLimit: '1000', requiresApproval: true },
  });
  await call(h.app, 'PUT', '/v1/webhook', {
    token: other.key,
    body: { url: 'https://other.example.com/hook' },
  });
  await call(h.app, 'PUT', '/v1/webhook', {
    token: owner.key,
    body: { url: 'https://owner.example.com/hook' },
  });
  // Each refused agent makes one successful call first, so its metadata is cached: the
  // refusal must come from invalidation, not from a cold cache.
  for (const a of [suspended, revoked, rotated])
    expect((await call(h.app, 'GET', `/v1/wallets/${wallet.id}`, { token: a.key })).status).toBe(
      200,
    );
  expect(
    (
      await call(h.app, 'PATCH', `/v1/agents/${suspended.id}`, {
        token: owner.key,
        body: { status: 'SUSPENDED' },
      })
    ).status,
  ).toBe(200);
  expect(
    (
      await call(h.app, 'PATCH', `/v1/agents/${revoked.id}`, {
        token: owner.key,
        body: { status: 'REVOKED' },
      })
    ).status,
  ).toBe(200);
  expect(
    (await call(h.app, 'POST', `/v1/agents/${rotated.id}/rotate-key`, { token: owner.key })).status,
  ).toBe(200);

  w = {
    keys: {
      operator: ADMIN_TOKEN,
      owner: owner.key,
      otherOwner: other.key,
      grantedAgent: granted.key,
      ungrantedAgent: ungranted.key,
      anonymous: undefined,
      suspendedAgent: suspended.key,
      revokedAgent: revoked.key,
      rotatedAwayKey: rotated.key,
      unknownKey: `waiaas_agent_${'1'.repeat(44)}`,
    },
    ownerKey: owner.key,
    walletId: wallet.id,
    approvalWalletId: approvalWallet.id,
    grantedAgentKey: granted.key,
    spareAgentId: spare.id,
    transactionId: '',
  };
  w.transactionId = await awaitingApproval();
});

afterAll(async () => {
  await h.close();
});

const ENDPOINTS: Endpoint[] = [
  {
    name: 'create owner',
    method: 'POST',
    path: () => '/v1/owners',
    body: () => ({ email: `${randomBytes(4).toString('hex')}@example.com` }),
    expect: { operator: 201, owner: 403, otherOwner: 403, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'create agent',
    method: 'POST',
    path: () => '/v1/agents',
    body: () => ({ name: 'x' }),
    expect: { operator: 403, owner: 201, otherOwner: 201, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'list agents',
    method: 'GET',
    path: () => '/v1/agents',
    expect: { operator: 403, owner: 200, otherOwner: 200, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'read agent',
    method: 'GET',
    path: (x) => `/v1/agents/${x.spareAgentId}`,
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'rename agent',
    method: 'PATCH',
    path: (x) => `/v1/agents/${x.spareAgentId}`,
    body: () => ({ name: 'renamed' }),
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'rotate agent key',
    method: 'POST',
    path: (x) => `/v1/agents/${x.spareAgentId}/rotate-key`,
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'create wallet',
    method: 'POST',
    path: () => '/v1/wallets',
    body: () => ({}),
    expect: { operator: 403, owner: 201, otherOwner: 201, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'grant agent',
    method: 'PUT',
    path: (x) => `/v1/wallets/${x.walletId}/agents/${x.spareAgentId}`,
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'revoke agent',
    method: 'DELETE',
    path: async (x) => {
      await grant(h.app, x.ownerKey, x.walletId, x.spareAgentId);
      return `/v1/wallets/${x.walletId}/agents/${x.spareAgentId}`;
    },
    expect: { operator: 403, owner: 204, otherOwner: 404, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'list wallets',
    method: 'GET',
    path: () => '/v1/wallets',
    expect: { operator: 403, owner: 200, otherOwner: 200, grantedAgent: 200, ungrantedAgent: 200 },
  },
  {
    name: 'read wallet',
    method: 'GET',
    path: (x) => `/v1/wallets/${x.walletId}`,
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 200, ungrantedAgent: 404 },
  },
  {
    name: 'set policy',
    method: 'PUT',
    path: (x) => `/v1/wallets/${x.walletId}/policy`,
    body: () => ({ perTxLimit: '1', dailyLimit: '1000' }),
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'read policy',
    method: 'GET',
    path: (x) => `/v1/wallets/${x.walletId}/policy`,
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 200, ungrantedAgent: 404 },
  },
  {
    name: 'balance',
    method: 'GET',
    path: (x) => `/v1/wallets/${x.walletId}/balance`,
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 200, ungrantedAgent: 404 },
  },
  {
    name: 'transfer',
    method: 'POST',
    path: (x) => `/v1/wallets/${x.walletId}/transfers`,
    body: () => ({ to: RECIPIENT, amount: '0.001' }),
    headers: () => ({ 'idempotency-key': randomBytes(8).toString('hex') }),
    expect: { operator: 403, owner: 403, otherOwner: 403, grantedAgent: 201, ungrantedAgent: 404 },
  },
  {
    name: 'evaluate',
    method: 'POST',
    path: (x) => `/v1/wallets/${x.walletId}/transfers/evaluate`,
    body: () => ({ to: RECIPIENT, amount: '0.001' }),
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 200, ungrantedAgent: 404 },
  },
  {
    name: 'read transaction',
    method: 'GET',
    path: (x) => `/v1/transactions/${x.transactionId}`,
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 200, ungrantedAgent: 404 },
  },
  {
    name: 'list transactions',
    method: 'GET',
    path: (x) => `/v1/wallets/${x.walletId}/transactions`,
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 200, ungrantedAgent: 404 },
  },
  {
    name: 'approve',
    method: 'POST',
    path: async () => `/v1/transactions/${await awaitingApproval()}/approve`,
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'reject',
    method: 'POST',
    path: async () => `/v1/transactions/${await awaitingApproval()}/reject`,
    expect: { operator: 403, owner: 200, otherOwner: 404, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'set webhook',
    method: 'PUT',
    path: () => '/v1/webhook',
    body: () => ({ url: 'https://example.com/h' }),
    expect: { operator: 403, owner: 200, otherOwner: 200, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'read webhook',
    method: 'GET',
    path: () => '/v1/webhook',
    expect: { operator: 403, owner: 200, otherOwner: 200, grantedAgent: 403, ungrantedAgent: 403 },
  },
  {
    name: 'database health',
    method: 'GET',
    path: () => '/v1/admin/db/health',
    expect: { operator: 200, owner: 403, otherOwner: 403, grantedAgent: 403, ungrantedAgent: 403 },
  },
];

const REFUSED: Record<Refused, [number, string]> = {
  anonymous: [401, 'UNAUTHENTICATED'],
  unknownKey: [401, 'INVALID_API_KEY'],
  suspendedAgent: [403, 'AGENT_SUSPENDED'],
  revokedAgent: [401, 'INVALID_API_KEY'],
  rotatedAwayKey: [401, 'INVALID_API_KEY'],
};

const CALLERS: Caller[] = ['operator', 'owner', 'otherOwner', 'grantedAgent', 'ungrantedAgent'];
const CODE_FOR: Record<number, string> = { 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

describe.each(ENDPOINTS)('$method $name', (endpoint) => {
  it.each(CALLERS)('%s', async (caller) => {
    const path = await endpoint.path(w);
    const r = await call(h.app, endpoint.method, path, {
      token: w.keys[caller],
      ...(endpoint.body ? { body: endpoint.body() } : {}),
      ...(endpoint.headers ? { headers: endpoint.headers() } : {}),
    });
    const expected = endpoint.expect[caller];
    if (expected >= 400) expectProblem(r, expected, CODE_FOR[expected]!);
    else
      expect({ status: r.status, body: r.body }).toEqual({
        status: expected,
        body: expect.anything(),
      });
  });

  it.each(Object.keys(REFUSED) as Refused[])('refuses %s', async (caller) => {
    const path = await endpoint.path(w);
    const r = await call(h.app, endpoint.method, path, {
      token: w.keys[caller],
      ...(endpoint.body ? { body: endpoint.body() } : {}),
      ...(endpoint.headers ? { headers: endpoint.headers() } : {}),
    });
    const [status, code] = REFUSED[caller];
    expectProblem(r, status, code);
  });
});

describe('what the callers see', () => {
  it('an agent lists only wallets granted to it; an owner only its own', async () => {
    const agentList = await call(h.app, 'GET', '/v1/wallets', { token: w.keys.grantedAgent });
    expect((agentList.body.wallets as { id: string }[]).map((x) => x.id).sort()).toEqual(
      [w.walletId, w.approvalWalletId].sort(),
    );
    expect(
      (await call(h.app, 'GET', '/v1/wallets', { token: w.keys.ungrantedAgent })).body.wallets,
    ).toEqual([]);
    const otherList = await call(h.app, 'GET', '/v1/wallets', { token: w.keys.otherOwner });
    expect((otherList.body.wallets as { id: string }[]).map((x) => x.id)).not.toContain(w.walletId);
  });

  it('the webhook secret is shown once and never read back', async () => {
    const first = await call(h.app, 'PUT', '/v1/webhook', {
      token: w.keys.otherOwner,
      body: { url: 'https://x.example.com/h', rotateSecret: true },
    });
    expect(first.body.signingSecret).toMatch(/^whsec_/);
    const again = await call(h.app, 'PUT', '/v1/webhook', {
      token: w.keys.otherOwner,
      body: { url: 'https://y.example.com/h' },
    });
    expect(again.body.signingSecret).toBeUndefined();
    const read = await call(h.app, 'GET', '/v1/webhook', { token: w.keys.otherOwner });
    expect(read.body).toEqual({
      webhook: expect.objectContaining({ url: 'https://y.example.com/h', enabled: true }),
    });
    expect(JSON.stringify(read.body)).not.toContain('whsec_');
  });
});
