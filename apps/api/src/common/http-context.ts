import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The bits of the HTTP exchange a service may need, without handing it Fastify itself. */
export interface HttpContext {
  requestId: string;
  /** Request path without the query string. */
  path: string;
  header(name: string): string | undefined;
  setHeader(name: string, value: string): void;
}

export const Http = createParamDecorator((_data: unknown, ctx: ExecutionContext): HttpContext => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  const reply = ctx.switchToHttp().getResponse<FastifyReply>();
  return {
    requestId: request.id,
    path: request.url.split('?')[0] ?? request.url,
    header: (name) => {
      const value = request.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    setHeader: (name, value) => {
      void reply.header(name, value);
    },
  };
});
