import { Module } from '@nestjs/common';
import { AgentRepository, WalletRepository } from '@waiaas/database';
import { repositoryProvider } from '../infra/repository-provider.js';
import { WalletAccessService } from './wallet-access.service.js';
import { WalletController } from './wallet.controller.js';
import { WalletService } from './wallet.service.js';

@Module({
  controllers: [WalletController],
  providers: [
    WalletService,
    WalletAccessService,
    repositoryProvider(WalletRepository),
    repositoryProvider(AgentRepository),
  ],
  exports: [WalletAccessService],
})
export class WalletModule {}
