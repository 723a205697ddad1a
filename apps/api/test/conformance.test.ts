/**
 * The running API against the OpenAPI document it serves: every operation is called with
 * real principals (operator token, owner and agent keys, a console session cookie), on its
 * happy path and its main error paths, and every response is checked against the document:
 * the status is one the operation documents (not just `default`), the content type is a
 * documented one, every required header is there and every documented header matches its
 * schema, and the body validates (ajv, OpenAPI 3.0 `nullable` included). The test fails on
 * any mismatch and on any operation of the document that it did not exercise, so a new route
 * needs a call here.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { address } from '@solana/kit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import {
  ADMIN_TOKEN,
  call,
  type CallOptions,
  type CallResult,
  type Harness,
  startHarness,
  startInstance,
} from './harness.js';

const RECIPIENT = 'Fg6PaFpoGXkYsidMpWTK6W2BeZ7FEfcYkg476zPFsLnS';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

type Json = Record<string, unknown>;
interface Operation extends Json {
  operationId: string;
  responses: Record<string, Json>;
}
interface OpenApiDocument extends Json {
  paths: Record<string, Record<string, Operation>>;
  components: Json;
}

// ajv-formats is CommonJS with a default export; under ESM the function may sit on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv) => Ajv;

let h: Harness;
let doc: OpenApiDocument;
let ajv: Ajv;
const operations = new Map<string, { method: string; path: string; operation: Operation }>();
/** operationId → `status code` of each response checked. */
const exercised = new Map<string, string[]>();
const mismatches: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  const response = await fetch(`${h.baseUrl}/docs/json`);
  expect(response.status).toBe(200);
  doc = (await response.json()) as OpenApiDocument;
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, operation] of Object.entries(item))
      operations.set(operation.operationId, { method: method.toUpperCase(), path, operation });
  ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(rebase({ components: closed(doc.components) }) as Json, 'openapi');
});

afterAll(async () => {
  await h?.close();
});

/**
 * A fragment of the document as JSON Schema for ajv: `$ref`s point into the schema registered
 * as `openapi`, and OpenAPI 3.0's `nullable: true` becomes "this schema, or null" (ajv honours
 * `nullable` only beside `type`, not beside `allOf`/`$ref` as Nest writes nullable objects).
 */
function rebase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rebase);
  if (value === null || typeof value !== 'object') return value;
  if ((value as Json).nullable === true) {
    const { nullable: _nullable, ...rest } = value as Json;
    return { anyOf: [rebase(rest), { type: 'null' }] };
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' ? `openapi${v}` : rebase(v),
    ]),
  );
}

/**
 * The components with every object schema closed (`additionalProperties: false` unless it says
 * otherwise), so a field the server sends but the document does not declare is a mismatch:
 * a new field passes only once the document has it.
 */
function closed(components: Json): Json {
  const schemas = (components.schemas ?? {}) as Record<string, Json>;
  return {
    ...components,
    schemas: Object.fromEntries(
      Object.entries(schemas).map(([name, schema]) => [
        name,
        schema.properties !== undefined && schema.additionalProperties === undefined
          ? { ...schema, additionalProperties: false }
          : schema,
      ]),
    ),
  };
}

const compiled = new Map<unknown, ValidateFunction>();
function validatorFor(schema: Json): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(rebase(schema) as Json);
    compiled.set(schema, validate);
  }
  return validate;
}

function resolve(node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((n, part) => (n as Json)[part], doc) as Json;
}

/** A header value as its schema types it (headers are strings on the wire). */
function typed(value: string, schema: Json): unknown {
  return schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
}

