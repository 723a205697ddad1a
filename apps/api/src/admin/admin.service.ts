import { Inject, Injectable } from '@nestjs/common';
import type { CacheBundle } from '@waiaas/cache';
import { DbHealthRepository } from '@waiaas/database';
import { CACHE_BUNDLE } from '../infra/tokens.js';

export interface AdminDbHealth {
  postgres: {
    version: string;
    databaseSizeBytes: string;
    connections: {
      total: number;
      active: number;
      idle: number;
      idleInTransaction: number;
      max: number;
    };
    topStatements: { query: string; calls: string; meanMs: number; totalMs: number }[] | null;
  };
  redis: {
    backend: string;
    ok: boolean;
    latencyMs?: number;
    error?: string;
    hits: number;
    misses: number;
    hitRate: number | null;
  };
  worker: {
    pending: number;
    submitted: number;
    oldestPendingAt: string | null;
    oldestSubmittedAt: string | null;
    lagSeconds: number;
  };
}

@Injectable()
export class AdminService {
  constructor(
    @Inject(DbHealthRepository) private readonly dbHealth: DbHealthRepository,
    @Inject(CACHE_BUNDLE) private readonly cache: CacheBundle,
  ) {}

  async databaseHealth(): Promise<AdminDbHealth> {
    const [report, health] = await Promise.all([this.dbHealth.report(10), this.cache.health()]);
    const stats = this.cache.cache.stats();
    const reads = stats.hits + stats.misses;
    const oldest = [report.worker.oldestPendingAt, report.worker.oldestSubmittedAt].filter(
      (d): d is Date => d !== null,
    );
    const lagMs =
      oldest.length === 0 ? 0 : Date.now() - Math.min(...oldest.map((d) => d.getTime()));
    return {
      postgres: {
        version: report.version,
        databaseSizeBytes: report.databaseSizeBytes,
        connections: report.connections,
        topStatements: report.topStatements,
      },
      redis: {
        backend: health.backend,
        ok: health.ok,
        ...(health.latencyMs === undefined ? {} : { latencyMs: health.latencyMs }),
        ...(health.error === undefined ? {} : { error: health.error }),
        hits: stats.hits,
        misses: stats.misses,
        hitRate: reads === 0 ? null : stats.hits / reads,
      },
      worker: {
        pending: report.worker.pending,
        submitted: report.worker.submitted,
        oldestPendingAt: report.worker.oldestPendingAt?.toISOString() ?? null,
        oldestSubmittedAt: report.worker.oldestSubmittedAt?.toISOString() ?? null,
        lagSeconds: Math.max(0, Math.round(lagMs / 1000)),
      },
    };
  }
}
