import { describe, expect, it } from '@jest/globals';
import { RestartBudget } from './cluster.js';

describe('RestartBudget', () => {
  it('replaces five crashed processes within a minute, and calls the sixth a crash loop', () => {
    const budget = new RestartBudget();
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) expect(budget.take(t0 + i * 10_000)).toBe(true);
    expect(budget.take(t0 + 59_999)).toBe(false);
  });

  it('forgets a restart once it is a whole window old', () => {
    const budget = new RestartBudget(2, 1_000);
    expect(budget.take(0)).toBe(true);
    expect(budget.take(500)).toBe(true);
    expect(budget.take(999)).toBe(false);
    // The first restart (at 0) has left the window; the one at 500 has not.
    expect(budget.take(1_000)).toBe(true);
    expect(budget.take(1_400)).toBe(false);
    expect(budget.take(1_500)).toBe(true);
  });

  it('keeps replacing processes that crash now and then', () => {
    const budget = new RestartBudget();
    for (let minute = 0; minute < 60; minute++) expect(budget.take(minute * 61_000)).toBe(true);
  });
});
