/**
 * Typed configuration, parsed once at start-up from the environment. A missing or malformed
 * value stops the process with a message naming the variable.
 */
import { z } from 'zod';
import { WorkerError } from './errors.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  /** PostgreSQL connection string (required). */
  DATABASE_URL: z
    .string()
    .min(1)
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgresql:// URL'),
  /** Solana JSON-RPC endpoint (required). */
  SOLANA_RPC_URL: z.url({ protocol: /^https?$/ }),
  /** Redis for balance-cache invalidation; without it the worker has no cache to invalidate. */
  REDIS_URL: z.string().min(1).optional(),
  /** Key prefix shared with the API's cache (must match the API's). */
  CACHE_PREFIX: z.string().default('waiaas:'),
  /** Commitment at which a transaction counts as CONFIRMED. */
  COMMITMENT: z.enum(['confirmed', 'finalized']).default('confirmed'),
  /** Fallback polling interval when no NOTIFY arrives, and the status-check cadence (ms). */
  POLL_INTERVAL_MS: int(10, 600_000).default(1_000),
  /** Transactions claimed per batch (getSignatureStatuses takes at most 256). */
  BATCH_SIZE: int(1, 256).default(100),
  /** Submit batches in flight at once in this process (each claims its own rows). */
  SUBMIT_CONCURRENCY: int(1, 16).default(2),
  /** Minimum time between two sends of the same bytes (ms). */
  REBROADCAST_INTERVAL_MS: int(50, 600_000).default(2_000),
  /** RPC per-attempt timeout (ms); bounds how long a claim holds its rows. */
  RPC_TIMEOUT_MS: int(100, 120_000).default(5_000),
  /** RPC retries on transient failures (network, 429, 5xx). */
  RPC_RETRIES: int(0, 10).default(2),
  /** Most JSON-RPC calls sent in one HTTP request (a JSON-RPC batch); 1 sends each on its own. */
  RPC_BATCH_MAX: int(1, 1_000).default(100),
  /** Status-check cadence while transactions are SUBMITTED (ms); default: a slot (400), or POLL_INTERVAL_MS if shorter. */
  CONFIRM_INTERVAL_MS: int(10, 600_000).optional(),
  /** Webhook deliveries attempted before a delivery is given up (FAILED). */
  WEBHOOK_MAX_ATTEMPTS: int(1, 100).default(8),
  /** First retry delay (ms); doubles per attempt, with full jitter. */
  WEBHOOK_BACKOFF_BASE_MS: int(1, 3_600_000).default(1_000),
  /** Longest retry delay (ms). */
  WEBHOOK_BACKOFF_MAX_MS: int(1, 86_400_000).default(3_600_000),
  /** Per-request webhook timeout (ms). */
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(5_000),
  /** true: deliver webhooks to loopback/private/internal hosts too (local development only; SSRF otherwise). */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z.enum(['true', 'false']).default('false'),
  /** How often retention runs (ms): expired idempotency records, old delivered webhooks. */
  RETENTION_INTERVAL_MS: int(1_000, 86_400_000).default(3_600_000),
  /** Delivered webhook deliveries are kept this many days. */
  DELIVERY_RETENTION_DAYS: int(1, 3_650).default(30),
  /** Port of /metrics and /health; 0 picks a free one. */
  METRICS_PORT: int(0, 65_535).default(9464),
  /** Interface the metrics server listens on. */
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  /** Pool size of this process's PostgreSQL client. */
  DATABASE_POOL_SIZE: int(2, 200).default(10),
  /** Longest graceful shutdown before in-flight work is abandoned (ms); rows are released either way. */
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(20_000),
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Name in logs and pg_stat_activity (default: hostname-pid). */
  WORKER_ID: z.string().min(1).max(60).optional(),
});

/**
 * The worker's configuration, grouped.
 *
 * @example
 * ```ts
 * const config: WorkerConfig = loadConfig(process.env);
 * const worker = await ConfirmationWorker.create({ config, logger });
 * ```
 */
export interface WorkerConfig {
  workerId: string;
  database: { url: string; poolSize: number };
  rpc: { url: string; timeoutMs: number; retries: number; batchMax: number };
  redis: { url: string | undefined; prefix: string };
  commitment: 'confirmed' | 'finalized';
  pollIntervalMs: number;
  /** How often the SUBMITTED transactions' statuses are checked. */
  confirmIntervalMs: number;
  batchSize: number;
  /** Submit loops running at once. */
  submitConcurrency: number;
  rebroadcastIntervalMs: number;
  webhook: {
    maxAttempts: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    timeoutMs: number;
    allowPrivateTargets: boolean;
  };
  /** Retention of expired idempotency records and delivered webhook deliveries. */
  retention: { intervalMs: number; deliveryDays: number };
  metrics: { port: number; host: string };
  shutdownTimeoutMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/**
 * Parses the worker's configuration from `env` (defaults in the README's table).
 *
 * @throws {WorkerError} `WORKER_CONFIG_INVALID` naming the first bad variable
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * console.log(config.commitment); // 'confirmed'
 * ```
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  defaultWorkerId = 'worker',
): WorkerConfig {
  // Empty strings mean "unset", as in most process managers' env files.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new WorkerError('WORKER_CONFIG_INVALID', {
      variable,
      reason: issue?.message ?? 'is invalid',
    });
  }
  const e = parsed.data;
  return {
    workerId: e.WORKER_ID ?? defaultWorkerId,
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    rpc: {
      url: e.SOLANA_RPC_URL,
      timeoutMs: e.RPC_TIMEOUT_MS,
      retries: e.RPC_RETRIES,
      batchMax: e.RPC_BATCH_MAX,
    },
    redis: { url: e.REDIS_URL, prefix: e.CACHE_PREFIX },
    commitment: e.COMMITMENT,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    confirmIntervalMs: e.CONFIRM_INTERVAL_MS ?? Math.min(400, e.POLL_INTERVAL_MS),
    batchSize: e.BATCH_SIZE,
    submitConcurrency: e.SUBMIT_CONCURRENCY,
    rebroadcastIntervalMs: e.REBROADCAST_INTERVAL_MS,
    webhook: {
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      backoffBaseMs: e.WEBHOOK_BACKOFF_BASE_MS,
      backoffMaxMs: e.WEBHOOK_BACKOFF_MAX_MS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true',
    },
    retention: { intervalMs: e.RETENTION_INTERVAL_MS, deliveryDays: e.DELIVERY_RETENTION_DAYS },
    metrics: { port: e.METRICS_PORT, host: e.METRICS_HOST },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
  };
}
