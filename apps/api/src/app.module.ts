import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AgentModule } from './agents/agent.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { ProblemExceptionFilter } from './common/problem-exception.filter.js';
import { createValidationPipe } from './common/validation.js';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { HealthModule } from './health/health.module.js';
import type { Infrastructure } from './infra/infrastructure.js';
import { CACHE, CACHE_BUNDLE, CLOCK, CUSTODY, PRISMA, RPC } from './infra/tokens.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsService } from './metrics/metrics.service.js';
import { OwnerModule } from './owners/owner.module.js';
import { WalletModule } from './wallets/wallet.module.js';
import { PolicyModule } from './policies/policy.module.js';
import { TransferModule } from './transfers/transfer.module.js';
import { TransactionModule } from './transactions/transaction.module.js';
import { WebhookModule } from './webhooks/webhook.module.js';
import {
  AgentKeyRepository,
  DbHealthRepository,
  IdempotencyRepository,
  SpendRepository,
  WebhookEndpointRepository,
} from '@waiaas/database';
import { TransferEngine } from '@waiaas/transfer-engine';
import { AdminModule } from './admin/admin.module.js';
import { FreezeModule } from './freeze/freeze.module.js';
import { ConsoleModule } from './console/console.module.js';

/** Config and infrastructure, provided once to every module. */
@Global()
@Module({})
class CoreModule {
  static forRoot(config: AppConfig, infra: Infrastructure, metrics: MetricsService): DynamicModule {
    const spend = new SpendRepository(infra.prisma, {
      approvalTtlMs: config.approvals.ttlSeconds * 1000,
    });
    const idempotency = new IdempotencyRepository(infra.prisma);
    const providers = [
      { provide: APP_CONFIG, useValue: config },
      { provide: PRISMA, useValue: infra.prisma },
      { provide: CACHE_BUNDLE, useValue: infra.cache },
      { provide: CACHE, useValue: infra.cache.cache },
      { provide: RPC, useValue: infra.rpc },
      { provide: CUSTODY, useValue: infra.custody },
      { provide: CLOCK, useValue: () => infra.clock().getTime() },
      { provide: MetricsService, useValue: metrics },
      { provide: SpendRepository, useValue: spend },
      { provide: IdempotencyRepository, useValue: idempotency },
      {
        provide: TransferEngine,
        useValue: new TransferEngine({
          prisma: infra.prisma,
          custody: infra.custody,
          rpc: infra.rpc,
          spend,
          idempotency,
          clock: infra.clock,
        }),
      },
      { provide: DbHealthRepository, useValue: new DbHealthRepository(infra.prisma) },
      { provide: AgentKeyRepository, useValue: new AgentKeyRepository(infra.prisma) },
      {
        provide: WebhookEndpointRepository,
        useValue: new WebhookEndpointRepository(infra.prisma),
      },
    ];
    return { module: CoreModule, providers, exports: providers.map((p) => p.provide) };
  }
}

/**
 * The API's root module. Built by {@link createApp} from a parsed config and connected
 * infrastructure, so tests compose the same module against their own database and Redis prefix.
 *
 * @example
 * ```ts
 * const metrics = new MetricsService();
 * const infra = await createInfrastructure(config, metrics);
 * const app = await NestFactory.create(AppModule.forRoot(config, infra, metrics), new FastifyAdapter());
 * ```
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, infra: Infrastructure, metrics: MetricsService): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, infra, metrics),
        AuditModule,
        AuthModule,
        HealthModule,
        OwnerModule,
        AgentModule,
        WalletModule,
        FreezeModule,
        PolicyModule,
        TransferModule,
        TransactionModule,
        WebhookModule,
        AdminModule,
        ConsoleModule,
      ],
      controllers: [MetricsController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
