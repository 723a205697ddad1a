import pg from 'pg';
import { type Logger } from 'pino';
import { PENDING_TRANSACTION_CHANNEL } from '@waiaas/database';

/**
 * `LISTEN waiaas_tx_pending` on a dedicated connection (a pooled one would be handed to other
 * queries), calling `onPending` for every NOTIFY the API sends when it commits a PENDING
 * transfer. A lost connection is re-established with capped exponential backoff; polling
 * covers the gap, and every (re)connect calls `onPending` once since notifications sent
 * meanwhile are lost. Written here rather than with a LISTEN library: the logic is a dozen
 * lines over `pg`, which the project already uses, and the maintained candidates add an
 * event-emitter layer we would not use.
 *
 * @example
 * ```ts
 * const listener = new PendingListener(process.env.DATABASE_URL!, () => loop.wake(), logger);
 * await listener.start();
 * await listener.stop();
 * ```
 */
export class PendingListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly url: string,
    private readonly onPending: (transactionId: string) => void,
    private readonly logger: Logger,
    private readonly applicationName = 'waiaas-worker-listen',
  ) {}

  /** Connects and listens; resolves once listening (or once the first attempt failed and a retry is scheduled). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  /** True while a LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: this.applicationName,
      keepAlive: true,
    });
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.removeAllListeners();
      client.end().catch(() => undefined);
      if (!this.stopped) {
        this.logger.warn({ err: error }, 'pending_listener_lost');
        this.scheduleReconnect();
      }
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      if (message.channel === PENDING_TRANSACTION_CHANNEL) this.onPending(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${PENDING_TRANSACTION_CHANNEL}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      this.failures = 0;
      this.logger.debug('pending_listener_listening');
      this.onPending('');
    } catch (error) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      this.logger.warn({ err: error }, 'pending_listener_connect_failed');
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    this.failures += 1;
    const delay = Math.min(250 * 2 ** Math.min(this.failures, 7), 30_000);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }
}
