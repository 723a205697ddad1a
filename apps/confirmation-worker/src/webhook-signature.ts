import { createHmac, timingSafeEqual } from 'node:crypto';
import { WorkerError } from './errors.js';

/**
 * Header carrying the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.
 *
 * @example
 * ```ts
 * const header = req.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()];
 * ```
 */
export const WEBHOOK_SIGNATURE_HEADER = 'WAIaaS-Signature';

/**
 * Signs a webhook body Stripe-style: `v1 = hex(HMAC-SHA256(secret, t + "." + body))`, where
 * `t` is the Unix time of the attempt. Binding the timestamp lets receivers reject replays.
 *
 * @example
 * ```ts
 * const header = signWebhook(secret, JSON.stringify(event), Math.floor(Date.now() / 1000));
 * // 't=1763780000,v1=5f2b…'
 * ```
 */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * Verifies a `WAIaaS-Signature` header against the raw body (the exact bytes received, not a
 * re-serialisation) in constant time, and that its timestamp is within `toleranceSeconds` of
 * `nowSeconds`.
 *
 * @throws {WorkerError} `WORKER_WEBHOOK_SIGNATURE_INVALID` (reason MALFORMED, TIMESTAMP_OUT_OF_TOLERANCE or MISMATCH)
 * @example
 * ```ts
 * verifyWebhookSignature(secret, req.headers['waiaas-signature'], rawBody); // throws if forged
 * ```
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): void {
  const parts = new Map(
    (header ?? '').split(',').map((kv) => kv.split('=', 2) as [string, string | undefined]),
  );
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (t === undefined || v1 === undefined || !/^\d{1,12}$/.test(t) || !/^[0-9a-f]{64}$/.test(v1)) {
    throw new WorkerError('WORKER_WEBHOOK_SIGNATURE_INVALID', { reason: 'MALFORMED' });
  }
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(t)) > (options.toleranceSeconds ?? 300)) {
    throw new WorkerError('WORKER_WEBHOOK_SIGNATURE_INVALID', {
      reason: 'TIMESTAMP_OUT_OF_TOLERANCE',
    });
  }
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex'))) {
    throw new WorkerError('WORKER_WEBHOOK_SIGNATURE_INVALID', { reason: 'MISMATCH' });
  }
}
