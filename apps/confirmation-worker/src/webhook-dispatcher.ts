import { type Logger } from 'pino';
import { type ClaimedDelivery, type WebhookDeliveryRepository } from '@waiaas/database';
import {
  createWebhookFetch,
  isWebhookTargetError,
  type WebhookFetch,
} from '@waiaas/webhook-target';
import { backoffDelayMs } from './backoff.js';
import type { WorkerMetrics } from './metrics.js';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/**
 * Delivery settings (from WEBHOOK_* configuration).
 *
 * @example
 * ```ts
 * const options: WebhookDispatcherOptions = { batchSize: 20, maxAttempts: 8, backoffBaseMs: 1_000, backoffMaxMs: 3_600_000, timeoutMs: 5_000 };
 * ```
 */
export interface WebhookDispatcherOptions {
  batchSize: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  timeoutMs: number;
  /**
   * Deliver to loopback, private and internal addresses too (WEBHOOK_ALLOW_PRIVATE_TARGETS,
   * local development only). Otherwise a target that resolves to one is refused (SSRF).
   */
  allowPrivateTargets?: boolean;
}

/**
 * The JSON body POSTed to an owner's endpoint.
 *
 * @example
 * ```ts
 * const event = JSON.parse(rawBody) as WebhookBody;
 * if (event.type === 'transaction.confirmed') markPaid(event.data.transactionId);
 * ```
 */
export interface WebhookBody {
  /** Event id (decimal string): the idempotency key for receivers (delivery is at-least-once). */
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown> & { transactionId: string | null; walletId: string | null };
}

/**
 * Delivers the outbox: claims due PENDING deliveries (SKIP LOCKED), POSTs each event as JSON
 * signed with the endpoint's secret ({@link signWebhook}), and records every attempt. A 2xx
 * marks the row DELIVERED (once: the update requires PENDING); anything else (other status,
 * network error, timeout, redirect) schedules a retry with exponential backoff and jitter,
 * and after `maxAttempts` attempts the row is FAILED. Redirects are not followed: the URL the
 * owner registered is the only one that receives their events. A target that is not public
 * (checked on the URL and again on the address its name resolves to, right before connecting:
 * @waiaas/webhook-target) is never contacted and the delivery is FAILED at once.
 *
 * @example
 * ```ts
 * const dispatcher = new WebhookDispatcher({ repository, metrics, logger }, { batchSize: 20, maxAttempts: 8,
 *   backoffBaseMs: 1_000, backoffMaxMs: 3_600_000, timeoutMs: 5_000 });
 * await dispatcher.runOnce();
 * ```
 */
export class WebhookDispatcher {
  constructor(
    private readonly deps: {
      repository: WebhookDeliveryRepository;
      metrics: WorkerMetrics;
      logger: Logger;
      fetch?: WebhookFetch;
    },
    private readonly options: WebhookDispatcherOptions,
  ) {
    this.post =
      deps.fetch ?? createWebhookFetch({ allowPrivate: options.allowPrivateTargets ?? false });
  }

  private readonly post: WebhookFetch;

  /** Attempts one batch of due deliveries; resolves to how many were claimed. */
  async runOnce(): Promise<number> {
    const { repository, metrics, logger } = this.deps;
    return repository.withClaimedDue(this.options.batchSize, async (rows, unit) => {
      const results = await Promise.all(rows.map((row) => this.attempt(row)));
      for (const [i, row] of rows.entries()) {
        const result = results[i];
        if (result === undefined) continue;
        const attempt = row.attempts + 1;
        if (result.ok) {
          await unit.markDelivered(row.id, result.statusCode);
          metrics.webhook('delivered');
          continue;
        }
        const giveUp = result.refused === true || attempt >= this.options.maxAttempts;
        const nextAttemptAt = giveUp
          ? null
          : new Date(
              Date.now() +
                backoffDelayMs(attempt, {
                  baseMs: this.options.backoffBaseMs,
                  maxMs: this.options.backoffMaxMs,
                }),
            );
        await unit.recordFailure(row.id, {
          statusCode: result.statusCode,
          error: result.error,
          nextAttemptAt,
        });
        metrics.webhook(giveUp ? 'gave_up' : 'retry');
        // The endpoint URL may embed credentials; log its id, not the URL.
        logger[giveUp ? 'warn' : 'debug'](
          {
            deliveryId: row.id,
            endpointId: row.endpointId,
            eventId: row.eventId.toString(),
            attempt,
            statusCode: result.statusCode,
            error: result.error,
          },
          giveUp ? 'webhook_gave_up' : 'webhook_retry_scheduled',
        );
      }
    });
  }

  private async attempt(
    row: ClaimedDelivery,
  ): Promise<
    | { ok: true; statusCode: number }
    | { ok: false; statusCode: number | null; error: string; refused?: boolean }
  > {
    const body: WebhookBody = {
      id: row.eventId.toString(),
      type: row.eventType,
      createdAt: row.eventCreatedAt.toISOString(),
      data: { ...row.payload, transactionId: row.transactionId, walletId: row.walletId },
    };
    const text = JSON.stringify(body);
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const response = await this.post(row.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'WAIaaS-Webhooks/1',
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(row.signingSecret, text, timestamp),
          'WAIaaS-Event-Id': body.id,
          'WAIaaS-Event-Type': body.type,
          'WAIaaS-Delivery-Id': row.id,
        },
        body: text,
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300)
        return { ok: true, statusCode: response.status };
      return { ok: false, statusCode: response.status, error: `HTTP ${response.status}` };
    } catch (error) {
      // fetch reports a refused lookup as "fetch failed" with the guard's error as its cause.
      const refusal = isWebhookTargetError(error)
        ? error
        : isWebhookTargetError((error as { cause?: unknown } | null)?.cause)
          ? (error as { cause: Error }).cause
          : null;
      if (refusal !== null)
        return {
          ok: false,
          statusCode: null,
          error: `${refusal.name}: ${refusal.message}`,
          refused: true,
        };
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, statusCode: null, error: `${name}: ${message}` };
    }
  }
}
