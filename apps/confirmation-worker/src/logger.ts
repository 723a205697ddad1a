import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs (pino). Secrets never reach a log line: the code logs ids, not URLs
 * or secrets, and these paths are redacted as a second line of defence.
 *
 * Written to stdout synchronously. Why not pino's default destination (buffered, flushed when
 * the process exits): that flush retries for ever once whatever reads stdout is gone
 * (sonic-boom 4 sleeps and retries on EPIPE), so a worker stopping after its supervisor or log
 * shipper died never exited, and it dropped the lines of a write still pending at exit.
 * Written synchronously, a line is in the pipe when the call returns; a slow reader holds the
 * worker back instead of growing a buffer; a reader that is gone fails the write with EPIPE,
 * upon which pino stops writing. A reader stalled for longer than the database client's
 * timeouts (5 s to connect, 6 s per query) fails the ticks in flight when the worker wakes
 * (their timers fire first): logged as `worker_tick_failed`, and run again on the next tick.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'info', workerId: 'worker-1' });
 * logger.info({ submitted: 3 }, 'transactions_submitted');
 * ```
 */
export function createLogger(options: { level: string; workerId: string }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'confirmation-worker', workerId: options.workerId },
      redact: {
        paths: [
          'signingSecret',
          '*.signingSecret',
          'url',
          '*.url',
          'databaseUrl',
          'redisUrl',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
