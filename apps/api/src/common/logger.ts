import type { LoggerService } from '@nestjs/common';
import type { FastifyBaseLogger } from 'fastify';
import {
  type Bindings,
  type ChildLoggerOptions,
  type LevelWithSilentOrString,
  type LogFn,
  type Logger,
  pino,
} from 'pino';

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
 * a value was there), written to stdout synchronously.
 *
 * Why not pino's default destination (buffered, flushed when the process exits): lines still
 * buffered when Nest raises SIGTERM again after its shutdown were lost, and the flush at exit
 * retries for ever once whatever reads stdout is gone (sonic-boom 4 sleeps and retries on
 * EPIPE), so a process stopping after its supervisor or log shipper died never exited.
 * Written synchronously, a line is in the pipe when the call returns; a slow reader holds the
 * process back instead of growing a buffer; a reader that is gone fails the write with EPIPE,
 * upon which pino stops writing.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'waiaas-api', pid: process.pid },
    },
    pino.destination({ dest: 1, sync: true }),
  );
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

type LineLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger, made into a pino child (with the request id) only when it first writes
 * a line at an enabled level. Why: pino serialises a child's bindings through the redacting
 * stringifier when the child is made; Fastify makes one per request, and in the read
 * benchmark's profile that was 2.4 % of the API's CPU, spent on loggers that at level `warn`
 * almost never write.
 */
class LazyRequestLogger implements FastifyBaseLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  private get logger(): Logger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): LevelWithSilentOrString {
    return (this.made ?? this.parent).level;
  }

  set level(level: LevelWithSilentOrString) {
    this.logger.level = level;
  }

  private write(level: LineLevel, args: unknown[]): void {
    if (!(this.made ?? this.parent).isLevelEnabled(level)) return;
    this.logger[level](...(args as Parameters<LogFn>));
  }

  fatal: LogFn = (...args: unknown[]) => this.write('fatal', args);
  error: LogFn = (...args: unknown[]) => this.write('error', args);
  warn: LogFn = (...args: unknown[]) => this.write('warn', args);
  info: LogFn = (...args: unknown[]) => this.write('info', args);
  debug: LogFn = (...args: unknown[]) => this.write('debug', args);
  trace: LogFn = (...args: unknown[]) => this.write('trace', args);
  silent: LogFn = () => undefined;

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

/**
 * Fastify's `childLoggerFactory`: per-request loggers that cost nothing until they write.
 *
 * @example
 * ```ts
 * fastify({ loggerInstance: logger, childLoggerFactory: lazyRequestLogger });
 * ```
 */
export function lazyRequestLogger(
  this: unknown,
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  return new LazyRequestLogger(logger as Logger, bindings, options);
}
