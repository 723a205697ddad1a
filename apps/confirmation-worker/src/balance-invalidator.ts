import { type Logger } from 'pino';
import { CacheKeys } from '@waiaas/cache';
import { type WorkerRepository } from '@waiaas/database';

/**
 * The part of `CacheService` the worker needs.
 *
 * @example
 * ```ts
 * const { cache } = await createCache({ redisUrl, prefix: 'waiaas:' });
 * const balances: BalanceCache = cache;
 * ```
 */
export interface BalanceCache {
  deleteMany(keys: readonly string[]): Promise<void>;
}

/**
 * Drops cached balances (`balance:{address}`) after transfers land: always the sender's
 * wallet, and the recipient when it is one of our wallets too. Runs after the commit (a drop
 * before it could be refilled from a chain read of the old state by a concurrent request); a
 * crash in between leaves at most the 10 s TTL of staleness. `deleteMany` reaches the other
 * instances' L1 layers through the cache's pub/sub invalidation.
 *
 * @example
 * ```ts
 * await new BalanceInvalidator(cache, repository, logger).dropAfterLanding([{ walletAddress, destination }]);
 * ```
 */
export class BalanceInvalidator {
  constructor(
    private readonly cache: BalanceCache | null,
    private readonly repository: WorkerRepository,
    private readonly logger: Logger,
  ) {}

  async dropAfterLanding(
    moved: readonly { walletAddress: string; destination: string }[],
  ): Promise<void> {
    if (this.cache === null || moved.length === 0) return;
    try {
      const ours = await this.repository.ourWallets([...new Set(moved.map((m) => m.destination))]);
      const addresses = new Set(moved.map((m) => m.walletAddress));
      for (const m of moved) if (ours.has(m.destination)) addresses.add(m.destination);
      await this.cache.deleteMany([...addresses].map((a) => CacheKeys.balance(a)));
    } catch (error) {
      // Best effort: the TTL bounds the staleness, and the transition is already committed.
      this.logger.warn({ err: error }, 'balance_invalidation_failed');
    }
  }
}
