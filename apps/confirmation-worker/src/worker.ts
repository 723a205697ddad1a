import { type Logger } from 'pino';
import { createCache, type CacheBundle } from '@waiaas/cache';
import {
  ApprovalExpiryRepository,
  IdempotencyRepository,
  WebhookDeliveryRepository,
  WorkerRepository,
  createPrismaClient,
  type PrismaClient,
} from '@waiaas/database';
import { createSolanaRpcFromTransport } from '@solana/kit';
import { BalanceInvalidator, type BalanceCache } from './balance-invalidator.js';
import { createBatchingTransport } from './batch-transport.js';
import { KitChain, type Chain } from './chain.js';
import type { ClaimObserver } from './claim-observer.js';
import type { WorkerConfig } from './config.js';
import { Confirmer } from './confirmer.js';
import { WorkerError } from './errors.js';
import { Loop, wakeOne } from './loop.js';
import { Retention } from './retention.js';
import { ApprovalExpirySweep } from './approval-expiry.js';
import { WorkerMetrics } from './metrics.js';
import { PendingListener } from './pending-listener.js';
import { Submitter } from './submitter.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';

/** Longest a `/health` probe of PostgreSQL or the RPC may take before it counts as failed. */
const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/**
 * One dependency's answer to a health probe.
 *
 * @example
 * ```ts
 * const check: HealthCheck = { ok: false, error: 'timed out after 2000 ms' };
 * ```
 */
export interface HealthCheck {
  ok: boolean;
  latencyMs?: number;
  error?: string;
}

/**
 * The worker's `/health` document (200 when `ok`, 503 otherwise).
 *
 * @example
 * ```ts
 * const health: WorkerHealth = await worker.health();
 * if (health.status !== 'ok') console.log(health.checks);
 * ```
 */
export interface WorkerHealth {
  status: 'ok' | 'unavailable' | 'stopping';
  checks?: { database: HealthCheck; rpc: HealthCheck };
}

