import { describe, expect, it } from '@jest/globals';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const options = { baseMs: 1_000, maxMs: 60_000 };

  it('doubles per attempt, between half and all of the exponential delay', () => {
    expect(backoffDelayMs(1, options, () => 0)).toBe(500);
    expect(backoffDelayMs(1, options, () => 1)).toBe(1_000);
    expect(backoffDelayMs(3, options, () => 0)).toBe(2_000);
    expect(backoffDelayMs(3, options, () => 1)).toBe(4_000);
  });

  it('is capped at maxMs however many attempts failed', () => {
    expect(backoffDelayMs(50, options, () => 1)).toBe(60_000);
    expect(backoffDelayMs(1_000, options, () => 0)).toBe(30_000);
  });
});
