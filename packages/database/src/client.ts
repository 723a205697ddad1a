import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.js';
import { GENERIC_PLANS_SETTING, registerPool } from './sql.js';

/** Connection settings for {@link createPrismaClient}, parsed by the app's typed config. */
export interface DatabaseConfig {
  /** PostgreSQL connection string. */
  url: string;
  /**
   * Maximum pool connections per process for Prisma and transactions (default 10). With
   * prepared statements on, the hot paths' autocommit statements (a dry run, an idempotency
   * look-up) have a pool of their own of half as many more (at least one), opened only when
   * used: see {@link createPrismaClient}.
   */
  poolSize?: number;
  /**
   * Statement timeout in milliseconds (default 5 000): PostgreSQL cancels a longer statement,
   * and the client gives up on an answer that has not arrived one second later (a stalled or
   * unreachable server cannot cancel anything), so no query waits without an end. Statements
   * sent together in one round trip get the statement timeout each (see `sqlTransaction`).
   */
  statementTimeoutMs?: number;
  /** How long to wait for a pool connection in milliseconds (default 5 000). */
  connectionTimeoutMs?: number;
  /** Idle pool connections are closed after this many milliseconds (default 30 000). */
  idleTimeoutMs?: number;
  /** `application_name` shown in pg_stat_activity (default "waiaas"). */
  applicationName?: string;
  /**
   * Called for every query that took at least `slowQueryMs` (default 200 ms), with the SQL
   * (placeholders, never parameter values) and its duration: log it as a `db_query_slow` event.
   */
  onSlowQuery?: (event: SlowQueryEvent) => void;
  slowQueryMs?: number;
  /**
   * The hot paths' parameterised statements run as named prepared statements, parsed and
   * planned once per connection (default true). Turn off only behind a pooler that cannot keep
   * them per client (PgBouncer in transaction mode before 1.21, or without
   * `max_prepared_statements`).
   */
  preparedStatements?: boolean;
}

/** A query slower than the configured threshold. */
export interface SlowQueryEvent {
  event: 'db_query_slow';
  /** SQL text with `$n` placeholders; parameter values are deliberately left out. */
  query: string;
  durationMs: number;
}

export type { PrismaClient };

/** How much longer than the statement timeout the client waits for the server's own cancel. */
const QUERY_TIMEOUT_GRACE_MS = 1_000;

/**
 * Builds a Prisma client over `pg` through `@prisma/adapter-pg` (no native engine needed).
 * Call `$disconnect()` on shutdown: it closes the pool.
 *
 * @example
 * ```ts
 * const prisma = createPrismaClient({ url: process.env.DATABASE_URL!, poolSize: 20 });
 * const owners = await prisma.owner.count();
 * await prisma.$disconnect();
 * ```
 */
export function createPrismaClient(config: DatabaseConfig): PrismaClient {
  const statementTimeoutMs = config.statementTimeoutMs ?? 5_000;
  const poolSize = config.poolSize ?? 10;
  const prepared = config.preparedStatements ?? true;
  const options: pg.PoolConfig = {
    connectionString: config.url,
    connectionTimeoutMillis: config.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: config.idleTimeoutMs ?? 30_000,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + QUERY_TIMEOUT_GRACE_MS,
    // Dead peers (a host that vanished without a FIN) are noticed by the kernel, not never.
    keepAlive: true,
    application_name: config.applicationName ?? 'waiaas',
  };
  // The hot paths' autocommit statements run on connections that plan prepared statements
  // once, generically (see GENERIC_PLANS in sql.ts for why PostgreSQL's own choice re-planned
  // them with every call). Not on Prisma's connections: its unnamed statements would then be
  // planned without their values too.
  const autocommit = prepared
    ? quiet(new pg.Pool({ ...options, max: Math.max(1, Math.ceil(poolSize / 2)) }))
    : null;
  autocommit?.on('connect', (client) => {
    // Queued before any statement the pool hands this connection; a failure leaves the
    // connection with PostgreSQL's own choice, which is slower, not wrong.
    client.query(GENERIC_PLANS_SETTING).catch(() => undefined);
  });
  // The pool is ours, not the adapter's, so the hot paths can run plain `pg` statements on the
  // same connections Prisma uses (see sql.ts); the adapter ends it on `$disconnect()`, and
  // the autocommit pool with it.
  const pool = quiet(new PrismaPool({ ...options, max: poolSize }, autocommit));
  // The adapter resolves the same `pg` at run time (it checks `instanceof pg.Pool`); only its
  // @types/pg is a newer minor than ours, hence the cast.
  const adapter = new PrismaPg(pool as unknown as ConstructorParameters<typeof PrismaPg>[0], {
    disposeExternalPool: true,
  });
  if (!config.onSlowQuery)
    return registerPool(new PrismaClient({ adapter }), pool, null, prepared, autocommit);

  const threshold = config.slowQueryMs ?? 200;
  const onSlowQuery = config.onSlowQuery;
  const client = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  client.$on('query', (e) => {
    const durationMs = Number(e.duration);
    if (durationMs >= threshold)
      onSlowQuery({ event: 'db_query_slow', query: e.query, durationMs });
  });
  return registerPool(client, pool, { thresholdMs: threshold, onSlowQuery }, prepared, autocommit);
}

/**
 * An idle connection the server ends (a restart, pg_terminate_backend) is dropped by the pool
 * and the next statement opens a new one; the pool reports it as an 'error' event, which with
 * no listener would be thrown and end the process (Prisma's adapter listens only once it has
 * run a query itself, and the hot paths may have run only plain statements).
 */
function quiet<P extends pg.Pool>(pool: P): P {
  pool.on('error', () => undefined);
  return pool;
}

/** Prisma's pool, which ends the autocommit pool when the adapter ends it. */
class PrismaPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    private readonly autocommit: pg.Pool | null,
  ) {
    super(config);
  }

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | void {
    const ended = Promise.all([super.end(), this.autocommit?.end()]).then(() => undefined);
    if (callback === undefined) return ended;
    void ended.then(callback, callback);
  }
}
