/**
 * Delay before webhook attempt `attempt + 1`, after `attempt` failures (1-based): exponential
 * (`base · 2^(attempt-1)`, capped at `max`) with "equal jitter" (half fixed, half random), so
 * retries of many deliveries spread out yet the delay still grows. Computed here rather than
 * with a retry library because the schedule is persisted (`next_attempt_at`) and survives
 * restarts, which in-process retry helpers do not model.
 *
 * @example
 * ```ts
 * backoffDelayMs(3, { baseMs: 1_000, maxMs: 60_000 }); // between 2 000 and 4 000
 * ```
 */
export function backoffDelayMs(
  attempt: number,
  options: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.round(exp / 2 + random() * (exp / 2));
}