async function probe(run: () => Promise<void>): Promise<HealthCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${HEALTH_CHECK_TIMEOUT_MS} ms`)),
          HEALTH_CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (e) {
    return { ok: false, error: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @example
 * ```ts
 * const options: ConfirmationWorkerOptions = { config: loadConfig(process.env), logger: createLogger({ level: 'info', workerId: 'w1' }) };
 * ```
 */
export interface ConfirmationWorkerOptions {
  config: WorkerConfig;
  logger: Logger;
  /** Sees every claim (tracing; tests). */
  observer?: ClaimObserver;
  /**
   * Balance cache to invalidate. Default: a Redis cache from `config.redis` when REDIS_URL is
   * set, else none (an in-process cache of another process cannot be reached). Pass the API's
   * cache when both run in one process (zero-configuration mode).
   */
  cache?: BalanceCache | null;
  /** Chain access; default: kit RPC from `config.rpc` with timeouts and retries. */
  chain?: Chain;
  /** Register Node's default process metrics (default true). */
  defaultMetrics?: boolean;
}

/** The RPC the worker talks to: kit over a transport that batches JSON-RPC calls. */
function createChain(config: WorkerConfig, metrics: WorkerMetrics): Chain {
  return new KitChain(
    createSolanaRpcFromTransport(
      createBatchingTransport({
        url: config.rpc.url,
        maxBatch: config.rpc.batchMax,
        timeoutMs: config.rpc.timeoutMs,
        retries: config.rpc.retries,
      }),
    ),
    metrics,
  );
}

/**
 * The worker's composition root: one PostgreSQL pool, a LISTEN connection, the RPC client,
 * and three loops (submit, confirm, webhooks) over the domain classes.
 *
 * A plain composition root rather than a NestJS application context: the worker has no HTTP
 * API to route, and the domain providers it shares with the API (repositories, cache, RPC
 * client) are plain classes from the packages, so Nest's container would add start-up time
 * and indirection without removing any wiring.
 *
 * @example
 * ```ts
 * const worker = await ConfirmationWorker.create({ config: loadConfig(process.env), logger });
 * worker.start();
 * process.once('SIGTERM', () => void worker.stop());
 * ```
 */
export class ConfirmationWorker {
  readonly metrics: WorkerMetrics;
  private readonly chain: Chain;
  private readonly loops: Loop[];
  private readonly listener: PendingListener;
  private stopping: Promise<void> | undefined;
  private started = false;

  private constructor(
    private readonly config: WorkerConfig,
    private readonly logger: Logger,
    private readonly prisma: PrismaClient,
    private readonly cacheBundle: CacheBundle | undefined,
    options: ConfirmationWorkerOptions,
    cache: BalanceCache | null,
  ) {
    const repository = new WorkerRepository(prisma, {
      transactionTimeoutMs: Math.max(60_000, config.rpc.timeoutMs * (config.rpc.retries + 1) * 4),
    });
    const deliveries = new WebhookDeliveryRepository(prisma);
    this.metrics = new WorkerMetrics(
      { oldestAges: () => repository.oldestAges() },
      { defaultMetrics: options.defaultMetrics ?? true },
    );
    this.chain = options.chain ?? createChain(config, this.metrics);
    const observer = options.observer ? { observer: options.observer } : {};

    const webhookLoop = this.webhookLoop(deliveries);
    const onOutbox = () => webhookLoop.wake();
    const submitLoops = this.submitLoops(repository, onOutbox, observer);
    const confirmLoop = this.confirmLoop(repository, cache, onOutbox, observer);
    const retentionLoop = this.retentionLoop(deliveries);
    const expiryLoop = this.approvalExpiryLoop(onOutbox);
    this.loops = [...submitLoops, confirmLoop, webhookLoop, retentionLoop, expiryLoop];
    this.listener = new PendingListener(
      config.database.url,
      () => wakeOne(submitLoops),
      logger,
      `waiaas-worker-listen:${config.workerId}`,
    );
  }

  /** Delivers due webhooks; woken as soon as a transition wrote outbox rows. */
  private webhookLoop(deliveries: WebhookDeliveryRepository): Loop {
    const { config, logger } = this;
    const dispatcherBatch = Math.min(config.batchSize, 50);
    const dispatcher = new WebhookDispatcher(
      { repository: deliveries, metrics: this.metrics, logger },
      { batchSize: dispatcherBatch, ...config.webhook },
    );
    return new Loop(
      'webhooks',
      config.pollIntervalMs,
      async () => (await dispatcher.runOnce()) === dispatcherBatch,
      logger,
    );
  }

  /**
   * Several submit loops: while one waits for the node to take its batch, another claims
   * (SKIP LOCKED: disjoint rows, as between replicas) and sends what arrived meanwhile, so a
   * new transfer never waits for a whole batch in flight before it is sent. A notification
   * wakes one waiting loop (see {@link wakeOne}); a loop that claimed a full batch wakes
   * another, so a backlog is worked by all of them.
   */
  private submitLoops(
    repository: WorkerRepository,
    onOutbox: () => void,
    observer: { observer?: ClaimObserver },
  ): Loop[] {
    const { config, logger } = this;
    const submitter = new Submitter(
      { repository, chain: this.chain, metrics: this.metrics, logger, onOutbox, ...observer },
      { batchSize: config.batchSize, retryAfterMs: config.rebroadcastIntervalMs },
    );
    const loops: Loop[] = [];
    for (let i = 0; i < config.submitConcurrency; i++) {
      const loop: Loop = new Loop(
        `submit-${i + 1}`,
        config.pollIntervalMs,
        async () => {
          const full = (await submitter.runOnce()) === config.batchSize;
          if (full) wakeOne(loops, loop);
          return full;
        },
        logger,
      );
      loops.push(loop);
    }
    return loops;
  }

  /** Confirms, fails or expires SUBMITTED rows, and drops the balances that changed. */
  private confirmLoop(
    repository: WorkerRepository,
    cache: BalanceCache | null,
    onOutbox: () => void,
    observer: { observer?: ClaimObserver },
  ): Loop {
    const { config, logger } = this;
    const confirmer = new Confirmer(
      {
        repository,
        chain: this.chain,
        metrics: this.metrics,
        logger,
        balances: new BalanceInvalidator(cache, repository, logger),
        onOutbox,
        ...observer,
      },
      {
        batchSize: config.confirmBatchSize,
        commitment: config.commitment,
        rebroadcastIntervalMs: config.rebroadcastIntervalMs,
      },
    );
    return new Loop(
      'confirm',
      config.confirmIntervalMs,
      async () => {
        await confirmer.runOnce(() => this.stopping === undefined);
        return false;
      },
      logger,
    );
  }

  /** Deletes expired idempotency records and old delivered webhooks, now and then. */
  private retentionLoop(deliveries: WebhookDeliveryRepository): Loop {
    const { config, logger } = this;
    const retention = new Retention(
      { idempotency: new IdempotencyRepository(this.prisma), deliveries, logger },
      { deliveryDays: config.retention.deliveryDays },
    );
    return new Loop(
      'retention',
      config.retention.intervalMs,
      async () => {
        await retention.runOnce(new Date());
        return false;
      },
      logger,
    );
  }

  /** Expires approvals the owner did not give in time (see approval-expiry.ts). */
  private approvalExpiryLoop(onOutbox: () => void): Loop {
    const { config, logger } = this;
    const batchSize = 500;
    const sweep = new ApprovalExpirySweep(
      { approvals: new ApprovalExpiryRepository(this.prisma), logger, onOutbox },
      { batchSize },
    );
    return new Loop(
      'approval-expiry',
      config.approvalExpiry.intervalMs,
      async () => (await sweep.runOnce(new Date())) === batchSize,
      logger,
    );
  }

  /**
   * Connects to PostgreSQL (failing fast when it does not answer) and, when configured,
   * Redis. Nothing is claimed until {@link start}.
   *
   * @throws {WorkerError} `WORKER_DATABASE_UNREACHABLE`
   */
  static async create(options: ConfirmationWorkerOptions): Promise<ConfirmationWorker> {
    const { config, logger } = options;
    const prisma = createPrismaClient({
      url: config.database.url,
      poolSize: config.database.poolSize,
      preparedStatements: config.database.preparedStatements,
      applicationName: `waiaas-worker:${config.workerId}`,
    });
    try {
      await prisma.$queryRaw`SELECT 1`;
    } catch (error) {
      await prisma.$disconnect().catch(() => undefined);
      throw new WorkerError('WORKER_DATABASE_UNREACHABLE', {
        cause:
          error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error),
      });
    }
    let bundle: CacheBundle | undefined;
    let cache: BalanceCache | null = options.cache ?? null;
    if (options.cache === undefined && config.redis.url !== undefined) {
      try {
        bundle = await createCache({ redisUrl: config.redis.url, prefix: config.redis.prefix });
      } catch (error) {
        await prisma.$disconnect().catch(() => undefined);
        throw error;
      }
      cache = bundle.cache;
    }
    return new ConfirmationWorker(config, logger, prisma, bundle, options, cache);
  }

  /** Starts listening and the loops. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const loop of this.loops) loop.start();
    await this.listener.start();
    this.logger.info(
      {
        commitment: this.config.commitment,
        batchSize: this.config.batchSize,
        pollIntervalMs: this.config.pollIntervalMs,
      },
      'worker_started',
    );
  }

  /** True until shutdown begins. */
  get healthy(): boolean {
    return this.started && this.stopping === undefined;
  }

  /**
   * What `/health` reports: `stopping` once shutdown began, else whether PostgreSQL and the RPC
   * answer right now (each probe bounded by {@link HEALTH_CHECK_TIMEOUT_MS}), so an
   * orchestrator sees a worker that runs but cannot make progress.
   */
  async health(): Promise<WorkerHealth> {
    if (!this.healthy) return { status: 'stopping' };
    const [database, rpc] = await Promise.all([
      probe(async () => {
        await this.prisma.$queryRaw`SELECT 1`;
      }),
      probe(async () => {
        await this.chain.blockHeight('confirmed');
      }),
    ]);
    return { status: database.ok && rpc.ok ? 'ok' : 'unavailable', checks: { database, rpc } };
  }

  /**
   * Graceful shutdown: stops claiming, lets in-flight batches finish (their rows are released
   * by commit, or by rollback if `shutdownTimeoutMs` passes and the pool is closed under them:
   * the rows are then simply claimed again, their bytes safe to resend), closes connections.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.logger.info('worker_stopping');
    await this.listener.stop();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.config.shutdownTimeoutMs);
    });
    const outcome = await Promise.race([
      Promise.all(this.loops.map((l) => l.stop())).then(() => 'done' as const),
      timedOut,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.logger.warn('worker_shutdown_timeout_releasing_in_flight');
    await this.prisma.$disconnect().catch(() => undefined);
    await this.cacheBundle?.close().catch(() => undefined);
    this.logger.info('worker_stopped');
  }
}
