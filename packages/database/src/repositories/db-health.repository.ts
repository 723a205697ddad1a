/**
 * Read-only figures for the operator's database health endpoint: server version,
 * connections, database size, worker lag, and the top statements from pg_stat_statements
 * when that extension is installed.
 */
import type { PrismaClient } from '../generated/prisma/client.js';

export interface DbHealthReport {
  version: string;
  databaseSizeBytes: string;
  connections: {
    total: number;
    active: number;
    idle: number;
    idleInTransaction: number;
    max: number;
  };
  worker: {
    pending: number;
    submitted: number;
    oldestPendingAt: Date | null;
    oldestSubmittedAt: Date | null;
  };
  /** Null when pg_stat_statements is not installed in this database. */
  topStatements: { query: string; calls: string; meanMs: number; totalMs: number }[] | null;
}

/**
 * @example
 * ```ts
 * const report = await new DbHealthRepository(prisma).report(10);
 * console.log(report.connections.active, report.worker.oldestPendingAt);
 * ```
 */
export class DbHealthRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** One round trip: throws when the database does not answer (readiness probes). */
  async ping(): Promise<void> {
    await this.prisma.$queryRaw`SELECT 1`;
  }

  async report(topN = 10): Promise<DbHealthReport> {
    const [server] = await this.prisma.$queryRaw<{ version: string; size: string; max: number }[]>`
      SELECT current_setting('server_version') AS version,
             pg_database_size(current_database())::text AS size,
             current_setting('max_connections')::int AS max`;
    const [conn] = await this.prisma.$queryRaw<
      { total: number; active: number; idle: number; idle_tx: number }[]
    >`
      SELECT count(*)::int AS total,
             (count(*) FILTER (WHERE state = 'active'))::int AS active,
             (count(*) FILTER (WHERE state = 'idle'))::int AS idle,
             (count(*) FILTER (WHERE state LIKE 'idle in transaction%'))::int AS idle_tx
      FROM pg_stat_activity WHERE datname = current_database()`;
    const [lag] = await this.prisma.$queryRaw<
      {
        pending: number;
        submitted: number;
        oldest_pending: Date | null;
        oldest_submitted: Date | null;
      }[]
    >`
      SELECT (count(*) FILTER (WHERE status = 'PENDING'))::int AS pending,
             (count(*) FILTER (WHERE status = 'SUBMITTED'))::int AS submitted,
             min(created_at) FILTER (WHERE status = 'PENDING') AS oldest_pending,
             min(created_at) FILTER (WHERE status = 'SUBMITTED') AS oldest_submitted
      FROM transactions WHERE status IN ('PENDING', 'SUBMITTED')`;
    const [ext] = await this.prisma.$queryRaw<{ present: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS present`;
    let topStatements: DbHealthReport['topStatements'] = null;
    if (ext?.present === true) {
      try {
        const rows = await this.prisma.$queryRawUnsafe<
          { query: string; calls: string; mean: number; total: number }[]
        >(
          `SELECT left(query, 500) AS query, calls::text AS calls, mean_exec_time AS mean, total_exec_time AS total
           FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           ORDER BY total_exec_time DESC LIMIT $1`,
          topN,
        );
        topStatements = rows.map((r) => ({
          query: r.query,
          calls: r.calls,
          meanMs: r.mean,
          totalMs: r.total,
        }));
      } catch {
        topStatements = null; // installed but not preloaded (shared_preload_libraries)
      }
    }
    return {
      version: server?.version ?? 'unknown',
      databaseSizeBytes: server?.size ?? '0',
      connections: {
        total: conn?.total ?? 0,
        active: conn?.active ?? 0,
        idle: conn?.idle ?? 0,
        idleInTransaction: conn?.idle_tx ?? 0,
        max: server?.max ?? 0,
      },
      worker: {
        pending: lag?.pending ?? 0,
        submitted: lag?.submitted ?? 0,
        oldestPendingAt: lag?.oldest_pending ?? null,
        oldestSubmittedAt: lag?.oldest_submitted ?? null,
      },
      topStatements,
    };
  }
}
