import { describe, expect, it } from '@jest/globals';
import { createPrng } from './prng.js';

describe('createPrng', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const take = (seed: number) => {
      const next = createPrng(seed);
      return Array.from({ length: 20 }, () => next());
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it('stays within [0, 1) and spreads over the range', () => {
    const next = createPrng(123);
    const values = Array.from({ length: 10_000 }, () => next());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const below = values.filter((v) => v < 0.5).length;
    expect(below).toBeGreaterThan(4_500);
    expect(below).toBeLessThan(5_500);
  });
});
