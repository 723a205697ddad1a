/**
 * The client against the API's own OpenAPI document, served by a real API (its own
 * database and local ledger): every route of the client's table exists with its method,
 * and the fields of the client's wire types are exactly the document's schema properties.
 * The client's types are written by hand (readable, JSDoc'd, amounts as strings) and this
 * test is what keeps them honest: an endpoint or field renamed in the API fails here.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp, loadConfig } from '@waiaas/api';
import { type LocalLedger, startLocalLedger } from '@waiaas/local-ledger';
import { createTestDatabase, type TestDatabase } from '@waiaas/testing';
import openapiTS, { astToString } from 'openapi-typescript';
import { pino } from 'pino';
import { ROUTES, WaiaasClient } from '../src/index.js';
import type {
  Agent,
  AssetSpend,
  Balance,
  ConsoleSession,
  ConsoleSettings,
  DaySpend,
  Freeze,
  Grant,
  Owner,
  Policy,
  Transaction,
  WaiaasProblem,
  Wallet,
  WalletSpend,
  Webhook,
  WebhookDelivery,
} from '../src/index.js';

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>
  >;
  components: {
    schemas: Record<
      string,
      {
        properties?: Record<string, unknown>;
        allOf?: { $ref?: string; properties?: Record<string, unknown> }[];
      }
    >;
  };
}

let db: TestDatabase;
let ledger: LocalLedger;
let app: Awaited<ReturnType<typeof createApp>>;
let baseUrl: string;
const adminToken = `admin-${randomBytes(24).toString('hex')}`;
let doc: OpenApiDocument;

beforeAll(async () => {
  db = await createTestDatabase();
  ledger = await startLocalLedger({ port: 0, slotMs: 0 });
  const config = loadConfig({
    DATABASE_URL: db.url,
    SOLANA_RPC_URL: ledger.url,
    ADMIN_TOKEN: adminToken,
    WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
  });
  app = await createApp(config, { logger: pino({ level: 'silent' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  baseUrl = `http://127.0.0.1:${address.port}`;
  const response = await fetch(`${baseUrl}/docs/json`);
  expect(response.status).toBe(200);
  doc = (await response.json()) as OpenApiDocument;
});

afterAll(async () => {
  await app?.close();
  await ledger?.close();
  await db?.drop();
});

describe('routes', () => {
  it.each(Object.entries(ROUTES))(
    '%s exists in the OpenAPI document with its method',
    (_name, route) => {
      const operations = doc.paths[route.path];
      expect(operations).toBeDefined();
      expect(Object.keys(operations ?? {})).toContain(route.method.toLowerCase());
    },
  );

  it('covers every /v1 and /health operation of the document', () => {
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/') || path.startsWith('/health/'))
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
      );
    const covered = new Set(Object.values(ROUTES).map((r) => `${r.method} ${r.path}`));
    // Every documented operation needs a client method; anything the API adds must be added here too.
    expect(documented.filter((op) => !covered.has(op))).toEqual([]);
  });

  it('declares the Idempotency-Key header the client sends on transfers', () => {
    const params = doc.paths[ROUTES.createTransfer.path]?.post?.parameters ?? [];
    expect(params).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }),
      ]),
    );
  });
});

/** Every property name of a schema, following `allOf` references (DTOs that extend others). */
function propertiesOf(name: string): string[] {
  const schema = doc.components.schemas[name];
  if (schema === undefined) throw new Error(`schema ${name} is not in the document`);
  const own = Object.keys(schema.properties ?? {});
  const inherited = (schema.allOf ?? []).flatMap((part) =>
    part.$ref !== undefined
      ? propertiesOf(part.$ref.replace('#/components/schemas/', ''))
      : Object.keys(part.properties ?? {}),
  );
  return [...new Set([...own, ...inherited])].sort();
}

