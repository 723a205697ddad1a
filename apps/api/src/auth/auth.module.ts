import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessRepository } from '@waiaas/database';
import { repositoryProvider } from '../infra/repository-provider.js';
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
    repositoryProvider(AccessRepository),
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AuthService, AccessRepository, RateLimitService],
})
export class AuthModule {}
