import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MetricsService } from '../metrics/metrics.service.js';
import { ApiError } from './api-error.js';

/** An incoming x-request-id is honoured only if it is short and harmless in logs. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify `genReqId`: the caller's x-request-id when sane, else a fresh UUID. */
export function genReqId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

const JSON_TYPE = /^application\/(?:[a-z0-9.!#$%&'*^_`{|}~-]+\+)?json\s*(?:;|$)/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return request.headers['transfer-encoding'] !== undefined;
}

/**
 * Process-level HTTP concerns that live below Nest: the request id echoed on every response,
 * JSON-only request bodies (415 otherwise: Fastify would also parse text/plain, and Nest
 * registers a form parser), and the latency histogram labelled by route pattern.
 */
export function registerHttpHooks(fastify: FastifyInstance, metrics: MetricsService): void {
  // Callback hooks rather than async ones: they run on every request, and an async hook costs
  // a promise and a turn of the microtask queue before Fastify moves on.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    if (BODY_METHODS.has(request.method) && hasBody(request)) {
      const type = request.headers['content-type'];
      if (type === undefined || !JSON_TYPE.test(type)) {
        done(new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json'));
        return;
      }
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
