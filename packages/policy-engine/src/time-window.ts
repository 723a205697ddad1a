// Time windows: the days and hours of a week, in an IANA time zone, when a wallet may send.
//
// Time zones come from Node's own `Intl` (ICU's copy of the IANA database, updated with Node),
// not from luxon or the Temporal polyfill: this package is published and pure, and a
// dependency would add a second copy of the zone data that can disagree with the runtime's.
// What a library would add is local-to-UTC conversion, and its rule for a local time that a
// spring-forward skips (luxon moves it later by the gap: 02:30 becomes 03:30) is not the one an
// owner means by "open from 02:30" (open as soon as the local clock reads 02:30 or later, i.e.
// at 03:00). So the search for the next opening below works on instants and only ever asks
// "what does the local clock read at this instant?", which `Intl` answers exactly.

/**
 * A day of the week, ISO order (Monday first).
 *
 * @example
 * ```ts
 * const day: Weekday = 'MON';
 * ```
 */
export type Weekday = 'MON' | 'TUE' | 'WED' | 'THU' | 'FRI' | 'SAT' | 'SUN';

/** Every weekday, Monday first (index = ISO weekday - 1). */
export const WEEKDAYS: readonly Weekday[] = Object.freeze([
  'MON',
  'TUE',
  'WED',
  'THU',
  'FRI',
  'SAT',
  'SUN',
]);

/**
 * One range as written: on each of `days`, from local `from` (inclusive) to local `to`
 * (exclusive), `HH:MM` 24-hour. `to` may be `24:00` (end of the day); `to` before `from` is an
 * overnight range that ends on the next day (`FRI 22:00–06:00` runs into Saturday morning).
 *
 * @example
 * ```ts
 * const range: TimeRangeInput = { days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], from: '09:00', to: '17:00' };
 * ```
 */
export interface TimeRangeInput {
  days: Weekday[];
  from: string;
  to: string;
}

/**
 * `metadata.timeWindow` as written: transfers are allowed only inside one of `ranges`, read on
 * the local clock of `timeZone` (an IANA name such as `Europe/Berlin`, so daylight saving time
 * is followed).
 *
 * @example
 * ```ts
 * const w: TimeWindowInput = { timeZone: 'Europe/Berlin', ranges: [{ days: ['MON'], from: '09:00', to: '17:00' }] };
 * ```
 */
export interface TimeWindowInput {
  timeZone: string;
  ranges: TimeRangeInput[];
}

/**
 * A parsed range: minutes after local midnight, `to` in 1..1440, `overnight` when `to <= from`
 * would otherwise be empty (`to < from`).
 *
 * @example
 * ```ts
 * const r: TimeRange = { days: new Set([0]), from: 540, to: 1020, overnight: false };
 * ```
 */
export interface TimeRange {
  /** ISO weekday - 1 (0 = Monday) on which the range starts. */
  readonly days: ReadonlySet<number>;
  readonly from: number;
  readonly to: number;
  readonly overnight: boolean;
}

/**
 * A parsed time window, with its zone's formatter built once (evaluation does no parsing).
 *
 * @example
 * ```ts
 * const w: TimeWindow | null = assertPolicy(input).timeWindow;
 * ```
 */
