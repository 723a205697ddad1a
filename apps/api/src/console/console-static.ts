import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../common/problem.js';
import type { AppConfig } from '../config/app-config.js';

/**
 * The console's Content-Security-Policy: everything from this origin only, no inline script or
 * style, no framing, no plugins. The built console needs nothing else (its API calls are
 * same-origin; explorer links are plain navigations, which CSP does not govern).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** Vite content-hashes every file under assets/: such a URL never changes content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function sendProblem(request: FastifyRequest, reply: FastifyReply, detail: string): FastifyReply {
  const problem = buildProblem({
    code: 'NOT_FOUND',
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    requestId: request.id,
  });
  return reply.code(404).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/**
 * Serves the built owner console (`config.console.distDir`) under `/console/` and redirects `/`
 * there. Hashed assets are cached for a year (`immutable`), `index.html` is revalidated every
 * time (`no-cache`), every response carries a strict CSP, and any other path under /console/
 * that is not a file gets `index.html` (the console routes in the browser). Pre-compressed
 * `.br`/`.gz` siblings written by the console's build are sent when the browser accepts them.
 * Without a build, `/console` answers a 404 problem saying how to build it.
 *
 * @example
 * ```ts
 * const fastify = app.getHttpAdapter().getInstance();
 * await registerConsole(fastify, config); // before app.init()
 * ```
 */
export async function registerConsole(fastify: FastifyInstance, config: AppConfig): Promise<void> {
  const root = config.console.distDir;
  const built = existsSync(join(root, 'index.html'));

  fastify.get('/', (_request, reply) => reply.redirect('/console/', 302));

  await fastify.register(
    async (scope) => {
      scope.addHook('onSend', async (_request, reply, payload) => {
        void reply.headers(SECURITY_HEADERS);
        return payload;
      });

      if (!built) {
        const notBuilt = (request: FastifyRequest, reply: FastifyReply) =>
          sendProblem(
            request,
            reply,
            `The owner console is not built: run pnpm build (it serves ${root}), or set CONSOLE_DIST_DIR`,
          );
        scope.get('/', notBuilt);
        scope.get('/*', notBuilt);
        return;
      }

      await scope.register(fastifyStatic, {
        root,
        prefix: '/',
        index: 'index.html',
        cacheControl: false,
        preCompressed: true,
        setHeaders: (res, path) => {
          res.setHeader(
            'cache-control',
            path.includes(`${sep}assets${sep}`) ? IMMUTABLE : 'no-cache',
          );
        },
      });
      // Paths that are not files: the console's own routes (/console/wallets/…) get the page,
      // while a missing asset stays a 404 (never HTML served as a script).
      scope.setNotFoundHandler((request, reply) => {
        const path = request.url.split('?')[0] ?? '';
        const last = path.slice(path.lastIndexOf('/') + 1);
        if (request.method !== 'GET' || path.startsWith('/console/assets/') || last.includes('.'))
          return sendProblem(request, reply, `No console file at ${path}`);
        return reply.code(200).sendFile('index.html');
      });
    },
    { prefix: '/console' },
  );
}
