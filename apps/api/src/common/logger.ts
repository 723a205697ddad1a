import type { LoggerService } from '@nestjs/common';
import { type Logger, pino } from 'pino';

/** Paths pino removes from every log line: credentials and anything shown once. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  '*.apiKey',
  'signingSecret',
  '*.signingSecret',
  'adminToken',
  '*.adminToken',
  'masterKey',
  '*.masterKey',
  'apiPrivateKey',
  '*.apiPrivateKey',
];

/**
 * The process logger: JSON lines, secrets redacted (censored, not dropped, so a reader sees
 * a value was there).
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'waiaas-api' },
  });
}

/** Nest's own messages (bootstrap, route mapping) through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