export interface TimeWindow {
  readonly timeZone: string;
  readonly ranges: readonly TimeRange[];
  /** @internal */
  readonly clock: LocalClock;
}

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1_440;
const WEEK_MINUTES = 7 * DAY_MINUTES;
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
// Region/City names (and the few single-word ones such as UTC); refuses the fixed offsets
// ("+01:00") newer runtimes also accept, which follow no daylight saving time.
const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** Minutes after midnight of `HH:MM` (`24:00` too when `allowEndOfDay`), or null. */
export function parseTimeOfDay(text: string, allowEndOfDay: boolean): number | null {
  if (allowEndOfDay && text === '24:00') return DAY_MINUTES;
  const m = TIME_OF_DAY.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** `HH:MM` of minutes after midnight (1440 = `24:00`). */
export function formatTimeOfDay(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/**
 * What the local clock of one zone reads at an instant. Built once per zone; `null` when the
 * runtime does not know the zone.
 * @internal
 */
export class LocalClock {
  private constructor(private readonly format: Intl.DateTimeFormat) {}

  static of(timeZone: string): LocalClock | null {
    if (!IANA_NAME.test(timeZone)) return null;
    try {
      return new LocalClock(
        new Intl.DateTimeFormat('en-US', {
          timeZone,
          hourCycle: 'h23',
          weekday: 'short',
          year: 'numeric',
          month: 'numeric',
          day: 'numeric',
          hour: 'numeric',
          minute: 'numeric',
          second: 'numeric',
        }),
      );
    } catch {
      return null; // RangeError: unknown time zone
    }
  }

  /**
   * The local reading at `ms`: minutes into the week (Monday 00:00 = 0), with the
   * milliseconds past that minute, and the zone's offset from UTC in minutes.
   */
  read(ms: number): { weekMinute: number; msIntoMinute: number; offsetMinutes: number } {
    let weekday = 0;
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    for (const part of this.format.formatToParts(ms)) {
      switch (part.type) {
        case 'weekday':
          weekday = SHORT_WEEKDAYS.indexOf(part.value);
          break;
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value);
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        default:
          break;
      }
    }
    const msIntoSecond = ((ms % 1000) + 1000) % 1000;
    const localMs = Date.UTC(year, month - 1, day, hour, minute, second, msIntoSecond);
    return {
      weekMinute: weekday * DAY_MINUTES + hour * 60 + minute,
      msIntoMinute: second * 1000 + msIntoSecond,
      offsetMinutes: Math.round((localMs - ms) / MINUTE_MS),
    };
  }
}

const SHORT_WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Builds the parsed window (the caller has validated every field). @internal */
export function timeWindowOf(
  timeZone: string,
  clock: LocalClock,
  ranges: readonly TimeRange[],
): TimeWindow {
  return Object.freeze({ timeZone, ranges: Object.freeze([...ranges]), clock });
}

/** Whether a local minute of the week lies inside one of the ranges. */
function insideAt(ranges: readonly TimeRange[], weekMinute: number): boolean {
  const day = Math.floor(weekMinute / DAY_MINUTES);
  const minute = weekMinute % DAY_MINUTES;
  const yesterday = (day + 6) % 7;
  for (const r of ranges) {
    if (r.days.has(day) && minute >= r.from && (r.overnight || minute < r.to)) return true;
    if (r.overnight && r.days.has(yesterday) && minute < r.to) return true;
  }
  return false;
}

/** Local minutes from `weekMinute` to the next range start strictly after it. */
function minutesToNextStart(ranges: readonly TimeRange[], weekMinute: number): number {
  let best = Infinity;
  for (const r of ranges) {
    for (const day of r.days) {
      const start = day * DAY_MINUTES + r.from;
      let delta = (start - weekMinute + WEEK_MINUTES) % WEEK_MINUTES;
      if (delta === 0) delta = WEEK_MINUTES;
      if (delta < best) best = delta;
    }
  }
  return best;
}

/**
 * Whether the window is open at `ms` (epoch milliseconds).
 *
 * @example
 * ```ts
 * isOpenAt(policy.timeWindow!, Date.parse('2026-03-30T07:00:00Z')); // Monday 09:00 in Berlin: true
 * ```
 */
export function isOpenAt(window: TimeWindow, ms: number): boolean {
  return insideAt(window.ranges, window.clock.read(ms).weekMinute);
}

/**
 * The first instant at or after `ms` when the window is open (`ms` itself when it is open
 * then). Follows the zone's offset changes: a range that starts at a local time a
 * spring-forward skips opens when the clock jumps past it; in a repeated hour (fall-back) the
 * first occurrence counts. Null only if no opening is found within 8 weeks (never for a window
 * with a range, short of a zone changing its offset weekly).
 *
 * @example
 * ```ts
 * // Berlin, 02:30–04:00 daily; on 2026-03-29 02:00 CET jumps to 03:00 CEST (01:00Z):
 * nextOpening(window, Date.parse('2026-03-29T00:50:00Z')); // 2026-03-29T01:00:00.000Z
 * ```
 */
export function nextOpening(window: TimeWindow, ms: number): number | null {
  const { clock, ranges } = window;
  let t = ms;
  // Between offset changes local time runs with real time, so the next start is a plain
  // distance away; when the offset changes on the way, restart from the change.
  for (let step = 0; step < 64; step++) {
    const here = clock.read(t);
    if (insideAt(ranges, here.weekMinute)) return t;
    const wait = minutesToNextStart(ranges, here.weekMinute);
    if (wait === Infinity) return null;
    const target = t + wait * MINUTE_MS - here.msIntoMinute;
    if (clock.read(target).offsetMinutes === here.offsetMinutes) {
      t = target;
      continue; // inside by construction, unless the offset changed twice in between
    }
    t = firstOffsetChange(clock, t, target, here.offsetMinutes);
  }
  return null;
}

/** The first millisecond in (lo, hi] whose offset differs from `offset` (binary search). */
function firstOffsetChange(clock: LocalClock, lo: number, hi: number, offset: number): number {
  let a = lo;
  let b = hi;
  while (b - a > 1) {
    const mid = a + Math.floor((b - a) / 2);
    if (clock.read(mid).offsetMinutes === offset) a = mid;
    else b = mid;
  }
  return b;
}
