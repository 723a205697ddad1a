import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { address } from '@solana/kit';
import { ConfirmationWorker, loadConfig as loadWorkerConfig } from '@waiaas/confirmation-worker';
import { createPrismaClient, type PrismaClient } from '@waiaas/database';
import { type LocalLedger, startLocalLedger } from '@waiaas/local-ledger';
import {
  createTestDatabase,
  createTestRedis,
  startTcpProxy,
  type TcpProxy,
  type TestDatabase,
  type TestRedis,
} from '@waiaas/testing';
import type { KeyCustody } from '@waiaas/solana-signer';
import { type Logger, pino } from 'pino';
import { createApp } from '../src/app.factory.js';
import { type AppConfig, loadConfig } from '../src/config/app-config.js';

export const ADMIN_TOKEN = `admin-${randomBytes(24).toString('hex')}`;

export interface Harness {
  app: NestFastifyApplication;
  /** `http://127.0.0.1:<port>` of the listening app. */
  baseUrl: string;
  config: AppConfig;
  db: TestDatabase;
  redis: TestRedis;
  ledger: LocalLedger;
  /** A separate client for assertions (counting rows), not the app's own. */
  prisma: PrismaClient;
  /** With `proxied`: the TCP proxies between the app and PostgreSQL, Redis and the RPC. */
  proxies: { database: TcpProxy; redis: TcpProxy; rpc: TcpProxy } | null;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Wraps or replaces the configured custody (e.g. to inject custody failures). */
  custody?: (config: AppConfig, databaseUrl: string) => KeyCustody;
  /** The app's logger (default: silent, or TEST_LOG_LEVEL). */
  logger?: Logger;
  /**
   * Connect the app to PostgreSQL, Redis and the RPC through TCP proxies the test controls
   * (fault injection for this app only; the shared servers are never touched).
   */
  proxied?: boolean;
  /** The transfer engine's clock (policy decisions, createdAt, approval expiry): a test's instant. */
  clock?: () => Date;
}

