import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TransferEngine } from '@waiaas/transfer-engine';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** DELAYED transfers released per pass; the next pass follows at once when a batch was full. */
const BATCH_SIZE = 100;

/**
 * Releases DELAYED transfers when they are due, in the API process: releasing means signing,
 * and custody (Turnkey or the local keystore) is configured here, not in the confirmation
 * worker. Every API instance runs this loop; the engine's release takes the wallet lock and
 * re-checks the status, so a transfer is released exactly once however many instances see it
 * due, and one that a cancel took first is skipped. A pass that fails (database, RPC or
 * custody outage) leaves its transfers DELAYED for the next one.
 *
 * @example
 * ```ts
 * // Provided by TransferModule; DELAY_RELEASE_INTERVAL_MS=0 switches it off in this process.
 * await app.get(DelayRelease).runOnce();
 * ```
 */
@Injectable()
export class DelayRelease implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DelayRelease.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(TransferEngine) private readonly engine: TransferEngine,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.delays.releaseIntervalMs > 0) this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: every due transfer, batch after batch. Resolves when the pass is over. */
  async runOnce(): Promise<void> {
    for (;;) {
      const results = await this.engine.releaseDue(BATCH_SIZE, (transactionId, error) =>
        this.logger.warn(`delay_release_failed transaction=${transactionId}: ${String(error)}`),
      );
      for (const r of results)
        if (r.outcome !== 'SKIPPED') this.metrics.policyDecision(r.outcome, 'release');
      if (results.length < BATCH_SIZE || this.stopped) return;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error: unknown) => this.logger.warn(`delay_release_pass_failed: ${String(error)}`))
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.config.delays.releaseIntervalMs);
    this.timer.unref();
  }
}
