import { describe, expect, it } from '@jest/globals';
import { prioritizationFee } from './wire.js';

describe('prioritizationFee', () => {
  it('rounds micro-lamports up to whole lamports, as the runtime does', () => {
    expect(prioritizationFee({ microLamportsPerComputeUnit: 0n, computeUnitLimit: 200_000n })).toBe(
      0n,
    );
    expect(prioritizationFee({ microLamportsPerComputeUnit: 1n, computeUnitLimit: 1n })).toBe(1n);
    expect(
      prioritizationFee({ microLamportsPerComputeUnit: 1_000_000n, computeUnitLimit: 10_000n }),
    ).toBe(10_000n);
    expect(prioritizationFee({ microLamportsPerComputeUnit: 3n, computeUnitLimit: 500_000n })).toBe(
      2n,
    );
  });
});
