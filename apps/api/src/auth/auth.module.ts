import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessRepository, type PrismaClient } from '@waiaas/database';
import { PRISMA } from '../infra/tokens.js';
import { AuthFailureLimiter } from '../rate-limit/auth-failure-limiter.js';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { AgentKeyUsage } from './agent-key-usage.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';

/**
 * Authentication for every route (a global guard, deny by default), per-key rate limits,
 * per-address limits on failed authentication, and the access reads both are decided from.
 */
@Global()
@Module({
  providers: [
    AuthService,
    AgentKeyUsage,
    RateLimitService,
    AuthFailureLimiter,
    {
      provide: AccessRepository,
      useFactory: (prisma: PrismaClient) => new AccessRepository(prisma),
      inject: [PRISMA],
    },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthService, AccessRepository, RateLimitService],
})
export class AuthModule {}
