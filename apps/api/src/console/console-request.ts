import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseCookie } from 'cookie';
import { hashApiKey } from '../auth/api-key.js';

/** The console session a request was authenticated with (set by the auth guard). */
export interface ConsoleSessionContext {
  id: string;
  ownerId: string;
  expiresAt: Date;
  /** The cookie's token: the CSRF token is derived from it. Never logged or returned. */
  token: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: ConsoleSessionContext;
  }
}

/** What the console's session endpoints need from the HTTP exchange, without Fastify itself. */
export interface ConsoleRequestContext {
  /** Served over https (directly, or per X-Forwarded-Proto behind a trusted proxy). */
  secure: boolean;
  /** SHA-256 of the bearer key the request carried (the guard has already verified it). */
  bearerKeyHash: string | null;
  /** Set when the request was authenticated by the console session cookie. */
  session: ConsoleSessionContext | undefined;
  /** The console cookie's value, if the request carried one (not yet verified). */
  cookie: string | undefined;
  setCookie(header: string): void;
}

const BEARER = /^Bearer (\S+)$/;

/** The session cookie's name. Path /v1: the browser sends it to the API only. */
export const CONSOLE_COOKIE = 'waiaas_console';
/** Session tokens are 32 random bytes in base64url: anything else is not worth a query. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** The well-formed console session token a request carries in its cookie, if any. */
export function consoleCookie(request: FastifyRequest): string | undefined {
  if (request.headers.cookie === undefined) return undefined;
  const token = parseCookie(request.headers.cookie)[CONSOLE_COOKIE];
  return token !== undefined && TOKEN_SHAPE.test(token) ? token : undefined;
}

export const ConsoleRequest = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): ConsoleRequestContext => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const bearer = BEARER.exec(request.headers.authorization ?? '')?.[1];
    return {
      secure: request.protocol === 'https',
      bearerKeyHash: bearer === undefined ? null : hashApiKey(bearer),
      session: request.consoleSession,
      cookie: consoleCookie(request),
      setCookie: (header) => {
        void reply.header('set-cookie', header);
      },
    };
  },
);