// `Record<keyof T, true>` must list every field of T and nothing else (the compiler checks
// both), so these objects are the client's types' field lists at run time.
const fields = {
  OwnerDto: {
    id: true,
    email: true,
    name: true,
    status: true,
    frozen: true,
    frozenAt: true,
    createdAt: true,
  } satisfies Record<keyof Owner, true>,
  AgentDto: {
    id: true,
    ownerId: true,
    name: true,
    description: true,
    status: true,
    frozen: true,
    frozenAt: true,
    createdAt: true,
    updatedAt: true,
  } satisfies Record<keyof Agent, true>,
  WalletDto: {
    id: true,
    address: true,
    ownerId: true,
    custody: true,
    label: true,
    agentIds: true,
    frozen: true,
    frozenAt: true,
    createdAt: true,
  } satisfies Record<keyof Wallet, true>,
  FreezeDto: {
    scope: true,
    frozen: true,
    frozenAt: true,
    changed: true,
    cancelledTransactionIds: true,
  } satisfies Record<keyof Freeze, true>,
  GrantDto: { walletId: true, agentId: true, grantedAt: true } satisfies Record<keyof Grant, true>,
  BalanceDto: {
    address: true,
    lamports: true,
    sol: true,
    tokens: true,
    fetchedAt: true,
  } satisfies Record<keyof Balance, true>,
  PolicyDto: {
    walletId: true,
    version: true,
    updatedAt: true,
    perTxLimit: true,
    dailyLimit: true,
    allowedAssets: true,
    allowedAddresses: true,
    requiresApproval: true,
    metadata: true,
  } satisfies Record<keyof Policy, true>,
  TransactionDto: {
    id: true,
    walletId: true,
    agentId: true,
    status: true,
    type: true,
    asset: true,
    amount: true,
    amountBaseUnits: true,
    decimals: true,
    destination: true,
    memo: true,
    signature: true,
    failureReason: true,
    error: true,
    lastValidBlockHeight: true,
    submitAttempts: true,
    slot: true,
    fee: true,
    networkFee: true,
    policy: true,
    idempotencyKey: true,
    createdAt: true,
    submittedAt: true,
    confirmedAt: true,
    decidedAt: true,
    expiresAt: true,
    dueAt: true,
    agentKeyId: true,
  } satisfies Record<keyof Transaction, true>,
  WebhookDto: {
    id: true,
    url: true,
    enabled: true,
    createdAt: true,
    updatedAt: true,
  } satisfies Record<keyof Webhook, true>,
  WalletSpendDto: {
    walletId: true,
    window: true,
    windowStart: true,
    asOf: true,
    hasPolicy: true,
    assets: true,
    days: true,
  } satisfies Record<keyof WalletSpend, true>,
  AssetSpendDto: {
    asset: true,
    decimals: true,
    spent: true,
    spentBaseUnits: true,
    count: true,
    dailyLimit: true,
  } satisfies Record<keyof AssetSpend, true>,
  DaySpendDto: { day: true, assets: true } satisfies Record<keyof DaySpend, true>,
  WebhookDeliveryDto: {
    id: true,
    eventId: true,
    eventType: true,
    transactionId: true,
    status: true,
    attempts: true,
    lastStatusCode: true,
    lastError: true,
    lastAttemptAt: true,
    deliveredAt: true,
    nextAttemptAt: true,
    createdAt: true,
  } satisfies Record<keyof WebhookDelivery, true>,
  ConsoleSessionDto: { ownerId: true, expiresAt: true, csrfToken: true } satisfies Record<
    keyof ConsoleSession,
    true
  >,
  ConsoleSettingsDto: {
    cluster: true,
    explorerTxUrl: true,
    sessionTtlMinutes: true,
  } satisfies Record<keyof ConsoleSettings, true>,
  ProblemDto: {
    type: true,
    title: true,
    status: true,
    code: true,
    detail: true,
    instance: true,
    requestId: true,
    errors: true,
    reasons: true,
    transactionStatus: true,
    // WaiaasProblem has an index signature (problem extensions), so its keys are listed by hand.
  } satisfies Partial<Record<keyof WaiaasProblem, true>>,
};

