import { describe, expect, it } from '@jest/globals';
import { priorityFeeFromSamples } from './priority-fee.js';

describe('priorityFeeFromSamples', () => {
  const samples = [0n, 0n, 40n, 500n, 1_000n, 2_000n, 3_000n, 9_000_000n];
  const pick = (percentile: number, min = 0n, max = 10_000_000n) =>
    priorityFeeFromSamples(samples, { percentile, min, max });

  it('takes the nearest-rank percentile of unsorted samples', () => {
    expect(priorityFeeFromSamples([30n, 10n, 20n], { percentile: 50, min: 0n, max: 100n })).toBe(
      20n,
    );
    expect(pick(0)).toBe(0n);
    expect(pick(50)).toBe(500n);
    expect(pick(75)).toBe(2_000n);
    expect(pick(90)).toBe(9_000_000n);
    expect(pick(100)).toBe(9_000_000n);
  });

  it('clamps to [min, max]', () => {
    expect(pick(100, 0n, 50_000n)).toBe(50_000n);
    expect(pick(10, 100n)).toBe(100n);
  });

  it('answers min without samples', () => {
    expect(priorityFeeFromSamples([], { percentile: 75, min: 7n, max: 10n })).toBe(7n);
  });

  it('stays exact beyond 2^53', () => {
    const big = 2n ** 60n + 1n;
    expect(priorityFeeFromSamples([big, 1n], { percentile: 100, min: 0n, max: 2n ** 63n })).toBe(
      big,
    );
  });
});
