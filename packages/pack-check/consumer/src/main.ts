/**
 * A program of someone who installed the published packages from their tarballs: it uses
 * each one through its public entry points only, compiled by TypeScript (NodeNext, strict) in
 * a folder of its own. It prints one `ok <package>` line per package and exits non-zero on
 * the first failure.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { getPublicKeyFromAddress, signatureBytes, verifySignature } from '@solana/kit';
import { CacheKeys, createCache } from '@waiaas/cache';
import { isWaiaasApiError, WaiaasClient } from '@waiaas/client';
import { createWaiaasMcpServer } from '@waiaas/mcp';
import { assertPolicy, evaluate } from '@waiaas/policy-engine';
import { isCodedError } from '@waiaas/shared';
import {
  LocalKeystoreCustody,
  type LocalKeyRecord,
  type LocalKeyStore,
  loadMasterKeys,
  loadTurnkeyConfig,
} from '@waiaas/solana-signer';

const RECIPIENT = '9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin';

/** Every package's error is a CodedError of @waiaas/shared: one check for all of them. */
async function shared(): Promise<void> {
  const refused = await Promise.resolve()
    .then(() => assertPolicy({ perTxLimit: 'a lot' }))
    .catch((e: unknown) => e);
  assert.ok(isCodedError(refused), 'a policy-engine error is a CodedError');
}

async function policyEngine(): Promise<void> {
  const policy = assertPolicy({ perTxLimit: '1', dailyLimit: '2' });
  const decision = evaluate(
    policy,
    { asset: null, amount: 1_500_000_000n, to: RECIPIENT },
    { now: new Date(), spentInWindow: { sol: 1_000_000_000n, tokens: {} }, txCountLastHour: 0 },
  );
  assert.equal(decision.outcome, 'DENY');
  assert.deepEqual(decision.reasons.map((r) => r.code).sort(), [
    'DAILY_LIMIT_EXCEEDED',
    'PER_TX_LIMIT_EXCEEDED',
  ]);
}

async function solanaSigner(): Promise<void> {
  const records = new Map<string, LocalKeyRecord>();
  const store: LocalKeyStore = {
    localKey: {
      create: async ({ data }) => void records.set(data.address, data),
      findUnique: async ({ where }) => records.get(where.address) ?? null,
      update: async ({ where, data }) =>
        void records.set(where.address, { ...data, address: where.address }),
    },
  };
  const masterKeys = loadMasterKeys({ key: randomBytes(32).toString('hex') });
  const custody = new LocalKeystoreCustody(store, masterKeys);
  const { address } = await custody.createWallet({ name: 'consumer' });
  const message = new TextEncoder().encode('consumer program');
  const signature = await custody.signMessage(address, message);
  const key = await getPublicKeyFromAddress(address);
  assert.ok(await verifySignature(key, signatureBytes(signature), message));
  assert.equal(loadTurnkeyConfig({}), null);

  // The root loaded no Turnkey code: the SDK is not even installed (an optional peer), and
  // the subpath that needs it says so when imported.
  const require = createRequire(import.meta.url);
  assert.throws(() => require.resolve('@turnkey/sdk-server'), /Cannot find module/);
  await assert.rejects(import('@waiaas/solana-signer/turnkey'), /@turnkey\/sdk-server/);
}

async function cache(): Promise<void> {
  const bundle = await createCache({ prefix: 'consumer:' });
  try {
    assert.equal(bundle.backend, 'memory');
    let loads = 0;
    const load = async (): Promise<bigint> => {
      loads += 1;
      return 1_500_000_000n;
    };
    const key = CacheKeys.balance(RECIPIENT);
    assert.equal(await bundle.cache.getOrSet(key, load), 1_500_000_000n);
    assert.equal(await bundle.cache.getOrSet(key, load), 1_500_000_000n);
    assert.equal(loads, 1);
  } finally {
    await bundle.close();
  }
}

/** A fetch that answers like the API refusing a transfer. */
const denyingFetch: typeof fetch = async () =>
  new Response(
    JSON.stringify({
      type: 'about:blank',
      title: 'Denied',
      status: 403,
      code: 'POLICY_DENIED',
      detail: 'denied by policy',
      instance: '/v1/wallets/w/transfers',
      requestId: 'r',
      reasons: [{ code: 'PER_TX_LIMIT_EXCEEDED' }],
    }),
    { status: 403, headers: { 'content-type': 'application/problem+json' } },
  );

async function client(): Promise<void> {
  const agent = new WaiaasClient({
    baseUrl: 'http://127.0.0.1:9',
    apiKey: 'k',
    fetch: denyingFetch,
  });
  try {
    await agent.createTransfer('w', { to: RECIPIENT, amount: '5' }, { idempotencyKey: 'k-1' });
    assert.fail('the transfer should have been refused');
  } catch (e) {
    assert.ok(isWaiaasApiError(e, 'POLICY_DENIED'));
    assert.deepEqual(
      e.reasons.map((r) => r.code),
      ['PER_TX_LIMIT_EXCEEDED'],
    );
  }
}

async function mcp(): Promise<void> {
  const server = createWaiaasMcpServer({ baseUrl: 'http://127.0.0.1:9', agentKey: 'k' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const mcpClient = new Client({ name: 'consumer', version: '0.0.0' });
  await mcpClient.connect(clientSide);
  try {
    const { tools } = await mcpClient.listTools();
    assert.ok(tools.some((t) => t.name === 'send_transfer'));
    // Nothing listens on port 9: a structured, retryable NETWORK_ERROR, not a crash.
    const result = await mcpClient.callTool({ name: 'list_wallets', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(JSON.stringify(result.structuredContent), /"code":"NETWORK_ERROR"/);
  } finally {
    await mcpClient.close();
  }
}

for (const [name, check] of [
  ['@waiaas/shared', shared],
  ['@waiaas/policy-engine', policyEngine],
  ['@waiaas/solana-signer', solanaSigner],
  ['@waiaas/cache', cache],
  ['@waiaas/client', client],
  ['@waiaas/mcp', mcp],
] as const) {
  await check();
  console.log(`ok ${name}`);
}