/** Checks one response of `operationId` against the document; records any mismatch. */
function conform(operationId: string, r: CallResult, label = ''): CallResult {
  const entry = operations.get(operationId);
  const where = `${operationId}${label ? ` (${label})` : ''} → ${r.status}`;
  if (entry === undefined) throw new Error(`no operation ${operationId} in the document`);
  exercised.set(operationId, [...(exercised.get(operationId) ?? []), String(r.status)]);
  const response = entry.operation.responses[String(r.status)];
  if (response === undefined) {
    mismatches.push(`${where}: status not documented (${JSON.stringify(r.body)})`);
    return r;
  }
  for (const [name, ref] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
    const header = resolve(ref);
    const value = r.headers[name.toLowerCase()];
    if (value === undefined) {
      if (header.required === true) mismatches.push(`${where}: required header ${name} missing`);
      continue;
    }
    const validate = validatorFor(header.schema as Json);
    if (!validate(typed(String(value), header.schema as Json)))
      mismatches.push(
        `${where}: header ${name}=${String(value)} ${ajv.errorsText(validate.errors)}`,
      );
  }
  const content = response.content as Record<string, { schema: Json }> | undefined;
  const type = String(r.headers['content-type'] ?? '').split(';')[0] ?? '';
  if (content === undefined) {
    if (r.body !== '') mismatches.push(`${where}: documented without a body, got ${type}`);
    return r;
  }
  const media = content[type];
  if (media === undefined) {
    mismatches.push(`${where}: content type ${type} not in ${Object.keys(content).join(', ')}`);
    return r;
  }
  if (type.endsWith('json')) {
    const validate = validatorFor(media.schema);
    if (!validate(r.body))
      mismatches.push(
        `${where}: body ${ajv.errorsText(validate.errors)}: ${JSON.stringify(r.body).slice(0, 300)}`,
      );
  }
  return r;
}

/** Calls an operation by its id (path parameters filled from `params`) and checks the answer. */
async function op(
  operationId: string,
  params: Record<string, string>,
  options: CallOptions & { query?: string; label?: string; app?: NestFastifyApplication } = {},
): Promise<CallResult> {
  const entry = operations.get(operationId);
  if (entry === undefined) throw new Error(`no operation ${operationId} in the document`);
  const path = entry.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${operationId}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
  const url = options.query === undefined ? path : `${path}?${options.query}`;
  return conform(
    operationId,
    await call(options.app ?? h.app, entry.method, url, options),
    options.label,
  );
}

function cookieOf(r: CallResult): string {
  const setCookie = String(r.headers['set-cookie'] ?? '');
  const pair = setCookie.split(';')[0];
  if (pair === undefined || !pair.includes('=')) throw new Error('no session cookie');
  return pair;
}

