import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs (pino). Secrets never reach a log line: the code logs ids, not URLs
 * or secrets, and these paths are redacted as a second line of defence.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'info', workerId: 'worker-1' });
 * logger.info({ submitted: 3 }, 'transactions_submitted');
 * ```
 */
export function createLogger(options: { level: string; workerId: string }): Logger {
  return pino({
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
  });
}
