import { describe, expect, it } from '@jest/globals';
import { decodeCacheValue, encodeCacheValue } from './codec.js';
import { isCacheError } from './errors.js';

describe('cache codec', () => {
  it.each([
    ['bigint beyond 2^53', 18_446_744_073_709_551_615n],
    ['negative bigint', -1n],
    ['nested bigint', { wallet: { lamports: 9_007_199_254_740_993n, list: [1n, 2n] } }],
    ['Date', new Date('2026-01-02T03:04:05.678Z')],
    ['Map with bigint values', new Map([['a', 1n]])],
    ['Set', new Set(['x', 'y'])],
    ['null', null],
    ['string that looks like a tag', { $bigint: '1', json: 'x', meta: {} }],
    ['nested undefined', { a: undefined, b: 1 }],
  ])('round-trips %s', (_name, value) => {
    const decoded = decodeCacheValue(encodeCacheValue('k', value));
    expect(decoded).toEqual(value);
  });

  it('keeps bigint as bigint, not number or string', () => {
    const decoded = decodeCacheValue<{ n: bigint }>(encodeCacheValue('k', { n: 2n ** 64n }));
    expect(typeof decoded.n).toBe('bigint');
    expect(decoded.n).toBe(2n ** 64n);
  });

  it.each([
    ['top-level undefined', undefined, '$'],
    ['a function', { a: { f: () => 1 } }, '$.a.f'],
    ['a symbol in an array', [1, Symbol('s')], '$[1]'],
    ['a class instance', { amount: new (class Decimal {})() }, '$.amount'],
  ])('refuses %s with its path', (_name, value, path) => {
    let caught: unknown;
    try {
      encodeCacheValue('policy:w1', value);
    } catch (e) {
      caught = e;
    }
    expect(isCacheError(caught, 'CACHE_VALUE_NOT_ENCODABLE')).toBe(true);
    if (isCacheError(caught, 'CACHE_VALUE_NOT_ENCODABLE')) {
      expect(caught.context).toMatchObject({ key: 'policy:w1', path });
    }
  });
});
