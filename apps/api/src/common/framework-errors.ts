import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { ApiError, type ApiErrorCode } from './api-error.js';
import { buildProblem, PROBLEM_CONTENT_TYPE } from './problem.js';

/** Longest piece of a request (path, key name) a problem document repeats back. */
export const MAX_ECHO = 256;

/** The request path without the query, cut to {@link MAX_ECHO} characters. */
export function boundedPath(url: string): string {
  const path = url.split('?')[0] ?? url;
  return path.length > MAX_ECHO ? `${path.slice(0, MAX_ECHO)}…` : path;
}

/**
 * Errors Fastify raises before a route runs (routing), answered here because they never reach
 * Nest's exception filter: a path that does not decode (400) and a path parameter longer than
 * the router accepts (414). Neither echoes the path.
 */
function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const code: ApiErrorCode =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'URI_TOO_LONG'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'BAD_REQUEST'
        : 'INTERNAL';
  if (code === 'INTERNAL') request.log.error({ err: error }, `framework error: ${error.message}`);
  const problem = buildProblem({
    code,
    detail:
      code === 'URI_TOO_LONG'
        ? 'A path segment is too long'
        : code === 'BAD_REQUEST'
          ? 'The request path is not a valid URL'
          : 'An unexpected error occurred',
    instance: boundedPath(request.url),
    requestId: request.id,
  });
  void reply
    .status(problem.status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('x-request-id', request.id)
    .send(JSON.stringify(problem));
}

const CLIENT_ERRORS: Record<string, ApiErrorCode> = {
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
};

/**
 * Node's HTTP parser refused the bytes (malformed request line or headers, headers too large,
 * a request that took too long to arrive): there is no request object, so the problem document
 * is written on the socket as Node itself would, then the connection is closed.
 */
function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code = CLIENT_ERRORS[error.code ?? ''] ?? 'BAD_REQUEST';
  const problem = buildProblem({
    code,
    detail:
      code === 'HEADERS_TOO_LARGE'
        ? 'The request line and headers are too large'
        : code === 'REQUEST_TIMEOUT'
          ? 'The request did not arrive in time'
          : 'The HTTP request is malformed',
    instance: '',
    requestId: '',
  });
  const body = JSON.stringify(problem);
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy();
}

/**
 * Fastify server options that make every error Fastify or Node answer on its own a
 * problem+json: routing errors (`frameworkErrors`), parser errors on the socket
 * (`clientErrorHandler`), and no built-in 503 while closing (the hook of
 * {@link registerFrameworkErrorHooks} answers it instead). `requestTimeout` bounds how long a
 * client may take to send a request (slow-body attacks).
 */
export const FRAMEWORK_ERROR_OPTIONS = {
  frameworkErrors: frameworkError,
  clientErrorHandler,
  return503OnClosing: false,
  requestTimeout: 30_000,
} as const;

const routeTables = new WeakMap<FastifyInstance, FindMyWay.Instance<FindMyWay.HTTPVersion.V1>>();
const routeMethods = new WeakMap<FastifyInstance, Set<HTTPMethod>>();

/**
 * The methods some route serves at `request`'s path (for 405 and its `Allow` header); empty
 * when no route has that path. Only consulted on the not-found path.
 */
export function allowedMethods(request: FastifyRequest): string[] {
  const table = routeTables.get(request.server);
  const methods = routeMethods.get(request.server);
  if (table === undefined || methods === undefined) return [];
  const path = request.url.split('?')[0] ?? request.url;
  return [...methods].filter((m) => m !== 'HEAD' && table.find(m, path) !== null).sort();
}

/**
 * Registers what the options above need at request time: a table of every route (answering
 * 405 with `Allow` rather than 404 for a known path), and a 503 `SHUTTING_DOWN` with
 * `Connection: close` for requests that still arrive on open connections during shutdown.
 */
export function registerFrameworkErrorHooks(fastify: FastifyInstance): void {
  const table = FindMyWay();
  const methods = new Set<HTTPMethod>();
  routeTables.set(fastify, table);
  routeMethods.set(fastify, methods);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat() as HTTPMethod[]) {
      methods.add(method);
      if (!table.hasRoute(method, route.url)) table.on(method, route.url, () => undefined);
    }
  });
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // A callback hook, not an async one: it runs on every request, and an async hook costs a
  // promise and a turn of the microtask queue before Fastify moves on.
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (!closing) {
      done();
      return;
    }
    void reply.header('connection', 'close');
    done(
      new ApiError('SHUTTING_DOWN', 'The server is shutting down; retry on another instance', {
        headers: { 'retry-after': '1' },
      }),
    );
  });
}
