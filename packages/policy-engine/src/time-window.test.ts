import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { ALICE } from '../test/fixtures.js';
import { evaluate, type EvaluationContext } from './evaluate.js';
import { assertPolicy, parsePolicy, type PolicyInput, serializePolicy } from './policy.js';
import {
  isOpenAt,
  nextOpening,
  type TimeRangeInput,
  type TimeWindow,
  type Weekday,
  WEEKDAYS,
} from './time-window.js';

const WEEKDAYS_MON_FRI: Weekday[] = ['MON', 'TUE', 'WED', 'THU', 'FRI'];

function windowOf(timeZone: string, ranges: TimeRangeInput[]): TimeWindow {
  return assertPolicy({
    perTxLimit: '1',
    dailyLimit: '1',
    metadata: { timeWindow: { timeZone, ranges } },
  }).timeWindow!;
}

function policyWith(timeWindow: unknown): PolicyInput {
  return { perTxLimit: '1', dailyLimit: '5', metadata: { timeWindow } as PolicyInput['metadata'] };
}

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function context(now: number): EvaluationContext {
  return { now, spentInWindow: { sol: 0n, tokens: {} }, txCountLastHour: 0 };
}

describe('timeWindow: parsing', () => {
  it.each([
    [
      'an unknown zone',
      { timeZone: 'Mars/Olympus', ranges: [{ days: ['MON'], from: '09:00', to: '17:00' }] },
      'metadata.timeWindow.timeZone',
      'INVALID_TIME_ZONE',
    ],
    [
      'a fixed offset instead of a zone',
      { timeZone: '+01:00', ranges: [{ days: ['MON'], from: '09:00', to: '17:00' }] },
      'metadata.timeWindow.timeZone',
      'INVALID_TIME_ZONE',
    ],
    [
      'a malformed time',
      { timeZone: 'UTC', ranges: [{ days: ['MON'], from: '9:00', to: '17:00' }] },
      'metadata.timeWindow.ranges[0].from',
      'INVALID_TIME_OF_DAY',
    ],
    [
      'an hour out of range',
      { timeZone: 'UTC', ranges: [{ days: ['MON'], from: '09:00', to: '25:00' }] },
      'metadata.timeWindow.ranges[0].to',
      'INVALID_TIME_OF_DAY',
    ],
    [
      '24:00 as a start',
      { timeZone: 'UTC', ranges: [{ days: ['MON'], from: '24:00', to: '06:00' }] },
      'metadata.timeWindow.ranges[0].from',
      'INVALID_TIME_OF_DAY',
    ],
    [
      'an unknown day',
      { timeZone: 'UTC', ranges: [{ days: ['MONDAY'], from: '09:00', to: '17:00' }] },
      'metadata.timeWindow.ranges[0].days[0]',
      'INVALID_WEEKDAY',
    ],
    [
      'a day twice',
      { timeZone: 'UTC', ranges: [{ days: ['MON', 'MON'], from: '09:00', to: '17:00' }] },
      'metadata.timeWindow.ranges[0].days[1]',
      'DUPLICATE_WEEKDAY',
    ],
    [
      'an empty range',
      { timeZone: 'UTC', ranges: [{ days: ['MON'], from: '09:00', to: '09:00' }] },
      'metadata.timeWindow.ranges[0]',
      'EMPTY_TIME_RANGE',
    ],
    ['no ranges', { timeZone: 'UTC', ranges: [] }, 'metadata.timeWindow.ranges', 'EMPTY_LIST'],
    [
      'no days',
      { timeZone: 'UTC', ranges: [{ days: [], from: '09:00', to: '17:00' }] },
      'metadata.timeWindow.ranges[0].days',
      'EMPTY_LIST',
    ],
    [
      'a misspelt key',
      { timezone: 'UTC', timeZone: 'UTC', ranges: [{ days: ['MON'], from: '09:00', to: '17:00' }] },
      'metadata.timeWindow.timezone',
      'UNKNOWN_KEY',
    ],
    ['not an object', 'Europe/Berlin', 'metadata.timeWindow', 'INVALID_TYPE'],
  ])('refuses %s', (_name, timeWindow, path, code) => {
    const result = parsePolicy(policyWith(timeWindow));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toContainEqual(expect.objectContaining({ path, code }));
  });

  it('accepts several ranges, overnight ranges and 24:00, and writes them back as given', () => {
    const timeWindow = {
      timeZone: 'America/New_York',
      ranges: [
        { days: WEEKDAYS_MON_FRI, from: '09:00', to: '17:00' },
        { days: ['FRI', 'SAT'], from: '22:00', to: '06:00' },
        { days: ['SUN'], from: '00:00', to: '24:00' },
      ],
    };
    const policy = assertPolicy(policyWith(timeWindow));
    expect(serializePolicy(policy).metadata.timeWindow).toEqual(timeWindow);
    expect(serializePolicy(assertPolicy(serializePolicy(policy))).metadata.timeWindow).toEqual(
      timeWindow,
    );
  });
});

