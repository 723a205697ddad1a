import { Inject, Injectable } from '@nestjs/common';
import type { Rpc, SolanaRpcApi } from '@solana/kit';
import type { CacheBundle } from '@waiaas/cache';
import { DbHealthRepository } from '@waiaas/database';
import { CACHE_BUNDLE, RPC } from '../infra/tokens.js';

export interface CheckResult {
  ok: boolean;
  latencyMs?: number;
  error?: string;
  backend?: string;
}

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: Record<'database' | 'redis' | 'rpc', CheckResult>;
}

const CHECK_TIMEOUT_MS = 3_000;

async function timed(run: () => Promise<void>): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}

@Injectable()
export class HealthService {
  constructor(
    @Inject(DbHealthRepository) private readonly db: DbHealthRepository,
    @Inject(CACHE_BUNDLE) private readonly cache: CacheBundle,
    @Inject(RPC) private readonly rpc: Rpc<SolanaRpcApi>,
  ) {}

  async readiness(): Promise<ReadinessReport> {
    const [database, redis, rpc] = await Promise.all([
      timed(async () => {
        await this.db.ping();
      }),
      this.cache.health().then((h): CheckResult => ({
        ok: h.ok,
        backend: h.backend,
        ...(h.latencyMs === undefined ? {} : { latencyMs: h.latencyMs }),
        ...(h.error === undefined ? {} : { error: h.error }),
      })),
      timed(async () => {
        await this.rpc.getHealth().send();
      }),
    ]);
    const ok = database.ok && redis.ok && rpc.ok;
    return { status: ok ? 'ok' : 'unavailable', checks: { database, redis, rpc } };
  }
}
