import { type CacheBundle, createCache } from '@waiaas/cache';
import { createPrismaClient, type PrismaClient, type SlowQueryEvent } from '@waiaas/database';
import { type KeyCustody, LocalKeystoreCustody, createRpc } from '@waiaas/solana-signer';
import type { Rpc, SolanaRpcApi } from '@solana/kit';
import { type AppConfig, ConfigError } from '../config/app-config.js';
import type { MetricsService } from '../metrics/metrics.service.js';

/** Everything outside the process the app talks to, built (and checked) before Nest starts. */
export interface Infrastructure {
  prisma: PrismaClient;
  cache: CacheBundle;
  rpc: Rpc<SolanaRpcApi>;
  custody: KeyCustody;
  close(): Promise<void>;
}

/** Parts a caller (a test, the zero-config launcher) may supply instead of the defaults. */
export interface InfrastructureOverrides {
  custody?: KeyCustody;
  /** Receives queries slower than DATABASE_SLOW_QUERY_MS (the app logs them as db_query_slow). */
  onSlowQuery?: (event: SlowQueryEvent) => void;
}

/**
 * Connects to PostgreSQL (fails fast when it cannot: the process must not come up broken),
 * Redis (fails fast too, through @waiaas/cache), the RPC client and key custody.
 */
export async function createInfrastructure(
  config: AppConfig,
  metrics: MetricsService,
  overrides: InfrastructureOverrides = {},
): Promise<Infrastructure> {
  const prisma = await connectDatabase(config, overrides);
  let cache: CacheBundle;
  try {
    cache = await connectCache(config, metrics);
  } catch (e) {
    await prisma.$disconnect().catch(() => undefined);
    throw e;
  }
  const rpc = createRpc({
    url: config.solana.rpcUrl,
    timeoutMs: config.solana.rpcTimeoutMs,
    retries: config.solana.rpcRetries,
  });
  const { custody, keystorePrisma } = await createCustody(config, overrides);

  return {
    prisma,
    cache,
    rpc,
    custody,
    close: async () => {
      await Promise.allSettled([
        cache.close(),
        prisma.$disconnect(),
        keystorePrisma?.$disconnect(),
      ]);
    },
  };
}

/** The main Prisma client, checked with one query: an unreachable database stops start-up. */
async function connectDatabase(
  config: AppConfig,
  overrides: InfrastructureOverrides,
): Promise<PrismaClient> {
  const prisma = createPrismaClient({
    url: config.database.url,
    poolSize: config.database.poolSize,
    statementTimeoutMs: config.database.statementTimeoutMs,
    connectionTimeoutMs: config.database.connectionTimeoutMs,
    applicationName: 'waiaas-api',
    slowQueryMs: config.database.slowQueryMs,
    ...(overrides.onSlowQuery ? { onSlowQuery: overrides.onSlowQuery } : {}),
  });
  try {
    await prisma.$queryRaw`SELECT 1`;
  } catch (cause) {
    await prisma.$disconnect().catch(() => undefined);
    throw new ConfigError(
      'DATABASE_URL',
      `PostgreSQL is unreachable (${(cause as Error).message})`,
    );
  }
  return prisma;
}

/** Redis (or the in-process cache without REDIS_URL); an unreachable Redis stops start-up. */
async function connectCache(config: AppConfig, metrics: MetricsService): Promise<CacheBundle> {
  try {
    return await createCache({
      ...(config.redis.url === null ? {} : { redisUrl: config.redis.url }),
      prefix: config.redis.keyPrefix,
      rateLimit: { points: config.rateLimit.perMinute, windowSeconds: 60 },
      // Balances are read on every GET balance: kept in process too (never past their 10 s in
      // Redis), and dropped on every instance by the worker's invalidation after a confirmed
      // transfer. Principals, wallets and grants are kept in process by generation instead.
      l1: { keyspaces: ['balance'], ttlSeconds: 10 },
      onEvent: metrics.onCacheEvent,
      failFast: true,
    });
  } catch (cause) {
    throw new ConfigError('REDIS_URL', `Redis is unreachable (${(cause as Error).message})`);
  }
}

/** Key custody as configured; the local keystore gets its own small pool (returned to close). */
async function createCustody(
  config: AppConfig,
  overrides: InfrastructureOverrides,
): Promise<{ custody: KeyCustody; keystorePrisma: PrismaClient | null }> {
  if (overrides.custody !== undefined) return { custody: overrides.custody, keystorePrisma: null };
  if (config.custody.kind === 'LOCAL') {
    // Signing runs inside SpendRepository's transaction, which holds a connection of the main
    // pool; the keystore read must not need a second one from the same pool, or a burst of
    // transfers on as many wallets as the pool has connections would wait on itself.
    const keystorePrisma = createPrismaClient({
      url: config.database.url,
      poolSize: Math.max(2, Math.ceil(config.database.poolSize / 2)),
      statementTimeoutMs: config.database.statementTimeoutMs,
      connectionTimeoutMs: config.database.connectionTimeoutMs,
      applicationName: 'waiaas-api-keystore',
    });
    return {
      custody: new LocalKeystoreCustody(keystorePrisma, config.custody.masterKeys),
      keystorePrisma,
    };
  }
  // Loaded only when configured: a local-keystore deployment never loads the Turnkey SDK.
  const { TurnkeyCustody } = await import('@waiaas/solana-signer/turnkey');
  return { custody: new TurnkeyCustody(config.custody.turnkey), keystorePrisma: null };
}