describe('timeWindow: evaluation', () => {
  const office = windowOf('Europe/Berlin', [
    { days: WEEKDAYS_MON_FRI, from: '09:00', to: '17:00' },
  ]);

  it('denies outside the window with the next opening, allows inside', () => {
    const policy = assertPolicy({
      ...policyWith({
        timeZone: 'Europe/Berlin',
        ranges: [{ days: WEEKDAYS_MON_FRI, from: '09:00', to: '17:00' }],
      }),
    });
    const intent = { asset: null, amount: 1n, to: ALICE };
    // Saturday 2026-11-21 12:00 Berlin (CET, UTC+1): next opening Monday 09:00 = 08:00Z.
    expect(evaluate(policy, intent, context(at('2026-11-21T11:00:00Z')))).toEqual({
      outcome: 'DENY',
      reasons: [
        {
          code: 'OUTSIDE_TIME_WINDOW',
          timeZone: 'Europe/Berlin',
          nextOpening: '2026-11-23T08:00:00.000Z',
        },
      ],
    });
    // Monday 09:00:00.000 local is inside (from is inclusive), 17:00 is not (to is exclusive).
    expect(evaluate(policy, intent, context(at('2026-11-23T08:00:00Z'))).outcome).toBe('ALLOW');
    expect(evaluate(policy, intent, context(at('2026-11-23T15:59:59.999Z'))).outcome).toBe('ALLOW');
    expect(evaluate(policy, intent, context(at('2026-11-23T16:00:00Z'))).reasons).toEqual([
      expect.objectContaining({ nextOpening: '2026-11-24T08:00:00.000Z' }),
    ]);
  });

  it('follows summer time: the same local hours are an hour earlier in UTC', () => {
    // Wednesday 2026-07-15, Berlin is CEST (UTC+2): 09:00 local = 07:00Z.
    expect(isOpenAt(office, at('2026-07-15T06:59:59Z'))).toBe(false);
    expect(isOpenAt(office, at('2026-07-15T07:00:00Z'))).toBe(true);
    expect(iso(nextOpening(office, at('2026-07-15T03:00:00Z')))).toBe('2026-07-15T07:00:00.000Z');
  });

  it('spring forward: a start the clock skips opens when the clock jumps past it', () => {
    // 2026-03-29 in Berlin: 02:00 CET (01:00Z) becomes 03:00 CEST. 02:30 never happens that day.
    const night = windowOf('Europe/Berlin', [{ days: ['SUN'], from: '02:30', to: '04:00' }]);
    expect(isOpenAt(night, at('2026-03-29T00:59:59.999Z'))).toBe(false); // 01:59:59 CET
    expect(iso(nextOpening(night, at('2026-03-29T00:30:00Z')))).toBe('2026-03-29T01:00:00.000Z');
    expect(isOpenAt(night, at('2026-03-29T01:00:00Z'))).toBe(true); // 03:00 CEST
    expect(isOpenAt(night, at('2026-03-29T02:00:00Z'))).toBe(false); // 04:00 CEST
    // The day's window is 1 hour of real time, not 1.5.
  });

  it('spring forward in New York: 09:00 opens at 13:00Z after the change (EDT), 14:00Z before (EST)', () => {
    // 2026-03-08 02:00 EST → 03:00 EDT. Friday 03-06 is EST, Monday 03-09 is EDT.
    const ny = windowOf('America/New_York', [
      { days: WEEKDAYS_MON_FRI, from: '09:00', to: '17:00' },
    ]);
    expect(iso(nextOpening(ny, at('2026-03-06T12:00:00Z')))).toBe('2026-03-06T14:00:00.000Z');
    // From Friday evening (EST) across the weekend change to Monday morning (EDT).
    expect(iso(nextOpening(ny, at('2026-03-06T23:00:00Z')))).toBe('2026-03-09T13:00:00.000Z');
  });

  it('fall back: the repeated hour is inside the window both times', () => {
    // 2026-10-25 in Berlin: 03:00 CEST (01:00Z) becomes 02:00 CET; 02:00–03:00 local runs twice.
    const night = windowOf('Europe/Berlin', [{ days: ['SUN'], from: '02:00', to: '03:00' }]);
    expect(isOpenAt(night, at('2026-10-24T23:59:59Z'))).toBe(false); // 01:59:59 CEST
    expect(isOpenAt(night, at('2026-10-25T00:00:00Z'))).toBe(true); // 02:00 CEST
    expect(isOpenAt(night, at('2026-10-25T00:59:59Z'))).toBe(true); // 02:59 CEST
    expect(isOpenAt(night, at('2026-10-25T01:00:00Z'))).toBe(true); // 02:00 CET (again)
    expect(isOpenAt(night, at('2026-10-25T01:59:59Z'))).toBe(true); // 02:59 CET
    expect(isOpenAt(night, at('2026-10-25T02:00:00Z'))).toBe(false); // 03:00 CET
    expect(iso(nextOpening(night, at('2026-10-25T02:00:00Z')))).toBe('2026-11-01T01:00:00.000Z');
  });

  it('overnight ranges run into the next day, and only from the listed days', () => {
    const nights = windowOf('UTC', [{ days: ['FRI'], from: '22:00', to: '06:00' }]);
    expect(isOpenAt(nights, at('2026-11-20T22:00:00Z'))).toBe(true); // Friday 22:00
    expect(isOpenAt(nights, at('2026-11-21T05:59:59Z'))).toBe(true); // Saturday 05:59
    expect(isOpenAt(nights, at('2026-11-21T06:00:00Z'))).toBe(false);
    expect(isOpenAt(nights, at('2026-11-22T01:00:00Z'))).toBe(false); // Sunday 01:00: Saturday is not listed
    expect(iso(nextOpening(nights, at('2026-11-21T06:00:00Z')))).toBe('2026-11-27T22:00:00.000Z');
  });
});

