import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConsoleSessionRepository } from '@waiaas/database';
import { stringifySetCookie } from 'cookie';
import { CacheKeys, type CacheService } from '@waiaas/cache';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service.js';
import { secretsEqual } from '../auth/api-key.js';
import type { OwnerPrincipal, PrincipalKind } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CACHE } from '../infra/tokens.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { CONSOLE_ROUTES, SAFE_METHODS } from './console-routes.js';
import { CONSOLE_COOKIE, consoleCookie, type ConsoleRequestContext } from './console-request.js';
import type {
  ConsoleSessionProbeDto,
  ConsoleSessionResponseDto,
  ConsoleSettingsResponseDto,
} from './console-session.dto.js';

const COOKIE_PATH = '/v1';
/** The header a console mutation carries its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The CSRF token of a session: an HMAC of a fixed label under the session token. The server
 * recomputes it from the cookie, so nothing more is stored, and a page can only learn it by
 * reading `GET /v1/console/session`, which the same-origin policy denies to other sites.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('waiaas-console-csrf').digest('base64url');
}

/**
 * Owner console sessions: sign-in exchanges an owner key (once) for an HttpOnly, SameSite=Strict,
 * expiring cookie; the auth guard accepts that cookie as the owner on {@link CONSOLE_ROUTES}
 * only, and on state-changing methods only with the CSRF checks below. Sessions live in
 * PostgreSQL (hashed), so signing out, expiry and a change of the owner key end them on every
 * API instance at once.
 *
 * CSRF defence, in three layers: the cookie is `SameSite=Strict` (browsers do not send it on
 * cross-site requests); a mutation must carry `X-CSRF-Token` equal to the session's derived
 * token (a custom header also forces a CORS preflight, which this API never grants); and when
 * the browser says where the request comes from (`Origin`, else `Sec-Fetch-Site`), it must be
 * this very host.
 */
