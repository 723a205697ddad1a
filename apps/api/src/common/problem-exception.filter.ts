import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, isRetriableError } from '@waiaas/database';
import { ApiError, type ApiErrorCode } from './api-error.js';
import { allowedMethods, boundedPath } from './framework-errors.js';
import { buildProblem, PROBLEM_CONTENT_TYPE } from './problem.js';

/** Fastify's own request errors (content parsing), by their stable `code`. */
const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

/** Generic Nest HTTP exceptions (thrown by the framework, never by our code) by status. */
const STATUS_CODES: Record<number, ApiErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

function fastifyCode(exception: HttpException): string | undefined {
  const cause = exception.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** Seconds a client should wait before retrying when the database is unavailable. */
const DATABASE_RETRY_AFTER_S = '2';
/** The same after a conflict PostgreSQL settled by cancelling this request (a deadlock). */
const CONFLICT_RETRY_AFTER_S = '1';

/** Turns anything thrown into the {@link ApiError} it should be answered as. */
export function toApiError(exception: unknown): ApiError | null {
  if (exception instanceof ApiError) return exception;
  // Classified by cause (refused, timed out, terminated, pool exhausted): an outage, not a bug.
  if (isDatabaseUnavailable(exception))
    return new ApiError('DATABASE_UNAVAILABLE', 'The database is unavailable; retry later', {
      cause: exception,
      headers: { 'retry-after': DATABASE_RETRY_AFTER_S },
    });
  // A deadlock or serialization failure: PostgreSQL rolled back this request's transaction to
  // let another finish. Transient, and safe to retry (a transfer with the same Idempotency-Key).
  if (isRetriableError(exception))
    return new ApiError(
      'DATABASE_CONFLICT',
      'The database cancelled this request to settle a conflict with another; retry',
      { cause: exception, headers: { 'retry-after': CONFLICT_RETRY_AFTER_S } },
    );
  if (exception instanceof HttpException) {
    const fst = fastifyCode(exception);
    if (fst !== undefined && FASTIFY_CODES[fst] !== undefined) {
      return new ApiError(
        FASTIFY_CODES[fst],
        FASTIFY_CODES[fst] === 'INVALID_JSON' ? 'The request body is not valid JSON' : undefined,
      );
    }
    if (exception.cause instanceof SyntaxError) return new ApiError('INVALID_JSON');
    const status = exception.getStatus();
    const code = STATUS_CODES[status];
    // Nest's "Cannot GET /path…" would repeat an unbounded path: never echo it.
    if (code === 'NOT_FOUND' && exception.message.startsWith('Cannot '))
      return new ApiError('ROUTE_NOT_FOUND', 'No endpoint matches this method and path');
    if (code !== undefined) return new ApiError(code);
  }
  return null;
}

/**
 * The one place errors become responses: RFC 9457 `application/problem+json` with a stable
 * `code`. Known errors keep their status; anything else is a 500 that carries only the
 * request id (the correlation id in the logs), never a message or stack trace.
 */
function describe(exception: unknown): string {
  const text =
    exception instanceof Error ? `${exception.name}: ${exception.message}` : String(exception);
  return text.replace(/\s+/g, ' ').trim().slice(0, 500);
}

@Catch()
export class ProblemExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    let error = toApiError(exception);
    if (error?.code === 'ROUTE_NOT_FOUND') {
      const allow = allowedMethods(request);
      if (allow.length > 0)
        error = new ApiError('METHOD_NOT_ALLOWED', `Allowed here: ${allow.join(', ')}`, {
          headers: { allow: allow.join(', ') },
        });
    }
    if (error === null) {
      // The cause goes in the message too, so a one-line log view still shows what broke.
      request.log.error(
        { err: exception, requestId: request.id },
        `unhandled error: ${describe(exception)}`,
      );
      error = new ApiError(
        'INTERNAL',
        `An unexpected error occurred; quote request id ${request.id}`,
      );
    } else if (error.status >= 500) {
      request.log.warn(
        { err: error.extras.cause ?? error, code: error.code },
        'dependency failure',
      );
    }
    const problem =
      error.extras.document ??
      buildProblem({
        code: error.code,
        ...(error.detail === undefined ? {} : { detail: error.detail }),
        instance: boundedPath(request.url),
        requestId: request.id,
        ...(error.extras.errors === undefined ? {} : { errors: error.extras.errors }),
        ...(error.extras.reasons === undefined ? {} : { reasons: error.extras.reasons }),
        ...(error.extras.extensions === undefined ? {} : { extensions: error.extras.extensions }),
      });
    if (reply.sent) return;
    for (const [name, value] of Object.entries(error.extras.headers ?? {}))
      void reply.header(name, value);
    void reply
      .status(problem.status)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem));
  }
}
