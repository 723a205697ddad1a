import { Module } from '@nestjs/common';
import { type PrismaClient, SpendReportRepository } from '@waiaas/database';
import { PRISMA } from '../infra/tokens.js';
import { WalletModule } from '../wallets/wallet.module.js';
import { PolicyController } from './policy.controller.js';
import { PolicyService } from './policy.service.js';
import { SpendController } from './spend.controller.js';
import { SpendService } from './spend.service.js';

@Module({
  imports: [WalletModule],
  controllers: [PolicyController, SpendController],
  providers: [
    PolicyService,
    SpendService,
    {
      provide: SpendReportRepository,
      useFactory: (prisma: PrismaClient) => new SpendReportRepository(prisma),
      inject: [PRISMA],
    },
  ],
})
export class PolicyModule {}