@Injectable()
export class ConsoleSessionService {
  constructor(
    @Inject(ConsoleSessionRepository) private readonly sessions: ConsoleSessionRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RateLimitService) private readonly rateLimit: RateLimitService,
    @Inject(CACHE) private readonly cache: CacheService,
  ) {}

  /**
   * The console cookie's token when this request may be authenticated by it: no bearer key,
   * an owner route that is on the console's list, and a well-formed cookie. Null otherwise (the
   * caller then answers as for any unauthenticated request).
   */
  sessionToken(request: FastifyRequest, allowed: readonly PrincipalKind[]): string | null {
    if (!allowed.includes('owner')) return null;
    const route = `${request.method} ${request.routeOptions.url ?? ''}`;
    if (!CONSOLE_ROUTES.has(route)) return null;
    return consoleCookie(request) ?? null;
  }

  /**
   * Resolves a console cookie to its owner, after the CSRF checks on a mutation; records the
   * session on the request for the session endpoints. The session counts against the rate
   * limit like a key. Throws CSRF_REJECTED (403), RATE_LIMITED (429) or UNAUTHENTICATED (401,
   * clearing the cookie) for an expired, signed-out or superseded session, or one whose owner
   * was revoked.
   */
  async authenticate(
    request: FastifyRequest,
    token: string,
    reply: FastifyReply,
  ): Promise<OwnerPrincipal> {
    if (!SAFE_METHODS.has(request.method)) checkCsrf(request, token);
    const tokenHash = hashToken(token);
    this.rateLimit.apply(await this.rateLimit.take(tokenHash), reply);
    const session = await this.sessions.findValid(tokenHash, new Date());
    if (session === null) {
      throw new ApiError(
        'UNAUTHENTICATED',
        'The console session has expired, was signed out, or its owner key changed: sign in again',
        { headers: { 'set-cookie': this.clearedCookie(request.protocol === 'https') } },
      );
    }
    request.consoleSession = {
      id: session.id,
      ownerId: session.ownerId,
      expiresAt: session.expiresAt,
      token,
    };
    // The access generation read after the session was found valid, so cached wallet and
    // grant data is trusted exactly as for a request with the owner key.
    const generation = await this.cache.generation(CacheKeys.access(session.ownerId));
    return { kind: 'owner', ownerId: session.ownerId, generation };
  }

  /** Exchanges the owner key the request was authenticated with for a session cookie. */
  async signIn(
    principal: OwnerPrincipal,
    http: ConsoleRequestContext,
  ): Promise<ConsoleSessionResponseDto> {
    if (http.bearerKeyHash === null)
      throw new ApiError('UNAUTHENTICATED', 'Sign in with Authorization: Bearer <owner key>');
    const token = randomBytes(32).toString('base64url');
    const now = new Date();
    const ttlSeconds = this.config.console.sessionTtlMinutes * 60;
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    const session = await this.sessions.create({
      ownerId: principal.ownerId,
      tokenHash: hashToken(token),
      ownerKeyHash: http.bearerKeyHash,
      now,
      expiresAt,
    });
    // The owner key changed between the guard's check and this insert.
    if (session === null) throw new ApiError('INVALID_API_KEY');
    await this.audit.record(principal, {
      type: 'console.signed_in',
      ownerId: principal.ownerId,
      payload: { sessionId: session.id, expiresAt: expiresAt.toISOString() },
    });
    http.setCookie(
      stringifySetCookie({
        name: CONSOLE_COOKIE,
        value: token,
        path: COOKIE_PATH,
        httpOnly: true,
        sameSite: 'strict',
        secure: http.secure,
        maxAge: ttlSeconds,
        expires: expiresAt,
      }),
    );
    return {
      session: {
        ownerId: principal.ownerId,
        expiresAt: expiresAt.toISOString(),
        csrfToken: csrfTokenFor(token),
      },
    };
  }

  /**
   * The session the request's cookie belongs to, or null when there is none (never a 401: a
   * page that has not signed in yet asks this first, and that is not an error).
   */
  async current(http: ConsoleRequestContext): Promise<ConsoleSessionProbeDto> {
    if (http.cookie === undefined) return { session: null };
    const session = await this.sessions.findValid(hashToken(http.cookie), new Date());
    if (session === null) {
      http.setCookie(this.clearedCookie(http.secure));
      return { session: null };
    }
    return {
      session: {
        ownerId: session.ownerId,
        expiresAt: session.expiresAt.toISOString(),
        csrfToken: csrfTokenFor(http.cookie),
      },
    };
  }

  /** Deletes the session server-side and clears the cookie. */
  async signOut(principal: OwnerPrincipal, http: ConsoleRequestContext): Promise<void> {
    const session = http.session;
    if (session === undefined)
      throw new ApiError('UNAUTHENTICATED', 'Sign out with the console session cookie');
    await this.sessions.deleteByTokenHash(hashToken(session.token));
    await this.audit.record(principal, {
      type: 'console.signed_out',
      ownerId: principal.ownerId,
      payload: { sessionId: session.id },
    });
    http.setCookie(this.clearedCookie(http.secure));
  }

  settings(): ConsoleSettingsResponseDto {
    return {
      settings: {
        cluster: this.config.solana.cluster,
        explorerTxUrl: this.config.solana.explorerTxUrl,
        sessionTtlMinutes: this.config.console.sessionTtlMinutes,
      },
    };
  }

  private clearedCookie(secure: boolean): string {
    return stringifySetCookie({
      name: CONSOLE_COOKIE,
      value: '',
      path: COOKIE_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure,
      maxAge: 0,
      expires: new Date(0),
    });
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

function checkCsrf(request: FastifyRequest, token: string): void {
  const origin = header(request, 'origin');
  if (origin !== undefined) {
    if (originHost(origin) !== request.host)
      throw new ApiError('CSRF_REJECTED', `Requests from origin ${origin} are not accepted`);
  } else {
    const site = header(request, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin')
      throw new ApiError('CSRF_REJECTED', `Cross-site requests (${site}) are not accepted`);
  }
  const sent = header(request, CSRF_HEADER);
  if (sent === undefined || !secretsEqual(sent, csrfTokenFor(token)))
    throw new ApiError(
      'CSRF_REJECTED',
      'Send the session CSRF token (from GET /v1/console/session) in X-CSRF-Token',
    );
}
