import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../common/api-error.js';
import { ConsoleSessionService } from '../console/console-session.service.js';
import { AGENT_SCOPE_KEY, PRINCIPALS_KEY, PUBLIC_KEY } from './auth.decorators.js';
import { AuthService } from './auth.service.js';
import type { AgentKeyScope, PrincipalKind } from './principal.js';

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/** What a route declares about authentication (read once per route: decorators are static). */
interface RouteAuth {
  public: boolean;
  allowed: readonly PrincipalKind[] | undefined;
  scope: AgentKeyScope | undefined;
}

/**
 * Global guard, deny by default: a handler must declare its principals (or be public). It
 * parses the bearer token, resolves the principal (with the per-key rate limit, and the
 * per-address limit on failures: see {@link AuthService}) and checks its kind. Every
 * authenticated response, error or not, is `Cache-Control: no-store`: some carry a secret
 * (`apiKey`, `signingSecret`), all carry data no shared cache should keep.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(ConsoleSessionService) private readonly consoleSessions: ConsoleSessionService,
  ) {}

  /** Per controller class, per handler: its {@link RouteAuth}. */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteAuth>>();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const route = this.routeAuth(context);
    if (route.public) return true;
    const { allowed } = route;
    if (allowed === undefined || allowed.length === 0) {
      throw new ApiError(
        'FORBIDDEN',
        'This endpoint declares no principals and is refused by default',
      );
    }
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    void reply.header('cache-control', 'no-store');
    const header = request.headers.authorization;
    const match = header === undefined ? null : BEARER.exec(header);
    if (match?.[1] === undefined) {
      // The owner console's session cookie stands in for an owner key, on the console's routes
      // only, and on mutations only with its CSRF token (see ConsoleSessionService).
      const session = this.consoleSessions.sessionToken(request, allowed);
      if (session !== null) {
        request.principal = await this.consoleSessions.authenticate(request, session, reply);
        return true;
      }
      throw new ApiError('UNAUTHENTICATED', 'Send Authorization: Bearer <api key>', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const principal = await this.auth.authenticate(match[1], request.ip, reply);
    if (!allowed.includes(principal.kind)) {
      throw new ApiError('FORBIDDEN', `This endpoint is for ${allowed.join(' or ')} keys`);
    }
    if (principal.kind === 'agent') {
      // Deny by default here too: an agent route without a declared scope is refused.
      const { scope } = route;
      if (scope === undefined)
        throw new ApiError('FORBIDDEN', 'This endpoint declares no agent key scope');
      if (!principal.scopes.includes(scope))
        throw new ApiError('AGENT_KEY_SCOPE', `This key lacks the "${scope}" scope`);
    }
    request.principal = principal;
    return true;
  }

  /**
   * The route's declarations, reflected on its first request and remembered: they never change
   * after start-up, and reflecting them was six metadata lookups (three keys on two targets)
   * on every request.
   */
  private routeAuth(context: ExecutionContext): RouteAuth {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.routes.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.routes.set(controller, byHandler);
    }
    let route = byHandler.get(handler);
    if (route === undefined) {
      const targets = [handler, controller];
      route = {
        public: this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) === true,
        allowed: this.reflector.getAllAndOverride<PrincipalKind[] | undefined>(
          PRINCIPALS_KEY,
          targets,
        ),
        scope: this.reflector.getAllAndOverride<AgentKeyScope | undefined>(
          AGENT_SCOPE_KEY,
          targets,
        ),
      };
      byHandler.set(handler, route);
    }
    return route;
  }
}
