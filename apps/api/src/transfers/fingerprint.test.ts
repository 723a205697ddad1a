import { describe, expect, it } from '@jest/globals';
import { canonicalJson, requestFingerprint } from './fingerprint.js';

describe('requestFingerprint', () => {
  it('ignores key order and absent fields, and nothing else', () => {
    const a = requestFingerprint('POST', '/v1/wallets/w/transfers', {
      to: 'x',
      amount: '1',
      memo: undefined,
    });
    const b = requestFingerprint('post', '/v1/wallets/w/transfers', { amount: '1', to: 'x' });
    expect(a).toBe(b);
    expect(
      requestFingerprint('POST', '/v1/wallets/w/transfers', { amount: '1.0', to: 'x' }),
    ).not.toBe(a);
    expect(
      requestFingerprint('POST', '/v1/wallets/v/transfers', { amount: '1', to: 'x' }),
    ).not.toBe(a);
  });

  it('canonicalises nested values', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: null }], a: 'x' })).toBe(
      '{"a":"x","b":[2,{"c":null,"d":1}]}',
    );
  });
});
