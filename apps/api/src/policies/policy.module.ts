import { Module } from '@nestjs/common';
import { PolicyRepository, SpendReportRepository } from '@waiaas/database';
import { repositoryProvider } from '../infra/repository-provider.js';
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
    repositoryProvider(SpendReportRepository),
    repositoryProvider(PolicyRepository),
  ],
})
export class PolicyModule {}
