/**
 * Typed configuration, parsed once at start-up from the environment. A missing or malformed
 * value stops the process with a message naming the variable.
 */
import { COMMON_ENV, ConfigError, envInt, parseEnv, type ParseEnvOptions } from '@waiaas/shared';
import { z } from 'zod';
import { WorkerError } from './errors.js';

/**
 * Variables renamed so that the worker and the API use one name per thing; the old names keep
 * working for one release, with a deprecation warning.
 */
const RENAMED = {
  CACHE_PREFIX: 'REDIS_KEY_PREFIX',
  RPC_TIMEOUT_MS: 'SOLANA_RPC_TIMEOUT_MS',
  RPC_RETRIES: 'SOLANA_RPC_RETRIES',
} as const;

/**
 * The worker's variables: the shared ones (`DATABASE_URL`, `DATABASE_POOL_SIZE`, `REDIS_URL`,
 * `REDIS_KEY_PREFIX`, `SOLANA_RPC_URL`, `SOLANA_RPC_TIMEOUT_MS`, `SOLANA_RPC_RETRIES`,
 * `WEBHOOK_ALLOW_PRIVATE_TARGETS`, `LOG_LEVEL`) with the API's names and bounds, and its own.
 */
const schema = z.object({
  ...COMMON_ENV,
  /** Commitment at which a transaction counts as CONFIRMED. */
  COMMITMENT: z.enum(['confirmed', 'finalized']).default('confirmed'),
  /** Fallback polling interval when no NOTIFY arrives, and the status-check cadence (ms). */
  POLL_INTERVAL_MS: envInt(10, 600_000).default(1_000),
  /** PENDING transactions claimed (and sent in one JSON-RPC batch) per submit batch. */
  BATCH_SIZE: envInt(1, 256).default(100),
  /**
   * SUBMITTED transactions claimed per page of a confirmation pass: one getSignatureStatuses
   * call (which takes at most 256 signatures) per page.
   */
  CONFIRM_BATCH_SIZE: envInt(1, 256).default(256),
  /** Submit batches in flight at once in this process (each claims its own rows). */
  SUBMIT_CONCURRENCY: envInt(1, 16).default(2),
  /** Minimum time between two sends of the same bytes (ms). */
  REBROADCAST_INTERVAL_MS: envInt(50, 600_000).default(2_000),
  /** Most JSON-RPC calls sent in one HTTP request (a JSON-RPC batch); 1 sends each on its own. */
  RPC_BATCH_MAX: envInt(1, 1_000).default(100),
  /** Status-check cadence while transactions are SUBMITTED (ms); default: a slot (400), or POLL_INTERVAL_MS if shorter. */
  CONFIRM_INTERVAL_MS: envInt(10, 600_000).optional(),
  /** Webhook deliveries attempted before a delivery is given up (FAILED). */
  WEBHOOK_MAX_ATTEMPTS: envInt(1, 100).default(8),
  /** First retry delay (ms); doubles per attempt, with full jitter. */
  WEBHOOK_BACKOFF_BASE_MS: envInt(1, 3_600_000).default(1_000),
  /** Longest retry delay (ms). */
  WEBHOOK_BACKOFF_MAX_MS: envInt(1, 86_400_000).default(3_600_000),
  /** Per-request webhook timeout (ms). */
  WEBHOOK_TIMEOUT_MS: envInt(100, 60_000).default(5_000),
  /** How often retention runs (ms): expired idempotency records, old delivered webhooks. */
  RETENTION_INTERVAL_MS: envInt(1_000, 86_400_000).default(3_600_000),
  /** How often AWAITING_APPROVAL transfers past their expiry are moved to EXPIRED (ms). */
  APPROVAL_EXPIRY_INTERVAL_MS: envInt(100, 3_600_000).default(5_000),
  /** Delivered webhook deliveries are kept this many days. */
  DELIVERY_RETENTION_DAYS: envInt(1, 3_650).default(30),
  /** Port of /metrics and /health; 0 picks a free one. */
  METRICS_PORT: envInt(0, 65_535).default(9464),
  /** Interface the metrics server listens on. */
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  /** Longest graceful shutdown before in-flight work is abandoned (ms); rows are released either way. */
  SHUTDOWN_TIMEOUT_MS: envInt(100, 600_000).default(20_000),
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
  database: { url: string; poolSize: number; preparedStatements: boolean };
  rpc: { url: string; timeoutMs: number; retries: number; batchMax: number };
  redis: { url: string | undefined; prefix: string };
  commitment: 'confirmed' | 'finalized';
  pollIntervalMs: number;
  /** How often the SUBMITTED transactions' statuses are checked. */
  confirmIntervalMs: number;
  batchSize: number;
  /** Rows per page of a confirmation pass. */
  confirmBatchSize: number;
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
  /** The sweep that expires approvals the owner did not give in time. */
  approvalExpiry: { intervalMs: number };
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
  options: Pick<ParseEnvOptions, 'warn'> = {},
): WorkerConfig {
  const e = parseWorkerEnv(env, options);
  return {
    workerId: e.WORKER_ID ?? defaultWorkerId,
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    },
    rpc: {
      url: e.SOLANA_RPC_URL,
      timeoutMs: e.SOLANA_RPC_TIMEOUT_MS,
      retries: e.SOLANA_RPC_RETRIES,
      batchMax: e.RPC_BATCH_MAX,
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_KEY_PREFIX },
    commitment: e.COMMITMENT,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    confirmIntervalMs: e.CONFIRM_INTERVAL_MS ?? Math.min(400, e.POLL_INTERVAL_MS),
    batchSize: e.BATCH_SIZE,
    confirmBatchSize: e.CONFIRM_BATCH_SIZE,
    submitConcurrency: e.SUBMIT_CONCURRENCY,
    rebroadcastIntervalMs: e.REBROADCAST_INTERVAL_MS,
    webhook: {
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      backoffBaseMs: e.WEBHOOK_BACKOFF_BASE_MS,
      backoffMaxMs: e.WEBHOOK_BACKOFF_MAX_MS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    },
    retention: { intervalMs: e.RETENTION_INTERVAL_MS, deliveryDays: e.DELIVERY_RETENTION_DAYS },
    approvalExpiry: { intervalMs: e.APPROVAL_EXPIRY_INTERVAL_MS },
    metrics: { port: e.METRICS_PORT, host: e.METRICS_HOST },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
  };
}

/** Parses with the shared vocabulary; a bad variable becomes `WORKER_CONFIG_INVALID`. */
function parseWorkerEnv(
  env: Record<string, string | undefined>,
  options: Pick<ParseEnvOptions, 'warn'>,
): z.output<typeof schema> {
  try {
    return parseEnv(schema, env, { ...options, renamed: RENAMED });
  } catch (e) {
    if (e instanceof ConfigError) throw new WorkerError('WORKER_CONFIG_INVALID', e.context);
    throw e;
  }
}
