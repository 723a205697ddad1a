import { Module } from '@nestjs/common';
import { TransactionReadRepository } from '@waiaas/database';
import { repositoryProvider } from '../infra/repository-provider.js';
import { WalletModule } from '../wallets/wallet.module.js';
import { TransactionController } from './transaction.controller.js';
import { TransactionService } from './transaction.service.js';

@Module({
  imports: [WalletModule],
  controllers: [TransactionController],
  providers: [TransactionService, repositoryProvider(TransactionReadRepository)],
})
export class TransactionModule {}