/** `url` with its host and port replaced by the proxy's. */
function through(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

async function proxyFor(url: string): Promise<TcpProxy> {
  const u = new URL(url);
  return startTcpProxy({ host: u.hostname, port: Number(u.port) });
}

/** The ledger behind each app a harness started, so {@link createWallet} can fund wallets. */
const ledgers = new WeakMap<NestFastifyApplication, LocalLedger>();

/** SOL a wallet made by {@link createWallet} holds unless told otherwise: 100 SOL. */
export const TEST_WALLET_FUNDING = 100_000_000_000n;

/** Environment for one test file: its own database, Redis prefix and local ledger. */
export async function startHarness(
  env: Record<string, string> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const db = await createTestDatabase();
  const redis = createTestRedis();
  const ledger = await startLocalLedger({ port: 0, slotMs: 0 });
  const proxies = options.proxied
    ? {
        database: await proxyFor(db.url),
        redis: await proxyFor(redis.url),
        rpc: await proxyFor(ledger.url),
      }
    : null;
  const config = loadConfig({
    DATABASE_URL: proxies ? through(db.url, proxies.database) : db.url,
    REDIS_URL: proxies ? through(redis.url, proxies.redis) : redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    SOLANA_RPC_URL: proxies ? through(ledger.url, proxies.rpc) : ledger.url,
    ADMIN_TOKEN,
    WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_POOL_SIZE: '20',
    // Test files send many deliberately bad keys from one address; the per-address limit on
    // failed authentication has tests of its own that set it low.
    AUTH_FAILURES_PER_MINUTE: '100000',
    // The delay tier's release loop queries the database every second; tests that count
    // statements must not see it, so it runs only where a test asks for it.
    DELAY_RELEASE_INTERVAL_MS: '0',
    ...env,
  });
  const app = await createApp(config, {
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(options.custody ? { custody: options.custody(config, db.url) } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  ledgers.set(app, ledger);
  const prisma = createPrismaClient({ url: db.url, poolSize: 2 });
  const baseUrl = await listen(app);
  return {
    app,
    baseUrl,
    config,
    db,
    redis,
    ledger,
    prisma,
    proxies,
    close: async () => {
      for (const proxy of Object.values(proxies ?? {})) proxy.resume();
      await app.close();
      for (const proxy of Object.values(proxies ?? {})) await proxy.close();
      await prisma.$disconnect();
      await ledger.close();
      await redis.cleanup();
      await db.drop();
    },
  };
}

/**
 * Another instance of the API on `h`'s database, ledger and (unless `env` says otherwise)
 * Redis prefix, listening on its own port. The caller closes it.
 */
export async function startInstance(
  h: Harness,
  env: Record<string, string> = {},
  options: { custody?: KeyCustody; logger?: Logger; clock?: () => Date } = {},
): Promise<NestFastifyApplication> {
  const config = loadConfig({
    DATABASE_URL: h.db.url,
    REDIS_URL: h.redis.url,
    REDIS_KEY_PREFIX: h.redis.prefix,
    SOLANA_RPC_URL: h.ledger.url,
    ADMIN_TOKEN: h.config.auth.adminToken,
    WALLET_MASTER_KEY: randomBytes(32).toString('hex'),
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    AUTH_FAILURES_PER_MINUTE: '100000',
    DELAY_RELEASE_INTERVAL_MS: '0',
    ...env,
  });
  const app = await createApp(config, {
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.custody ? { custody: options.custody } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  ledgers.set(app, h.ledger);
  await listen(app);
  return app;
}

/**
 * The real confirmation worker on `h`'s database, ledger and Redis prefix, started (fast polls,
 * no metrics port, silent). `env` adds or overrides worker variables. The caller stops it.
 */
export async function startWorker(
  h: Harness,
  env: Record<string, string> = {},
): Promise<ConfirmationWorker> {
  const worker = await ConfirmationWorker.create({
    config: loadWorkerConfig(
      {
        DATABASE_URL: h.db.url,
        REDIS_URL: h.redis.url,
        REDIS_KEY_PREFIX: h.redis.prefix,
        SOLANA_RPC_URL: h.ledger.url,
        POLL_INTERVAL_MS: '100',
        METRICS_PORT: '0',
        METRICS_HOST: '127.0.0.1',
        DATABASE_POOL_SIZE: '4',
        LOG_LEVEL: 'silent',
        ...env,
      },
      `api-test-${randomBytes(3).toString('hex')}`,
    ),
    logger: pino({ level: 'silent' }),
    defaultMetrics: false,
  });
  await worker.start();
  return worker;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw payload (string) instead of JSON-encoding `body`. */
  raw?: string;
}

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  body: any;
}

const apps = new WeakMap<NestFastifyApplication, string>();

/**
 * Listens on a free local port. A real port rather than inject(): light-my-request require()s
 * an ESM-only module, which Jest's CommonJS loader cannot do on Node 20; a socket also tests
 * what clients really see.
 */
export async function listen(app: NestFastifyApplication): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const baseUrl = `http://127.0.0.1:${address.port}`;
  apps.set(app, baseUrl);
  return baseUrl;
}

/** One HTTP request over the app's socket (the whole stack: hooks, guards, pipes, filters). */
export async function call(
  app: NestFastifyApplication,
  method: string,
  url: string,
  options: CallOptions = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let payload: string | undefined;
  if (options.raw !== undefined) payload = options.raw;
  else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const baseUrl = apps.get(app);
  if (baseUrl === undefined) throw new Error('app is not listening');
  const response = await fetch(baseUrl + url, {
    method,
    headers,
    ...(payload === undefined ? {} : { body: payload }),
  });
  const text = await response.text();
  let body: unknown = text;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json') && text !== '') body = JSON.parse(text);
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    responseHeaders[name] = value;
  });
  return { status: response.status, headers: responseHeaders, body };
}

/** Creates an owner through the API; returns its id and key. */
export async function createOwner(
  app: NestFastifyApplication,
  email = `o-${randomBytes(4).toString('hex')}@example.com`,
): Promise<{ id: string; key: string }> {
  const r = await call(app, 'POST', '/v1/owners', { token: ADMIN_TOKEN, body: { email } });
  if (r.status !== 201) throw new Error(`createOwner: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.owner.id, key: r.body.apiKey };
}

export async function createAgent(
  app: NestFastifyApplication,
  ownerKey: string,
  name = 'bot',
): Promise<{ id: string; key: string }> {
  const r = await call(app, 'POST', '/v1/agents', { token: ownerKey, body: { name } });
  if (r.status !== 201) throw new Error(`createAgent: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.agent.id, key: r.body.apiKey };
}

/**
 * A wallet of `ownerKey`'s owner, funded with {@link TEST_WALLET_FUNDING} lamports from the
 * app's ledger (a transfer must be payable: 422 INSUFFICIENT_FUNDS otherwise), or `fund`.
 */
export async function createWallet(
  app: NestFastifyApplication,
  ownerKey: string,
  { fund = TEST_WALLET_FUNDING }: { fund?: bigint } = {},
): Promise<{ id: string; address: string }> {
  const r = await call(app, 'POST', '/v1/wallets', { token: ownerKey, body: { label: 'w' } });
  if (r.status !== 201) throw new Error(`createWallet: ${r.status} ${JSON.stringify(r.body)}`);
  const wallet = { id: String(r.body.wallet.id), address: String(r.body.wallet.address) };
  const ledger = ledgers.get(app);
  if (fund > 0n && ledger !== undefined) await ledger.airdrop(address(wallet.address), fund);
  return wallet;
}

export async function grant(
  app: NestFastifyApplication,
  ownerKey: string,
  walletId: string,
  agentId: string,
): Promise<void> {
  const r = await call(app, 'PUT', `/v1/wallets/${walletId}/agents/${agentId}`, {
    token: ownerKey,
  });
  if (r.status !== 200) throw new Error(`grant: ${r.status} ${JSON.stringify(r.body)}`);
}

/**
 * An owner, its agent and a funded wallet granted to the agent, all through the API; with
 * `policy`, the wallet's policy set too.
 */
export async function agentWithWallet(
  app: NestFastifyApplication,
  policy?: Record<string, unknown>,
): Promise<{
  owner: { id: string; key: string };
  agent: { id: string; key: string };
  wallet: { id: string; address: string };
}> {
  const owner = await createOwner(app);
  const agent = await createAgent(app, owner.key);
  const wallet = await createWallet(app, owner.key);
  await grant(app, owner.key, wallet.id, agent.id);
  if (policy !== undefined) {
    const r = await call(app, 'PUT', `/v1/wallets/${wallet.id}/policy`, {
      token: owner.key,
      body: policy,
    });
    if (r.status !== 200) throw new Error(`policy: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return { owner, agent, wallet };
}

/** Asserts a problem+json response with the given status and code. */
export function expectProblem(r: CallResult, status: number, code: string): void {
  const ok =
    r.status === status &&
    String(r.headers['content-type']).startsWith('application/problem+json') &&
    r.body?.code === code &&
    typeof r.body?.requestId === 'string' &&
    r.body?.status === status;
  if (!ok)
    throw new Error(
      `expected ${status} ${code}, got ${r.status} ${String(r.headers['content-type'])} ${JSON.stringify(r.body)}`,
    );
}

/**
 * Polls `check` until it holds (a guard against waiting forever, not a timing assertion).
 * @throws after `timeoutMs`, naming `what`
 */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