describe('the served OpenAPI document', () => {
  it('passes Redocly lint (recommended plus redocly.yaml) with 0 errors and 0 warnings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'waiaas-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(doc));
      const redocly = join(import.meta.dirname, '..', 'node_modules', '.bin', 'redocly');
      const config = join(import.meta.dirname, '..', 'redocly.yaml');
      const { stdout } = await promisify(execFile)(
        redocly,
        ['lint', file, '--config', config, '--format', 'json'],
        {
          maxBuffer: 64 * 1024 * 1024,
          // No usage telemetry or update check from a test run (CI may have no network).
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
      const report = JSON.parse(stdout) as { totals: Record<string, number>; problems: Json[] };
      expect(report.problems.map((p) => `${String(p.ruleId)}: ${String(p.message)}`)).toEqual([]);
      expect(report.totals).toEqual(expect.objectContaining({ errors: 0, warnings: 0 }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the API answers as its OpenAPI document says', () => {
  it('documents every example in a shape its schema accepts', () => {
    const bad: string[] = [];
    for (const { operation } of operations.values()) {
      const bodies = [
        ...Object.entries(
          ((operation.requestBody as Json | undefined)?.content ?? {}) as Record<string, Json>,
        ).map(([type, media]) => ({ where: `${operation.operationId} request ${type}`, media })),
        ...Object.entries(operation.responses).flatMap(([status, response]) =>
          Object.entries((response.content ?? {}) as Record<string, Json>).map(([type, media]) => ({
            where: `${operation.operationId} ${status} ${type}`,
            media,
          })),
        ),
      ];
      for (const { where, media } of bodies) {
        if (media.example === undefined && media.examples === undefined) {
          bad.push(`${where}: no example`);
          continue;
        }
        if (media.schema === undefined || typeof media.example === 'string') continue;
        const validate = validatorFor(media.schema as Json);
        const examples =
          media.example !== undefined
            ? [media.example]
            : Object.values(media.examples as Record<string, { value: unknown }>).map(
                (e) => e.value,
              );
        for (const example of examples)
          if (!validate(example)) bad.push(`${where}: ${ajv.errorsText(validate.errors)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('walks every operation with real principals: 0 mismatching responses', async () => {
    const admin = { token: ADMIN_TOKEN };

    // Public operations.
    await op('getLiveness', {});
    await op('getReadiness', {});
    await op('getMetrics', {});
    await op('getConsoleSession', {}, { label: 'no cookie' });

    // The operator.
    await op('getDatabaseHealth', {}, admin);
    const email = `conformance-${Date.now()}@example.com`;
    const created = await op('createOwner', {}, { ...admin, body: { email, name: 'Ops' } });
    expect(created.status).toBe(201);
    const ownerKey = created.body.apiKey as string;
    await op('createOwner', {}, { ...admin, body: { email }, label: 'taken' });
    await op('createOwner', {}, { ...admin, body: { email: 'not-an-email' }, label: 'invalid' });
    await op('createOwner', {}, { token: 'nope', body: { email: 'x@y.io' }, label: 'bad key' });
    await op('createOwner', {}, { body: { email: 'x@y.io' }, label: 'no key' });
    await op(
      'createOwner',
      {},
      {
        ...admin,
        raw: '{"email":',
        headers: { 'content-type': 'application/json' },
        label: 'broken json',
      },
    );
    await op(
      'createOwner',
      {},
      { ...admin, raw: 'email=x', headers: { 'content-type': 'text/plain' }, label: 'not json' },
    );
    const other = await op('createOwner', {}, { ...admin, body: { email: `o2-${email}` } });
    await op('updateOwner', { id: other.body.owner.id }, { ...admin, body: { status: 'REVOKED' } });
    await op(
      'updateOwner',
      { id: other.body.owner.id },
      { ...admin, body: { status: 'ACTIVE' }, label: 'final' },
    );
    await op(
      'updateOwner',
      { id: UNKNOWN_ID },
      { ...admin, body: { status: 'REVOKED' }, label: 'unknown' },
    );
    await op(
      'updateOwner',
      { id: 'not-a-uuid' },
      { ...admin, body: { status: 'REVOKED' }, label: 'bad id' },
    );
    await op('rotateOwnerKey', {}, { ...admin, label: 'operator' });

    // The owner.
    const owner = { token: ownerKey };
    await op('getDatabaseHealth', {}, { ...owner, label: 'owner' });
    const agentCreated = await op(
      'createAgent',
      {},
      { ...owner, body: { name: 'bot', description: 'trades' } },
    );
    const agentId = agentCreated.body.agent.id as string;
    await op('listAgents', {}, owner);
    await op('getAgent', { id: agentId }, owner);
    await op('getAgent', { id: UNKNOWN_ID }, { ...owner, label: 'unknown' });
    await op('updateAgent', { id: agentId }, { ...owner, body: { name: 'bot-1' } });
    await op(
      'updateAgent',
      { id: agentId },
      { ...owner, body: { status: 'PAUSED' }, label: 'invalid' },
    );
    const agentKey = (await op('rotateAgentKey', { id: agentId }, owner)).body.apiKey as string;
    const spare = await op('createAgent', {}, { ...owner, body: { name: 'spare' } });
    await op('updateAgent', { id: spare.body.agent.id }, { ...owner, body: { status: 'REVOKED' } });
    await op('rotateAgentKey', { id: spare.body.agent.id }, { ...owner, label: 'revoked' });
    await op(
      'updateAgent',
      { id: spare.body.agent.id },
      { ...owner, body: { name: 'x' }, label: 'revoked' },
    );
    await op('getAgent', { id: agentId }, { token: spare.body.apiKey, label: 'revoked agent key' });

    const wallet = (await op('createWallet', {}, { ...owner, body: { label: 'treasury' } })).body
      .wallet;
    await op('listWallets', {}, owner);
    await op('getWallet', { id: wallet.id }, owner);
    await op('getWallet', { id: UNKNOWN_ID }, { ...owner, label: 'unknown' });
    await op('getWalletPolicy', { id: wallet.id }, { ...owner, label: 'no policy' });
    await op('grantWalletAgent', { id: wallet.id, agentId }, owner);
    await op(
      'grantWalletAgent',
      { id: wallet.id, agentId: UNKNOWN_ID },
      { ...owner, label: 'unknown agent' },
    );
    await h.ledger.airdrop(address(wallet.address as string), 5_000_000_000n);
    h.ledger.advanceSlots(1);
    await op('getWalletBalance', { id: wallet.id }, owner);
    await op(
      'setWalletPolicy',
      { id: wallet.id },
      { ...owner, body: { perTxLimit: '-1', dailyLimit: 'x' }, label: 'invalid' },
    );
    await op(
      'setWalletPolicy',
      { id: wallet.id },
      {
        ...owner,
        body: {
          perTxLimit: '1',
          dailyLimit: '3',
          requiresApproval: true,
          metadata: { approvalThreshold: '0.5' },
        },
      },
    );
    await op('getWalletPolicy', { id: wallet.id }, owner);
    await op('getWalletSpend', { id: wallet.id }, owner);
    await op(
      'getWalletSpend',
      { id: wallet.id },
      { ...owner, query: 'days=abc', label: 'invalid' },
    );
    await op('getWebhook', {}, { ...owner, label: 'none set' });
    await op(
      'setWebhook',
      {},
      { ...owner, body: { url: 'https://agents.example.com/hooks/waiaas' } },
    );
    await op('setWebhook', {}, { ...owner, body: { url: 'ftp://x' }, label: 'invalid' });
    await op('getWebhook', {}, owner);

    // The agent.
    const agent = { token: agentKey };
    await op('listWallets', {}, { ...agent, label: 'agent' });
    await op('getWallet', { id: wallet.id }, { ...agent, label: 'agent' });
    await op('getWalletBalance', { id: wallet.id }, { ...agent, label: 'agent' });
    await op('getWalletPolicy', { id: wallet.id }, { ...agent, label: 'agent' });
    await op('listAgents', {}, { ...agent, label: 'agent on an owner route' });
    await op(
      'evaluateTransfer',
      { id: wallet.id },
      { ...agent, body: { to: RECIPIENT, amount: '0.25' } },
    );
    await op(
      'evaluateTransfer',
      { id: wallet.id },
      { ...owner, body: { to: RECIPIENT, amount: '7' }, label: 'deny' },
    );
    await op(
      'evaluateTransfer',
      { id: wallet.id },
      { ...agent, body: { to: RECIPIENT, amount: '0.0000000001' }, label: 'precision' },
    );
    const transfer = { to: RECIPIENT, amount: '0.25', memo: 'conformance' };
    const sent = await op(
      'createTransfer',
      { id: wallet.id },
      { ...agent, body: transfer, headers: { 'idempotency-key': 'c-1' } },
    );
    expect(sent.status).toBe(201);
    const replay = await op(
      'createTransfer',
      { id: wallet.id },
      { ...agent, body: transfer, headers: { 'idempotency-key': 'c-1' }, label: 'replay' },
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    await op(
      'createTransfer',
      { id: wallet.id },
      {
        ...agent,
        body: { ...transfer, amount: '0.3' },
        headers: { 'idempotency-key': 'c-1' },
        label: 'key reused',
      },
    );
    await op('createTransfer', { id: wallet.id }, { ...agent, body: transfer, label: 'no key' });
    await op(
      'createTransfer',
      { id: wallet.id },
      {
        ...agent,
        body: { ...transfer, amount: '2' },
        headers: { 'idempotency-key': 'c-2' },
        label: 'denied',
      },
    );
    await op(
      'createTransfer',
      { id: wallet.id },
      {
        ...agent,
        body: { ...transfer, amount: 'abc' },
        headers: { 'idempotency-key': 'c-3' },
        label: 'bad amount',
      },
    );
    await op(
      'createTransfer',
      { id: wallet.id },
      { ...owner, body: transfer, headers: { 'idempotency-key': 'c-4' }, label: 'owner' },
    );
    const awaiting = await op(
      'createTransfer',
      { id: wallet.id },
      {
        ...agent,
        body: { ...transfer, amount: '0.75' },
        headers: { 'idempotency-key': 'c-5' },
        label: 'needs approval',
      },
    );
    expect(awaiting.body.transaction.status).toBe('AWAITING_APPROVAL');
    const rejectable = await op(
      'createTransfer',
      { id: wallet.id },
      {
        ...agent,
        body: { ...transfer, amount: '0.8' },
        headers: { 'idempotency-key': 'c-6' },
        label: 'needs approval',
      },
    );
    await op('getTransaction', { id: sent.body.transaction.id }, agent);
    await op('getTransaction', { id: UNKNOWN_ID }, { ...agent, label: 'unknown' });
    await op('listWalletTransactions', { id: wallet.id }, { ...agent, query: 'limit=2' });
    await op(
      'listWalletTransactions',
      { id: wallet.id },
      { ...agent, query: 'status=NOPE', label: 'invalid' },
    );
    // Scoped agent keys: create (secret once), list, a key lacking a scope, one limited to
    // another wallet, an expired-looking request refused, revoke.
    const inDays = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString();
    const readKey = await op(
      'createAgentKey',
      { id: agentId },
      { ...owner, body: { name: 'reader', scopes: ['read'], expiresAt: inDays(30) } },
    );
    expect(readKey.status).toBe(201);
    await op(
      'createAgentKey',
      { id: agentId },
      {
        ...owner,
        body: { name: 'x', scopes: ['admin'], expiresAt: inDays(400) },
        label: 'invalid',
      },
    );
    await op(
      'createAgentKey',
      { id: spare.body.agent.id },
      {
        ...owner,
        body: { name: 'x', scopes: ['read'], expiresAt: inDays(1) },
        label: 'revoked agent',
      },
    );
    await op(
      'createAgentKey',
      { id: UNKNOWN_ID },
      { ...owner, body: { name: 'x', scopes: ['read'], expiresAt: inDays(1) }, label: 'unknown' },
    );
    const otherWallet = (await op('createWallet', {}, { ...owner, body: { label: 'ops' } })).body
      .wallet;
    await op('grantWalletAgent', { id: otherWallet.id, agentId }, { ...owner, label: 'second' });
    const limitedKey = (
      await op(
        'createAgentKey',
        { id: agentId },
        {
          ...owner,
          body: {
            name: 'ops',
            scopes: ['read'],
            walletIds: [otherWallet.id],
            expiresAt: inDays(1),
          },
          label: 'limited',
        },
      )
    ).body.apiKey as string;
    const reader = { token: readKey.body.apiKey as string };
    await op('getWalletBalance', { id: wallet.id }, { ...reader, label: 'read scope' });
    await op(
      'evaluateTransfer',
      { id: wallet.id },
      { ...reader, body: { to: RECIPIENT, amount: '0.25' }, label: 'scope missing' },
    );
    await op(
      'createTransfer',
      { id: wallet.id },
      {
        ...reader,
        body: transfer,
        headers: { 'idempotency-key': 'c-scope' },
        label: 'scope missing',
      },
    );
    for (const operationId of [
      'getWallet',
      'getWalletBalance',
      'getWalletPolicy',
      'listWalletTransactions',
    ])
      await op(operationId, { id: wallet.id }, { token: limitedKey, label: 'other wallet' });
    await op('listAgentKeys', { id: agentId }, owner);
    await op('listAgentKeys', { id: UNKNOWN_ID }, { ...owner, label: 'unknown' });
    await op('listAgentKeys', { id: agentId }, { ...agent, label: 'agent' });
    await op('revokeAgentKey', { id: agentId, keyId: readKey.body.key.id }, owner);
    await op('revokeAgentKey', { id: agentId, keyId: UNKNOWN_ID }, { ...owner, label: 'unknown' });
    await op('getWalletBalance', { id: wallet.id }, { ...reader, label: 'revoked key' });

    await op('listOwnerTransactions', {}, { ...owner, query: 'status=AWAITING_APPROVAL' });
    await op('approveTransaction', { id: awaiting.body.transaction.id }, owner);
    await op(
      'approveTransaction',
      { id: awaiting.body.transaction.id },
      { ...owner, label: 'again' },
    );
    await op(
      'approveTransaction',
      { id: awaiting.body.transaction.id },
      { ...agent, label: 'agent' },
    );
    await op('rejectTransaction', { id: rejectable.body.transaction.id }, owner);
    await op(
      'rejectTransaction',
      { id: rejectable.body.transaction.id },
      { ...owner, label: 'again' },
    );
    await op('rejectTransaction', { id: UNKNOWN_ID }, { ...owner, label: 'unknown' });
    // An approval request past its expiry (moved back in the database: expiring it is the
    // worker's sweep): approve and reject answer 409 APPROVAL_EXPIRED.
    const expiring = await op(
      'createTransfer',
      { id: wallet.id },
      {
        ...agent,
        body: { ...transfer, amount: '0.7' },
        headers: { 'idempotency-key': 'c-7' },
        label: 'needs approval',
      },
    );
    await h.prisma.transaction.update({
      where: { id: String(expiring.body.transaction.id) },
      data: { expiresAt: new Date(Date.now() - 1_000) },
    });
    await op(
      'approveTransaction',
      { id: expiring.body.transaction.id },
      { ...owner, label: 'expired' },
    );
    await op(
      'rejectTransaction',
      { id: expiring.body.transaction.id },
      { ...owner, label: 'expired' },
    );
    // A time window closed today (open only tomorrow, UTC): the dry run shows the next opening.
    const tomorrow = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'][
      (new Date().getUTCDay() + 1) % 7
    ];
    const windowed = {
      perTxLimit: '1',
      dailyLimit: '3',
      metadata: {
        timeWindow: { timeZone: 'UTC', ranges: [{ days: [tomorrow], from: '00:00', to: '24:00' }] },
      },
    };
    await op(
      'setWalletPolicy',
      { id: wallet.id },
      { ...owner, body: windowed, label: 'time window' },
    );
    const closed = await op(
      'evaluateTransfer',
      { id: wallet.id },
      { ...agent, body: { to: RECIPIENT, amount: '0.1' }, label: 'outside the time window' },
    );
    expect(closed.body.decision.reasons).toEqual([
      expect.objectContaining({ code: 'OUTSIDE_TIME_WINDOW', nextOpening: expect.any(String) }),
    ]);
    await op(
      'setWalletPolicy',
      { id: wallet.id },
      {
        ...owner,
        body: { ...windowed, metadata: { timeWindow: { timeZone: 'Mars/Base', ranges: [] } } },
        label: 'invalid time window',
      },
    );
    // The delay tier: a transfer above the threshold waits DELAYED; the owner cancels it.
    await op(
      'setWalletPolicy',
      { id: wallet.id },
      {
        ...owner,
        body: {
          perTxLimit: '1',
          dailyLimit: '3',
          metadata: { delayThreshold: '0.2', delaySeconds: 3600 },
        },
        label: 'delay tier',
      },
    );
    const waiting = await op(
      'createTransfer',
      { id: wallet.id },
      {
        ...agent,
        body: { ...transfer, amount: '0.3' },
        headers: { 'idempotency-key': 'c-delay' },
        label: 'delayed',
      },
    );
    expect(waiting.body.transaction.status).toBe('DELAYED');
    await op(
      'cancelTransaction',
      { id: waiting.body.transaction.id },
      { ...agent, label: 'agent' },
    );
    await op('cancelTransaction', { id: waiting.body.transaction.id }, owner);
    await op(
      'cancelTransaction',
      { id: waiting.body.transaction.id },
      { ...owner, label: 'again' },
    );
    await op('cancelTransaction', { id: UNKNOWN_ID }, { ...owner, label: 'unknown' });
    await op(
      'setWalletPolicy',
      { id: wallet.id },
      {
        ...owner,
        body: { perTxLimit: '1', dailyLimit: '3', metadata: { delayThreshold: '0.2' } },
        label: 'delay without seconds',
      },
    );
    await op(
      'createAgentKey',
      { id: agentId },
      {
        ...owner,
        body: { name: 'capped', scopes: ['transfer'], expiresAt: inDays(1), dailyCap: '0.5' },
        label: 'daily cap',
      },
    );
    await op(
      'createAgentKey',
      { id: agentId },
      {
        ...owner,
        body: { name: 'capped', scopes: ['transfer'], expiresAt: inDays(1), dailyCap: '-1' },
        label: 'invalid daily cap',
      },
    );
    await op(
      'setWalletPolicy',
      { id: wallet.id },
      {
        ...owner,
        body: {
          perTxLimit: '1',
          dailyLimit: '3',
          requiresApproval: true,
          metadata: { approvalThreshold: '0.5' },
        },
        label: 'restored',
      },
    );
    await op('listWebhookDeliveries', {}, owner);
    await op('listWebhookDeliveries', {}, { ...owner, query: 'limit=0', label: 'invalid' });

    // The kill switch: a frozen wallet refuses transfers and dry runs with its code.
    await op('freezeWallet', { id: wallet.id }, owner);
    await op('freezeWallet', { id: UNKNOWN_ID }, { ...owner, label: 'unknown' });
    await op('freezeWallet', { id: wallet.id }, { ...agent, label: 'agent' });
    await op(
      'createTransfer',
      { id: wallet.id },
      { ...agent, body: transfer, headers: { 'idempotency-key': 'c-frozen' }, label: 'frozen' },
    );
    await op(
      'evaluateTransfer',
      { id: wallet.id },
      { ...agent, body: { to: RECIPIENT, amount: '0.1' }, label: 'frozen' },
    );
    await op('unfreezeWallet', { id: wallet.id }, owner);
    await op('unfreezeWallet', { id: UNKNOWN_ID }, { ...owner, label: 'unknown' });
    await op('freezeAgent', { id: agentId }, owner);
    await op('freezeAgent', { id: UNKNOWN_ID }, { ...owner, label: 'unknown' });
    await op('unfreezeAgent', { id: agentId }, owner);
    await op('unfreezeAgent', { id: UNKNOWN_ID }, { ...owner, label: 'unknown' });
    await op('freezeOwner', {}, owner);
    await op('unfreezeOwner', {}, owner);
    await op('freezeOwner', {}, { ...agent, label: 'agent' });
    await op('getServiceFreeze', {}, admin);
    await op('freezeService', {}, admin);
    await op('unfreezeService', {}, admin);
    await op('freezeService', {}, { ...owner, label: 'owner' });
    await op('unfreezeService', {}, { ...owner, label: 'owner' });
    await op('getServiceFreeze', {}, { ...owner, label: 'owner' });

    // Suspension, then revocation of the grant.
    await op('updateAgent', { id: agentId }, { ...owner, body: { status: 'SUSPENDED' } });
    await op('getWalletBalance', { id: wallet.id }, { ...agent, label: 'suspended' });
    await op('updateAgent', { id: agentId }, { ...owner, body: { status: 'ACTIVE' } });
    await op('revokeWalletAgent', { id: wallet.id, agentId }, owner);
    await op('getWallet', { id: wallet.id }, { ...agent, label: 'grant revoked' });
    await op('revokeWalletAgent', { id: UNKNOWN_ID, agentId }, { ...owner, label: 'unknown' });

    // The owner console: a cookie session with its CSRF token.
    await op('createConsoleSession', {}, { ...agent, label: 'agent' });
    const signIn = await op('createConsoleSession', {}, owner);
    const cookie = cookieOf(signIn);
    const csrf = signIn.body.session.csrfToken as string;
    const session = { headers: { cookie } };
    await op('getConsoleSession', {}, { ...session, label: 'cookie' });
    await op('getConsoleSettings', {}, session);
    await op('listWallets', {}, { ...session, label: 'console' });
    await op('getConsoleSettings', {}, { label: 'nothing' });
    await op('deleteConsoleSession', {}, { ...session, label: 'no csrf' });
    await op('deleteConsoleSession', {}, { headers: { cookie, 'x-csrf-token': csrf } });

    // Rotation last: the owner key stops working.
    await op('rotateOwnerKey', {}, owner);
    await op('listWallets', {}, { ...owner, label: 'old key' });

    // The per-key rate limit, on an instance of the same API that allows one request a minute.
    const fresh = await op('createOwner', {}, { ...admin, body: { email: `rl-${email}` } });
    const limited = await startInstance(h, { RATE_LIMIT_PER_MINUTE: '1' });
    try {
      const once = { token: fresh.body.apiKey as string, app: limited };
      await op('listWallets', {}, { ...once, label: 'first' });
      await op('listWallets', {}, { ...once, label: 'limited' });
    } finally {
      await limited.close();
    }

    const counts = [...exercised.values()].flat();
    process.stdout.write(
      `conformance: ${counts.length} responses over ${exercised.size}/${operations.size} operations, ` +
        `${new Set(counts).size} distinct statuses, ${mismatches.length} mismatches\n`,
    );
    expect(mismatches).toEqual([]);
    expect([...operations.keys()].filter((id) => !exercised.has(id)).sort()).toEqual([]);
    // Each operation is seen answering successfully at least once.
    const withoutSuccess = [...exercised].filter(([, s]) => !s.some((x) => x.startsWith('2')));
    expect(withoutSuccess.map(([id]) => id)).toEqual([]);
  });
});
