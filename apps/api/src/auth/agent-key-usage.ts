import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AgentKeyRepository } from '@waiaas/database';
import { CLOCK } from '../infra/tokens.js';

/** How often at most a key's `lastUsedAt` is written. */
export const LAST_USED_INTERVAL_MS = 60_000;

/**
 * Records when agent keys are used without a write per request: each process writes a key's
 * `lastUsedAt` at most once a minute, after the request (the write is started, not awaited),
 * and the repository's condition keeps several processes to one write a minute per key.
 *
 * Hand-written rather than a library: it is a map of key id → last write time, pruned as it
 * goes, so it holds only the keys used in the last minute.
 */
@Injectable()
export class AgentKeyUsage implements OnApplicationShutdown {
  private readonly logger = new Logger(AgentKeyUsage.name);
  private readonly lastWritten = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    @Inject(AgentKeyRepository) private readonly keys: AgentKeyRepository,
    @Inject(CLOCK) private readonly clock: () => number,
  ) {}

  /** Key `keyId` authenticated a request now. Never throws, never waits. */
  used(keyId: string): void {
    const now = this.clock();
    const last = this.lastWritten.get(keyId);
    if (last !== undefined && now - last < LAST_USED_INTERVAL_MS) return;
    this.prune(now);
    this.lastWritten.set(keyId, now);
    const write = this.keys
      .touchLastUsed([keyId])
      .catch((error: unknown) => {
        // Bookkeeping only: a failed write is retried by the next request after the interval.
        this.lastWritten.delete(keyId);
        this.logger.warn(`agent_key_last_used_failed key=${keyId}: ${String(error)}`);
      })
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  /** Resolves when every write started so far has finished (tests wait on it). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /** Lets writes already started finish before the database client closes. */
  async onApplicationShutdown(): Promise<void> {
    await this.idle();
  }

  private prune(now: number): void {
    for (const [keyId, at] of this.lastWritten) {
      if (now - at >= LAST_USED_INTERVAL_MS) this.lastWritten.delete(keyId);
    }
  }
}
