import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitService } from '../rate-limit/rate-limit.service.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';

/** Authentication for every route (a global guard, deny by default) and per-key rate limits. */
@Global()
@Module({
  providers: [AuthService, RateLimitService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService],
})
export class AuthModule {}
