import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { isWorkerError } from './errors.js';
import { signWebhook, verifyWebhookSignature } from './webhook-signature.js';

function reason(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    return isWorkerError(e, 'WORKER_WEBHOOK_SIGNATURE_INVALID') ? e.context.reason : 'OTHER';
  }
}

describe('webhook signatures', () => {
  const body = '{"id":"1","type":"transaction.confirmed"}';

  it('is HMAC-SHA256 over "t.body" in hex, Stripe-style', () => {
    const expected = createHmac('sha256', 'secret').update(`1700000000.${body}`).digest('hex');
    expect(signWebhook('secret', body, 1_700_000_000)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies its own signatures', () => {
    const header = signWebhook('secret', body, 1_700_000_000);
    expect(
      reason(() => verifyWebhookSignature('secret', header, body, { nowSeconds: 1_700_000_100 })),
    ).toBeUndefined();
  });

  it('rejects another secret, a changed body, an old timestamp and malformed headers', () => {
    const header = signWebhook('secret', body, 1_700_000_000);
    const now = { nowSeconds: 1_700_000_000 };
    expect(reason(() => verifyWebhookSignature('other', header, body, now))).toBe('MISMATCH');
    expect(reason(() => verifyWebhookSignature('secret', header, `${body} `, now))).toBe(
      'MISMATCH',
    );
    expect(
      reason(() => verifyWebhookSignature('secret', header, body, { nowSeconds: 1_700_000_301 })),
    ).toBe('TIMESTAMP_OUT_OF_TOLERANCE');
    expect(reason(() => verifyWebhookSignature('secret', undefined, body, now))).toBe('MALFORMED');
    expect(reason(() => verifyWebhookSignature('secret', 't=abc,v1=00', body, now))).toBe(
      'MALFORMED',
    );
    // A re-timestamped header with the old MAC is a mismatch (the timestamp is signed).
    expect(
      reason(() =>
        verifyWebhookSignature('secret', header.replace('t=1700000000', 't=1700000001'), body, now),
      ),
    ).toBe('MISMATCH');
  });
});
