import { describe, expect, it } from '@jest/globals';
import { isCacheError } from './errors.js';
import { buildTtlTable, CACHE_TTL, CacheKeys, keyspaceOf, resolveTtlSeconds } from './keys.js';

describe('cache keys and TTL table', () => {
  it('encodes the seed table', () => {
    expect(CACHE_TTL).toEqual({
      balance: 10,
      policy: 300,
      ratelimit: 60,
      agent: 600,
      owner: 600,
      wallet: 600,
    });
    expect(CacheKeys.balance('Addr1')).toBe('balance:Addr1');
    expect(CacheKeys.policy('w1')).toBe('policy:w1');
    expect(CacheKeys.agent('a1')).toBe('agent:a1');
    expect(CacheKeys.rateLimit('k1')).toBe('ratelimit:k1');
  });

  it('resolves TTLs by keyspace, explicit first, fallback last', () => {
    const table = buildTtlTable({ balance: 5, session: 900 });
    expect(resolveTtlSeconds('balance:x', undefined, table)).toBe(5);
    expect(resolveTtlSeconds('policy:x', undefined, table)).toBe(300);
    expect(resolveTtlSeconds('agent:x', undefined, table)).toBe(600);
    expect(resolveTtlSeconds('session:x', undefined, table)).toBe(900);
    // Not in the table, whatever Object.prototype holds under the name.
    expect(resolveTtlSeconds('constructor:x', undefined, table, 42)).toBe(42);
    expect(resolveTtlSeconds('__proto__:x', undefined, table, 42)).toBe(42);
    expect(resolveTtlSeconds('other:x', undefined, table, 42)).toBe(42);
    expect(resolveTtlSeconds('policy:x', 1.5, table)).toBe(1.5);
    expect(keyspaceOf('nocolon')).toBe('nocolon');
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses TTL %p', (ttl) => {
    expect(() => resolveTtlSeconds('policy:x', ttl, buildTtlTable())).toThrow(
      expect.objectContaining({ code: 'CACHE_INVALID_TTL' }),
    );
    let caught: unknown;
    try {
      buildTtlTable({ policy: ttl });
    } catch (e) {
      caught = e;
    }
    expect(isCacheError(caught, 'CACHE_INVALID_CONFIG')).toBe(true);
  });
});
