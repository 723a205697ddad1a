import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { isPolicyEngineError } from './errors.js';
import { rateWindowStart, windowStart } from './window.js';

const rolling = { dailyWindow: 'ROLLING_24H' } as const;
const utcDay = { dailyWindow: 'UTC_DAY' } as const;

describe('windowStart', () => {
  it('ROLLING_24H starts exactly 24 h before now', () => {
    expect(windowStart(rolling, new Date('2026-11-22T04:30:15.123Z')).toISOString()).toBe(
      '2026-11-21T04:30:15.123Z',
    );
  });

  it('UTC_DAY starts at 00:00:00.000 UTC of now’s day, including at the boundaries', () => {
    expect(windowStart(utcDay, new Date('2026-11-22T04:30:00Z')).toISOString()).toBe(
      '2026-11-22T00:00:00.000Z',
    );
    expect(windowStart(utcDay, new Date('2026-11-22T00:00:00.000Z')).toISOString()).toBe(
      '2026-11-22T00:00:00.000Z',
    );
    expect(windowStart(utcDay, new Date('2026-11-21T23:59:59.999Z')).toISOString()).toBe(
      '2026-11-21T00:00:00.000Z',
    );
    expect(windowStart(utcDay, new Date('1969-12-31T12:00:00Z')).toISOString()).toBe(
      '1969-12-31T00:00:00.000Z',
    );
  });

  it('accepts epoch milliseconds like a Date', () => {
    const now = Date.parse('2026-02-28T23:00:00Z');
    expect(windowStart(utcDay, now)).toEqual(windowStart(utcDay, new Date(now)));
    expect(windowStart(rolling, now)).toEqual(windowStart(rolling, new Date(now)));
  });

  it('UTC_DAY agrees with Date.UTC on the calendar day (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8_640_000_000_000, max: 8_640_000_000_000 }), (ms) => {
        const d = new Date(ms);
        const expected = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
        expect(windowStart(utcDay, ms).getTime()).toBe(expected);
        expect(windowStart(rolling, ms).getTime()).toBe(ms - 86_400_000);
      }),
    );
  });

  it('refuses an invalid now with INVALID_TIME', () => {
    for (const bad of [new Date('nope'), Number.NaN, Number.POSITIVE_INFINITY]) {
      let caught: unknown;
      try {
        windowStart(rolling, bad);
      } catch (e) {
        caught = e;
      }
      expect(isPolicyEngineError(caught, 'INVALID_TIME')).toBe(true);
    }
  });
});

describe('rateWindowStart', () => {
  it('starts exactly one hour before now', () => {
    expect(rateWindowStart(new Date('2026-11-22T04:30:00Z')).toISOString()).toBe(
      '2026-11-22T03:30:00.000Z',
    );
    expect(rateWindowStart(Date.parse('2026-11-22T00:10:00Z')).toISOString()).toBe(
      '2026-11-21T23:10:00.000Z',
    );
  });
});
