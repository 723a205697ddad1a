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
  /**
   * The one clock of the process: policy decisions, createdAt and approval expiry in the
   * transfer engine, and agent-key expiry (tests move it; otherwise the system clock).
   */
  clock: () => Date;
  close(): Promise<void>;
}

/** Parts a caller (a test, the zero-config launcher) may supply instead of the defaults. */
export interface InfrastructureOverrides {
  custody?: KeyCustody;
  /** The process's clock (tests set the instant; default: the system clock). */
  clock?: () => Date;
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
  const prisma = createPrismaClient({
    url: config.database.url,
    poolSize: config.database.poolSize,
    preparedStatements: config.database.preparedStatements,
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

  let cache: CacheBundle;
  try {
    cache = await createCache({
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
    await prisma.$disconnect().catch(() => undefined);
    throw new ConfigError('REDIS_URL', `Redis is unreachable (${(cause as Error).message})`);
  }

  const rpc = createRpc({
    url: config.solana.rpcUrl,
    timeoutMs: config.solana.rpcTimeoutMs,
    retries: config.solana.rpcRetries,
  });

  let custody: KeyCustody;
  let keystorePrisma: PrismaClient | null = null;
  if (overrides.custody !== undefined) {
    custody = overrides.custody;
  } else if (config.custody.kind === 'LOCAL') {
    // Signing runs inside SpendRepository's transaction, which holds a connection of the main
    // pool; the keystore read must not need a second one from the same pool, or a burst of
    // transfers on as many wallets as the pool has connections would wait on itself.
    keystorePrisma = createPrismaClient({
      url: config.database.url,
      poolSize: Math.max(2, Math.ceil(config.database.poolSize / 2)),
      preparedStatements: config.database.preparedStatements,
      statementTimeoutMs: config.database.statementTimeoutMs,
      connectionTimeoutMs: config.database.connectionTimeoutMs,
      applicationName: 'waiaas-api-keystore',
    });
    custody = new LocalKeystoreCustody(keystorePrisma, config.custody.masterKeys);
  } else {
    // Loaded only when configured: a local-keystore deployment never loads the Turnkey SDK.
    const { TurnkeyCustody } = await import('@waiaas/solana-signer/turnkey');
    custody = new TurnkeyCustody(config.custody.turnkey);
  }

  return {
    prisma,
    cache,
    rpc,
    custody,
    clock: overrides.clock ?? (() => new Date()),
    close: async () => {
      await Promise.allSettled([
        cache.close(),
        prisma.$disconnect(),
        keystorePrisma?.$disconnect(),
      ]);
    },
  };
}
