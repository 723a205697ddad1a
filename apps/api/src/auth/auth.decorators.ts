import {
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
  SetMetadata,
} from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { PRINCIPALS_EXTENSION } from '../openapi/finish-document.js';
import type { AgentKeyScope, Principal, PrincipalKind } from './principal.js';

export const PRINCIPALS_KEY = 'waiaas:principals';
export const AGENT_SCOPE_KEY = 'waiaas:agent-scope';
/** The OpenAPI extension naming the scope an agent key needs for an operation. */
export const AGENT_SCOPE_EXTENSION = 'x-waiaas-agent-scope';
export const PUBLIC_KEY = 'waiaas:public';

/**
 * Which principals may call this handler. Every handler needs this or {@link Public}: the
 * global guard refuses routes that declare neither (deny by default). The same list becomes
 * the operation's `x-waiaas-principals`, its security and its 401/403/429 responses in the
 * OpenAPI document (see `finishDocument`), so the document cannot say otherwise than the guard.
 */
export function Principals(...kinds: PrincipalKind[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(PRINCIPALS_KEY, kinds),
    ApiExtension(PRINCIPALS_EXTENSION, kinds),
  );
}

/**
 * The scope an agent key needs to call this handler (`read`, `evaluate` or `transfer`). Every
 * handler agents may call needs it: the guard refuses agents on one that declares none.
 */
export function AgentScope(scope: AgentKeyScope): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(AGENT_SCOPE_KEY, scope),
    ApiExtension(AGENT_SCOPE_EXTENSION, scope),
  );
}

/** Operator only (ADMIN_TOKEN). */
export const Operator = (): MethodDecorator & ClassDecorator => Principals('operator');
/** Owners only. */
export const Owner = (): MethodDecorator & ClassDecorator => Principals('owner');
/** Agents only. */
export const Agent = (): MethodDecorator & ClassDecorator => Principals('agent');

/** No authentication (health, metrics). */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(PUBLIC_KEY, true), ApiExtension(PRINCIPALS_EXTENSION, ['public']));

/** The authenticated principal (set by the guard). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    if (request.principal === undefined)
      throw new Error('CurrentPrincipal used on a route without authentication');
    return request.principal;
  },
);
