import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ApiErrorCode } from './api-error.js';
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

/** Turns anything thrown into the {@link ApiError} it should be answered as. */
export function toApiError(exception: unknown): ApiError | null {
  if (exception instanceof ApiError) return exception;
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
    if (code === 'NOT_FOUND' && exception.message.startsWith('Cannot '))
      return new ApiError('ROUTE_NOT_FOUND', exception.message);
    if (code !== undefined) return new ApiError(code);
  }
  return null;
}

/**
 * The one place errors become responses: RFC 9457 `application/problem+json` with a stable
 * `code`. Known errors keep their status; anything else is a 500 that carries only the
 * request id (the correlation id in the logs), never a message or stack trace.
 */
@Catch()
export class ProblemExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    let error = toApiError(exception);
    if (error === null) {
      request.log.error({ err: exception, requestId: request.id }, 'unhandled error');
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
        instance: request.url.split('?')[0] ?? request.url,
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