describe('schemas', () => {
  it.each(Object.entries(fields))(
    '%s has exactly the fields of the client type',
    (schema, declared) => {
      expect(propertiesOf(schema)).toEqual(Object.keys(declared).sort());
    },
  );
});

/** Types generated from the served document; `test/types-match.ts` holds the client's to them. */
const GENERATED = join(import.meta.dirname, 'openapi-types.gen.ts');
const GENERATED_HEADER =
  "// Generated by openapi-typescript from the API's served document (test/openapi.test.ts).\n" +
  '// Do not edit: UPDATE_OPENAPI_TYPES=1 pnpm --filter @waiaas/client test -- test/openapi.test.ts\n\n';

describe('types', () => {
  it('test/openapi-types.gen.ts is what openapi-typescript generates from the served document', async () => {
    const generated =
      GENERATED_HEADER +
      astToString(await openapiTS(doc as unknown as Parameters<typeof openapiTS>[0]));
    if (process.env.UPDATE_OPENAPI_TYPES === '1') await writeFile(GENERATED, generated);
    // test/types-match.ts compiles (pnpm typecheck) only while the client's types and these agree.
    expect(await readFile(GENERATED, 'utf8')).toBe(generated);
  });
});

describe('a live call through the client', () => {
  it('rotates an owner key and revokes an owner', async () => {
    const operator = new WaiaasClient({ baseUrl, apiKey: adminToken });
    const created = await operator.createOwner({ email: `${randomBytes(4).toString('hex')}@x.io` });
    expect(created.owner.status).toBe('ACTIVE');
    const rotated = await operator.withApiKey(created.apiKey).rotateOwnerKey();
    expect(rotated.apiKey).not.toBe(created.apiKey);
    const owner = operator.withApiKey(rotated.apiKey);
    expect((await owner.listWallets()).wallets).toEqual([]);
    const { owner: revoked } = await operator.updateOwner(created.owner.id, { status: 'REVOKED' });
    expect(revoked.status).toBe('REVOKED');
    await expect(owner.listWallets()).rejects.toMatchObject({ code: 'INVALID_API_KEY' });
  });

  it('creates a scoped agent key, lists it without its secret, is refused a missing scope, revokes it', async () => {
    const operator = new WaiaasClient({ baseUrl, apiKey: adminToken });
    const created = await operator.createOwner({ email: `${randomBytes(4).toString('hex')}@x.io` });
    const owner = operator.withApiKey(created.apiKey);
    const { agent } = await owner.createAgent({ name: 'scoped' });
    const { wallet } = await owner.createWallet({ label: 'w' });
    await owner.grantAgent(wallet.id, agent.id);
    const { key, apiKey } = await owner.createAgentKey(agent.id, {
      name: 'reader',
      scopes: ['read'],
      walletIds: [wallet.id],
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(key).toMatchObject({ scopes: ['read'], walletIds: [wallet.id], status: 'ACTIVE' });
    const reader = operator.withApiKey(apiKey);
    expect((await reader.listWallets()).wallets.map((w) => w.id)).toEqual([wallet.id]);
    await expect(
      reader.evaluateTransfer(wallet.id, { to: wallet.address, amount: '0.1' }),
    ).rejects.toMatchObject({ status: 403, code: 'AGENT_KEY_SCOPE' });
    const { keys } = await owner.listAgentKeys(agent.id);
    expect(keys.map((k) => k.name)).toEqual(['primary', 'reader']);
    expect(JSON.stringify(keys)).not.toContain(apiKey);
    await owner.revokeAgentKey(agent.id, key.id);
    await expect(reader.listWallets()).rejects.toMatchObject({ code: 'INVALID_API_KEY' });
  });

  it('parses a real problem document', async () => {
    const client = new WaiaasClient({ baseUrl, apiKey: 'not-a-key' });
    const error = await client.listWallets().catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 401,
      code: 'INVALID_API_KEY',
      problem: expect.objectContaining({ status: 401, code: 'INVALID_API_KEY' }),
    });
  });
});
