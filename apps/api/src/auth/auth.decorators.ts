import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ProblemDto } from '../common/problem.dto.js';
import type { Principal, PrincipalKind } from './principal.js';

export const PRINCIPALS_KEY = 'waiaas:principals';
export const PUBLIC_KEY = 'waiaas:public';

/**
 * Which principals may call this handler. Every handler needs this or {@link Public}: the
 * global guard refuses routes that declare neither (deny by default).
 */
export function Principals(...kinds: PrincipalKind[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(PRINCIPALS_KEY, kinds),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      type: ProblemDto,
      description: 'Missing, unknown or revoked API key',
    }),
    ApiForbiddenResponse({
      type: ProblemDto,
      description: 'This principal may not call this endpoint',
    }),
    ApiTooManyRequestsResponse({
      type: ProblemDto,
      description: 'Rate limit exceeded (see Retry-After)',
    }),
  );
}

/** Operator only (ADMIN_TOKEN). */
export const Operator = (): MethodDecorator & ClassDecorator => Principals('operator');
/** Owners only. */
export const Owner = (): MethodDecorator & ClassDecorator => Principals('owner');
/** Agents only. */
export const Agent = (): MethodDecorator & ClassDecorator => Principals('agent');

/** No authentication (health, metrics). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

/** The authenticated principal (set by the guard). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    if (request.principal === undefined)
      throw new Error('CurrentPrincipal used on a route without authentication');
    return request.principal;
  },
);