describe('timeWindow: properties', () => {
  const ZONES = [
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'Australia/Lord_Howe', // a 30-minute daylight saving shift
    'Asia/Kathmandu', // +05:45
    'America/Santiago', // southern hemisphere, changes at midnight
  ];
  const minute = (m: number): string =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const range = fc
    .record({
      days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
      from: fc.integer({ min: 0, max: 1439 }),
      length: fc.integer({ min: 1, max: 1439 }),
    })
    .map(({ days, from, length }) => ({
      days,
      from: minute(from),
      to: from + length === 1440 ? '24:00' : minute((from + length) % 1440),
    }));
  const window = fc
    .record({
      zone: fc.constantFrom(...ZONES),
      ranges: fc.array(range, { minLength: 1, maxLength: 3 }),
    })
    .map(({ zone, ranges }) => windowOf(zone, ranges));
  // 2026, with the DST changes of every zone above in it.
  const instant = fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-01-01T00:00:00Z') });

  it('the next opening is open, and no minute before it is (checked minute by minute)', () => {
    fc.assert(
      fc.property(window, instant, (w, t) => {
        const opening = nextOpening(w, t);
        expect(opening).not.toBeNull();
        expect(opening!).toBeGreaterThanOrEqual(t);
        expect(isOpenAt(w, opening!)).toBe(true);
        // Every zone here changes offset by whole minutes, so openings fall on UTC minutes.
        for (let m = Math.ceil(t / 60_000) * 60_000; m < opening!; m += 60_000)
          expect(isOpenAt(w, m)).toBe(false);
        if (opening! > t) expect(isOpenAt(w, t)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('evaluate denies with OUTSIDE_TIME_WINDOW exactly when the window is closed', () => {
    fc.assert(
      fc.property(window, instant, (w, t) => {
        const policy = { ...assertPolicy({ perTxLimit: '1', dailyLimit: '1' }), timeWindow: w };
        const decision = evaluate(policy, { asset: null, amount: 1n, to: ALICE }, context(t));
        const open = isOpenAt(w, t);
        expect(decision.outcome).toBe(open ? 'ALLOW' : 'DENY');
        if (!open)
          expect(decision.reasons).toEqual([
            {
              code: 'OUTSIDE_TIME_WINDOW',
              timeZone: w.timeZone,
              nextOpening: iso(nextOpening(w, t)),
            },
          ]);
      }),
      { numRuns: 300 },
    );
  });
});
